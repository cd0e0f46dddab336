"""The asv suite: thin ``Time<Op>`` classes over :mod:`cnnbench.bench.workloads`.

asv imports this package from the working tree and runs it against the
*benchmarked commit's* installed ``bench`` package; see ``common.py`` for the
guard that turns a missing API into "n/a" instead of a failure.
"""
