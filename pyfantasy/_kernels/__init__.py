"""The kernel seam: which backend runs, and the one table of kernels per backend.

Every kernel has a pure-Python twin (``python/``) and a C-backed one
(``native/``) with the same contract (``jsonscan``, ``sse_event``,
``evstream_contract``). ``kernel(name, backend)`` is the only place a backend
is chosen; only ``native/`` imports the compiled ``pyfantasy._native_lib``.

Selection: ``backend=`` argument, then ``PYFANTASY_BACKEND`` (read at every
resolution, so tests can change it), then native if it loads. Asking for
``native`` when the extension cannot load is an error, never a fallback.
"""
from __future__ import annotations

import importlib
import os
from typing import Any, Dict, List, Optional, Tuple

from pyfantasy._errors import BackendUnavailableError

BACKENDS = ("native", "python")

# kernel name -> (python implementation, native implementation), as "module:attribute";
# None: the backend has no kernel of its own there (its callers use the Python path)
KERNELS: Dict[str, Tuple[Optional[str], Optional[str]]] = {
    "sse": ("pyfantasy._kernels.python.sse:SSEKernel", "pyfantasy._kernels.native.sse:SSEKernel"),
    "scan": ("pyfantasy._kernels.python.scan:ScanKernel", "pyfantasy._kernels.native.scan:ScanKernel"),
    "scan-document": ("pyfantasy._kernels.python.scan:scan_document", "pyfantasy._kernels.native.scan:scan_document"),
    "genai-scan": ("pyfantasy._kernels.python.genai:GenaiKernel", "pyfantasy._kernels.native.scan:GenaiKernel"),
    "evstream": ("pyfantasy._kernels.python.evstream:EvStreamKernel",
                 "pyfantasy._kernels.native.evstream:EvStreamKernel"),
    # cassette reading: the C reader of the recorder's YAML subset; in Python, the loader itself
    "cassette": (None, "pyfantasy._kernels.native.vcr:native_interactions"),
    "cassette-light": (None, "pyfantasy._kernels.native.vcr:light_interactions"),
    # the per-format state machines: in Python they are the provider modules themselves
    "decoders": (None, "pyfantasy._kernels.native.decoders"),
}

_native_error: Optional[BaseException] = None
_native_checked = False
_resolved: Dict[Tuple[str, str], Any] = {}
# (kernel name, backend as asked: the argument, else PYFANTASY_BACKEND's raw value) -> kernel;
# kernel() is on every body's path, and resolve() costs a microsecond
_asked: Dict[Tuple[str, Any], Any] = {}
_ENV_KEY = "PYFANTASY_BACKEND"
# the process environment's own dict where os.environ has one (CPython): a read without
# os.environ's key encoding and value decoding, still seeing every change made through it
_ENV_DATA: Any = getattr(os.environ, "_data", None)
_ENV_RAW_KEY: Any = os.environ.encodekey(_ENV_KEY) if hasattr(os.environ, "encodekey") else None
if not isinstance(_ENV_DATA, dict) or _ENV_RAW_KEY is None:
    _ENV_DATA = None


def native_available() -> bool:
    """True when the C extension imports."""
    global _native_error, _native_checked
    if not _native_checked:
        _native_checked = True
        try:
            importlib.import_module("pyfantasy._kernels.native")
        except ImportError as exc:  # no compiler at install time, or a broken build
            _native_error = exc
    return _native_error is None


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


def kernel(name: str, backend: Optional[str] = None) -> Any:
    """The implementation of kernel ``name`` for ``backend`` (resolved as above);
    None where that backend has none of its own."""
    if backend is None:
        asked: Any = ("env", _ENV_DATA.get(_ENV_RAW_KEY) if _ENV_DATA is not None else os.environ.get(_ENV_KEY))
    else:
        asked = backend
    try:
        return _asked[name, asked]
    except KeyError:
        pass
    impl = _kernel(name, backend)
    _asked[name, asked] = impl   # not reached when resolve() raises: asking again raises again
    return impl


def _kernel(name: str, backend: Optional[str]) -> Any:
    which = resolve(backend)
    key = (name, which)
    try:
        return _resolved[key]
    except KeyError:
        pass
    target = KERNELS[name][0 if which == "python" else 1]
    impl = None
    if target is not None:
        module, _, attr = target.partition(":")
        impl = importlib.import_module(module)
        if attr:
            impl = getattr(impl, attr)
    _resolved[key] = impl
    return impl
