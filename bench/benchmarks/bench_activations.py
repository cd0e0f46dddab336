"""asv: activations forward/backward (user-style call) and into a preallocated output."""

from asv_runner.benchmarks.mark import SkipNotImplemented

from .common import (
    ACT_DTYPES,
    ACT_OPS,
    ACT_SIZES,
    DEVICES,
    THREADS,
    ceilings_json,
    find_workload,
    measured_median,
    per_call_timer,
    prepared,
    require_device,
    roofline_of,
    run_inner,
    set_threads,
    use_inner,
)

# (Prepared, inner) of the one benchmark this process runs, keyed by direction.
_STATE: dict = {}


def _prepare(direction):
    def setup(op, size, dtype, device, threads):
        w = find_workload("activation", device, op=op, impl="eager", case=size, dtype=dtype,
                          direction=direction, alloc="alloc")  # fmt: skip
        _STATE[direction] = use_inner(prepared(w))

    return setup


class TimeActivation:
    """The eager activation as a user calls it: its output is allocated every call.

    Backward is timed alone (``autograd.grad`` on a graph built outside the
    timed region). Each timed call loops ``inner`` times to last >= 1 ms.
    """

    params = (ACT_OPS, ACT_SIZES, ACT_DTYPES, DEVICES, THREADS)
    param_names = ("op", "size", "dtype", "device", "threads")
    timer = staticmethod(per_call_timer)  # asv reports one call, not the inner loop

    def setup(self, op, size, dtype, device, threads):
        require_device(device)
        set_threads(threads)

    def time_forward(self, op, size, dtype, device, threads):
        run_inner(*_STATE["forward"])

    def time_backward(self, op, size, dtype, device, threads):
        run_inner(*_STATE["backward"])

    def track_max_rel_err(self, op, size, dtype, device, threads):
        """Forward output vs the float64 reference (checked before timing)."""
        return _STATE["forward"][0].max_rel_err

    # Per-method setup (asv runs it after the class's): each process prepares only
    # what its benchmark times; one process runs one benchmark x one combination.
    time_forward.setup = track_max_rel_err.setup = _prepare("forward")
    time_backward.setup = _prepare("backward")
    track_max_rel_err.unit = "relative error"


class TimeActivationOut:
    """One kernel writing into a preallocated output: what roofline fractions apply to.

    ``setup_cache`` measures the machine's ceilings once per commit (copy
    bandwidth, matrix throughput) with :mod:`cnnbench.bench.roofline`.
    """

    params = (ACT_OPS, ACT_SIZES, ACT_DTYPES, DEVICES, THREADS)
    param_names = ("op", "size", "dtype", "device", "threads")
    timer = staticmethod(per_call_timer)  # asv reports one call, not the inner loop
    timeout = 300  # setup_cache measures ceilings, and torch.compile may build a kernel

    def setup_cache(self):
        return ceilings_json()

    def setup(self, ceilings, op, size, dtype, device, threads):
        require_device(device)
        set_threads(threads)
        for impl in ("aten_out", "compiled_out"):
            try:
                w = find_workload("activation", device, op=op, impl=impl, case=size,
                                  dtype=dtype, direction="forward", alloc="out")  # fmt: skip
                break
            except NotImplementedError:
                continue
        else:
            raise NotImplementedError(f"{op}: no preallocated-output form")
        self.p, self.inner = use_inner(prepared(w))
        self.threads = threads

    def time_forward(self, ceilings, op, size, dtype, device, threads):
        run_inner(self.p, self.inner)

    def track_gbps(self, ceilings, op, size, dtype, device, threads):
        """Achieved bandwidth: the fewest bytes moved over the harness's median."""
        return self.p.workload.bytes / measured_median(self.p, self.threads) / 1e9

    def track_roofline_pct(self, ceilings, op, size, dtype, device, threads):
        """Roofline time over measured time, in % (above 100 is suspect, not a win)."""
        try:
            r = roofline_of(ceilings, self.p.workload, measured_median(self.p, self.threads))
        except NotImplementedError as exc:
            raise SkipNotImplemented(str(exc)) from exc
        return 100.0 * r.fraction

    def track_device_ms(self, ceilings, op, size, dtype, device, threads):
        """CUDA event time per call (asv's own timer is host wall clock)."""
        if device != "cuda":
            raise SkipNotImplemented("device time is measured with CUDA events only")
        return 1e3 * measured_median(self.p, self.threads)

    track_gbps.unit = "GB/s"
    track_roofline_pct.unit = "%"
    track_device_ms.unit = "ms"
