"""The C-backed twins; the only importer of the compiled ``pyfantasy._native_lib``.

Importing this package raises ImportError when the extension is missing or
belongs to another checkout (e.g. an editable install answering for us).
"""
from __future__ import annotations

import os
from typing import Any

from pyfantasy import _native_lib

_package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if os.path.dirname(os.path.abspath(_native_lib.__file__)) != _package:
    raise ImportError(f"pyfantasy._native_lib was found at {_native_lib.__file__}, "
                      f"outside the package at {_package}")

ffi = _native_lib.ffi
lib = _native_lib.lib

__all__ = ["ffi", "lib", "owned", "check"]


def owned(ptr: Any, free: Any, what: str) -> Any:
    """``ptr`` (just made by a ``pf_*_new``) freed with ``free`` when Python drops it;
    MemoryError naming ``what`` when the allocation failed."""
    if ptr == ffi.NULL:
        raise MemoryError(f"pyfantasy {what}: out of memory")
    return ffi.gc(ptr, free)


def check(rc: int, what: str) -> None:
    """Raise for a kernel call's nonzero status (callers test ``if rc:`` first, so the hot
    path pays no call): MemoryError for PF_ERR_NOMEM, ValueError otherwise."""
    if rc == lib.PF_ERR_NOMEM:
        raise MemoryError(f"pyfantasy {what}: out of memory")
    raise ValueError(f"pyfantasy {what}: kernel call failed ({rc})")
