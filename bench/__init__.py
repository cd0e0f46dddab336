"""Timing: harness, hardware ceilings, workloads, asv benchmarks and the CI gate."""
