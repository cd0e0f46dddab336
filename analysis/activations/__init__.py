"""Activations: the registry, their modules and identities, Taylor series, and the claims about
them.
"""

import warnings as _warnings

from cnnbench.analysis._validation import ParameterError as _ParameterError
from cnnbench.analysis.activations.plugins import load_plugins as _load_plugins

# Installed entry points and CNNBENCH_PLUGINS register their activations as soon as the
# registry is imported; a broken one warns here (the CLI's --plugin refuses it, exit 2).
try:
    _load_plugins()
except _ParameterError as _exc:
    _warnings.warn(f"cnnbench activation plugins not loaded: {_exc}", stacklevel=2)
