"""Backend selection: ``backend=`` argument, then ``PYFANTASY_BACKEND``, then native if it loads.

The environment variable is read at every resolution (not only at import) so
tests can change it. Asking for ``native`` when the extension cannot load is
an error, never a silent fallback.
"""
from __future__ import annotations

import os
from typing import List, Optional

from pyfantasy._errors import BackendUnavailableError

BACKENDS = ("native", "python")

_native_error: Optional[BaseException] = None
_native_checked = False
_native_mod = None


def _native_lib():
    """Import the compiled cffi module once; remember why it failed if it did."""
    global _native_error, _native_checked, _native_mod
    if not _native_checked:
        _native_checked = True
        try:
            from pyfantasy import _native_lib as mod
            here = os.path.dirname(os.path.abspath(__file__))
            if os.path.dirname(os.path.abspath(mod.__file__)) != here:
                # e.g. an editable install of another checkout answering for us
                raise ImportError(f"pyfantasy._native_lib was found at {mod.__file__}, "
                                  f"outside the package at {here}")
            _native_mod = mod
        except ImportError as exc:  # no compiler at install time, or a broken build
            _native_error = exc
    if _native_error is not None:
        return None
    return _native_mod


def native_available() -> bool:
    """True when the C extension imports."""
    return _native_lib() is not None


def available_backends() -> List[str]:
    """The backends that can be used on this installation, preferred first."""
    return [b for b in BACKENDS if b == "python" or native_available()]


def resolve(backend: Optional[str] = None) -> str:
    """Return the backend name to use: explicit argument > environment > default.

    Raises ValueError for an unknown name and BackendUnavailableError when
    ``native`` is requested but the extension is missing.
    """
    name = backend
    if name is None:
        name = os.environ.get("PYFANTASY_BACKEND", "")
    name = name.strip().lower()
    if not name:
        return "native" if native_available() else "python"
    if name not in BACKENDS:
        raise ValueError(f"unknown pyfantasy backend {name!r}; valid backends: native, python")
    if name == "native" and not native_available():
        raise BackendUnavailableError(
            "the native backend was requested but pyfantasy's C extension "
            f"(pyfantasy._native_lib) cannot be loaded ({_native_error}); "
            "reinstall pyfantasy with a working C compiler, or set "
            "PYFANTASY_BACKEND=python to use the pure-Python backend"
        ) from _native_error
    return name


def backend() -> str:
    """The name of the backend in use by default: ``"native"`` or ``"python"``."""
    return resolve(None)
