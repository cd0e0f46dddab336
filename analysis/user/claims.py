"""A claims file as :class:`~cnnbench.analysis.claims.Claim` objects (ids ``user.<id>``,
seed ``user``, locator the claim's ``source``), run by the same machinery as the
registry's claims."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from cnnbench.analysis.claims._core import Claim
from cnnbench.analysis.seeds import USER
from cnnbench.analysis.user import checks
from cnnbench.analysis.user.schema import UserClaim, read_claims

FAMILY = "user"
_CHECKS = {"identity": checks.identity, "value": checks.value, "series": checks.series,
           "output-size": checks.output_size, "params": checks.params, "macs": checks.macs,
           "gain": checks.gain, "fixed-point": checks.fixed_point}  # fmt: skip
# Keys whose name in the file differs from the check's parameter.
_RENAME = {"value": {"value": "stated"}}
SLOW = ("params", "macs")  # build and trace a network: seconds for a large one


def _check(c: UserClaim):
    kwargs = {_RENAME.get(c.kind, {}).get(k, k): v for k, v in c.fields.items()}
    return partial(_CHECKS[c.kind], **kwargs)


def to_claim(c: UserClaim) -> Claim:
    return Claim(f"{FAMILY}.{c.id}", USER, c.source, c.statement, _check(c))


def load_claims(path: Path) -> tuple[Claim, ...]:
    """Every claim of the file ``path``, validated before any is returned
    (:class:`~cnnbench.analysis.user.schema.ClaimsFileError` otherwise)."""
    return tuple(to_claim(c) for c in read_claims(path))
