"""Every docstring example of the package runs, imported under its real name.

pytest's ``--doctest-modules analysis`` would import ``analysis/`` as a second,
top-level package beside ``cnnbench.analysis`` (two copies of every module), so
the examples are run here, from the modules as the package imports them.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import cnnbench.analysis
import cnnbench.bench
import cnnbench.reports
import pytest


def _modules() -> list[str]:
    names = []
    for pkg in (cnnbench.analysis, cnnbench.bench, cnnbench.reports):
        names.append(pkg.__name__)
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if ".benchmarks" not in info.name:  # the asv suite, imported by asv only
                names.append(info.name)
    return sorted(names)


MODULES = _modules()


def test_every_package_module_is_collected():
    assert {"cnnbench.analysis.claims._core", "cnnbench.bench.stats",
            "cnnbench.reports.render"} <= set(MODULES)  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, name):
        runner.run(test, out=lambda text: None)  # failures are counted below
    result = runner.summarize(verbose=False)
    if result.failed:  # re-run the failing module's examples to show what differed
        failures = []
        for test in finder.find(module, name):
            r = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
            r.run(test, out=failures.append)
        pytest.fail("".join(failures))
