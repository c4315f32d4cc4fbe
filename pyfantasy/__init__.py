"""pyfantasy: read and decode what Go's charm.land/fantasy records, at native speed."""
from __future__ import annotations

from ._backend import available_backends, backend
from ._errors import (BackendUnavailableError, CassetteError, DecodeError,
                      PyfantasyError, SSEError)

__version__ = "0.1.0"

__all__ = [
    "__version__", "backend", "available_backends",
    "PyfantasyError", "BackendUnavailableError", "SSEError", "CassetteError", "DecodeError",
]
