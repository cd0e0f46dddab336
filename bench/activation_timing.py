"""Time one activation beside the nearest built-ins, eager and compiled, in one run.

Every activation is timed in the same process, interleaved (activation by
activation, not one long block each), on the same input: forward under
``no_grad``, and backward alone (the forward runs once outside the timed
region; the timed call is ``torch.autograd.grad``). ``compiled`` is
``torch.compile(f, dynamic=False)`` (Inductor's C++ backend on a CPU); its
compilation is not timed. Each median is also read against the machine's
measured memory bandwidth (:func:`~cnnbench.bench.roofline.measure_ceilings`):
the fraction of the roofline time, counting each element read and written once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import torch
from cnnbench.analysis.activations.registry import Activation
from cnnbench.analysis.activations.spec import activation
from cnnbench.bench.harness import HarnessConfig, measure
from cnnbench.bench.roofline import Ceilings, assess, measure_ceilings
from cnnbench.bench.workloads import randn, require_close
from cnnbench.bench.workloads_act import _workload

NEAREST = ("relu", "gelu", "silu", "tanh")  # the built-ins a new activation is set against
FORMS = ("eager", "compiled")
DIRECTIONS = ("forward", "backward")
DEFAULT_ELEMENTS = 2**22  # 16 MB of float32: past a 2-core VM's last-level cache
CASE = "4M"
TIMING_BUDGET_S = 0.3  # sampling budget per (activation, form, direction)


def _function(act: Activation, form: str) -> Callable[[torch.Tensor], torch.Tensor]:
    f = act.implementations.get("eager_eval", act.implementations["eager"])  # RReLU: eval
    return torch.compile(f, dynamic=False) if form == "compiled" else f


def _prepared(act: Activation, form: str, direction: str, x: torch.Tensor):
    """The timed callable, checked once against the float64 reference."""
    f = _function(act, form)
    x64 = x.double()
    if direction == "forward":
        def fn() -> object:
            with torch.no_grad():
                return f(x)

        require_close(fn(), act.reference(x64), "float32", f"{act.name} {form} forward")
        return fn
    xg = x.detach().requires_grad_(True)
    y = f(xg)
    g = randn(tuple(y.shape), "float32", "cpu", seed=7)
    grad = torch.autograd.grad(y, xg, g, retain_graph=True)[0]
    x64g = x64.requires_grad_(True)
    ref = torch.autograd.grad(act.reference(x64g), x64g, g.double())[0]
    require_close(grad, ref, "float32", f"{act.name} {form} backward")
    return lambda: torch.autograd.grad(y, xg, g, retain_graph=True)


def time_activations(
    specs: Sequence[object],
    elements: int = DEFAULT_ELEMENTS,
    forms: Sequence[str] = FORMS,
    budget_s: float = TIMING_BUDGET_S,
    threads: int | None = 1,
    ceilings: Ceilings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Rows of median time and roofline fraction for every (activation, form, direction).

    ``specs`` are resolved with :func:`~cnnbench.analysis.activations.spec.activation`;
    the ratio column is each median over ``relu``'s for the same form and
    direction when relu is among them (a ratio measured side by side in one run).
    """
    acts = [activation(s) for s in specs]
    acts = list({a.name: a for a in acts}.values())
    bad = [a.name for a in acts if not a.elementwise]
    if bad:
        from cnnbench.analysis._validation import ParameterError

        raise ParameterError("activation", bad[0], "must be elementwise to be timed here")
    if ceilings is None:
        ceilings = measure_ceilings("cpu", dtypes=("float32",),
                                    config=HarnessConfig(budget_s=min(budget_s, 0.5)))  # fmt: skip
    x = randn((elements,), "float32", "cpu")
    config = HarnessConfig(budget_s=budget_s, target_rel_ci=0.02)
    rows = []
    for act in acts:
        for form in forms:
            for direction in DIRECTIONS:
                if progress is not None:
                    progress(f"{act.name} {form} {direction}")
                fn = _prepared(act, form, direction, x)
                m = measure(fn, config, threads=threads)
                w = _workload(act.name, form, elements, CASE, "float32", "cpu", direction,
                              "alloc")  # fmt: skip
                roof = assess(w, m.median, ceilings)
                rows.append({"activation": act.name, "form": form, "direction": direction,
                             "median_s": m.median, "q1_s": m.q1, "q3_s": m.q3, "samples": m.n,
                             "rel_ci": m.rel_ci, "stop": m.stop_reason,
                             "roofline_fraction": roof.fraction, "bound": roof.bound})  # fmt: skip
    base = {(r["form"], r["direction"]): r["median_s"] for r in rows if r["activation"] == "relu"}
    for r in rows:
        ref = base.get((r["form"], r["direction"]))
        r["vs_relu"] = r["median_s"] / ref if ref else None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    busy = "" if load is None else f"; 1-min load average {load:.1f} on {os.cpu_count()} CPUs " \
        "when it ended (above the core count, other work shared the machine)"
    return {
        "how": f"{elements} float32 elements, {threads} thread(s), harness budget {budget_s} s "
               "per row, forward under no_grad, backward = autograd.grad alone; compiled = "
               "torch.compile(dynamic=False); roofline = bytes moved (in + out, or "
               "grad_out + saved + grad_in) over the measured copy bandwidth" + busy,
        "ceilings": ceilings.to_json(),
        "torch": torch.__version__,
        "rows": rows,
    }  # fmt: skip
