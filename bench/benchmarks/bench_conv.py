"""asv: convolution layers of the texts' networks, NCHW vs channels_last."""

from asv_runner.benchmarks.mark import SkipNotImplemented

from .common import (
    CONV_DTYPES,
    CONV_LAYERS,
    CONV_LAYOUTS,
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
    def setup(ceilings, layer, layout, dtype, device, threads):
        w = find_workload("conv", device, case=layer, layout=layout, dtype=dtype,
                          direction=direction)  # fmt: skip
        _STATE[direction] = use_inner(prepared(w))

    return setup


class TimeConv2d:
    """``F.conv2d`` forward, and its backward-data and backward-weight on their own.

    The backward passes go through ``aten.convolution_backward`` with an output
    mask, so neither includes the other or the forward. ``setup_cache``
    measures the machine's ceilings once per commit for the roofline metric.
    """

    params = (CONV_LAYERS, CONV_LAYOUTS, CONV_DTYPES, DEVICES, THREADS)
    param_names = ("layer", "layout", "dtype", "device", "threads")
    timer = staticmethod(per_call_timer)  # asv reports one call, not the inner loop
    timeout = 300  # setup_cache measures ceilings; float64 references of big layers

    def setup_cache(self):
        return ceilings_json()

    def setup(self, ceilings, layer, layout, dtype, device, threads):
        require_device(device)
        set_threads(threads)
        self.threads = threads

    def time_forward(self, ceilings, layer, layout, dtype, device, threads):
        run_inner(*_STATE["forward"])

    def time_backward_data(self, ceilings, layer, layout, dtype, device, threads):
        run_inner(*_STATE["backward_data"])

    def time_backward_weight(self, ceilings, layer, layout, dtype, device, threads):
        run_inner(*_STATE["backward_weight"])

    def track_max_rel_err(self, ceilings, layer, layout, dtype, device, threads):
        """Forward output vs float64 (scaled by the sum of |products|)."""
        return _STATE["forward"][0].max_rel_err

    def track_gflops(self, ceilings, layer, layout, dtype, device, threads):
        """Achieved GFLOP/s of the forward (a multiply-add counts 2)."""
        p = _STATE["forward"][0]
        return p.workload.flops / measured_median(p, self.threads) / 1e9

    def track_roofline_pct(self, ceilings, layer, layout, dtype, device, threads):
        """Forward's roofline time over its measured time, in %."""
        p = _STATE["forward"][0]
        try:
            r = roofline_of(ceilings, p.workload, measured_median(p, self.threads))
        except NotImplementedError as exc:
            raise SkipNotImplemented(str(exc)) from exc
        return 100.0 * r.fraction

    def track_device_ms(self, ceilings, layer, layout, dtype, device, threads):
        """CUDA event time of one forward call."""
        if device != "cuda":
            raise SkipNotImplemented("device time is measured with CUDA events only")
        return 1e3 * measured_median(_STATE["forward"][0], self.threads)

    time_forward.setup = _prepare("forward")
    time_backward_data.setup = _prepare("backward_data")
    time_backward_weight.setup = _prepare("backward_weight")
    track_max_rel_err.setup = track_gflops.setup = _prepare("forward")
    track_roofline_pct.setup = track_device_ms.setup = _prepare("forward")
    track_max_rel_err.unit = "relative error"
    track_gflops.unit = "GFLOP/s"
    track_roofline_pct.unit = "%"
    track_device_ms.unit = "ms"


class TimeLayoutConversion:
    """NCHW -> channels_last copy of a layer's input: the price of switching layout."""

    params = (CONV_LAYERS, CONV_DTYPES, DEVICES, THREADS)
    param_names = ("layer", "dtype", "device", "threads")
    timer = staticmethod(per_call_timer)  # asv reports one call, not the inner loop

    def setup(self, layer, dtype, device, threads):
        require_device(device)
        set_threads(threads)
        w = find_workload("layout", device, case=layer, dtype=dtype)
        self.p, self.inner = use_inner(prepared(w))

    def time_convert(self, layer, dtype, device, threads):
        run_inner(self.p, self.inner)
