"""Sweep profiles and devices, importable without torch (the command line's help uses them)."""

from __future__ import annotations

import os

from cnnbench.analysis._validation import as_choice

PROFILES = ("short", "full")
DEVICES = ("cpu", "cuda")
PROFILE_ENV = "CNNBENCH_PROFILE"


def resolve_profile(profile: str | None) -> str:
    """The profile named, else $CNNBENCH_PROFILE, else "short"."""
    if profile is None:
        profile = os.environ.get(PROFILE_ENV) or "short"
        return as_choice(f"${PROFILE_ENV}", profile, PROFILES)
    return as_choice("profile", profile, PROFILES)
