"""cffi build script: compiles native/*.c into ``pyfantasy._native_lib`` (API mode, out of line).

Environment:
- PYFANTASY_REQUIRE_NATIVE=1: a failed compile fails the install (default: the
  extension is optional and pyfantasy falls back to its pure-Python backend).
- PYFANTASY_SANITIZE=1: build with -fsanitize=address,undefined (run under
  LD_PRELOAD=libasan.so; see tests/test_build.py::test_native_under_address_and_undefined_sanitizers).
"""
import os
import sys
import sysconfig

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))
# Every native/*.c, each kernel in its own file (tests/test_kernel_contract.py checks the list).
SOURCES = ["pf_sse.c", "pf_json.c", "pf_genai.c", "pf_vcr.c", "pf_evstream.c", "pf_dec.c", "pf_chat.c",
           "pf_anthropic.c", "pf_responses.c", "pf_gemini.c"]


def _sources():
    """The listed sources as setuptools wants them; a missing one is an error, not a silent drop."""
    missing = [s for s in SOURCES if not os.path.isfile(os.path.join(HERE, s))]
    if missing:
        raise FileNotFoundError(f"native/build_ffi.py: listed C source(s) missing: "
                                f"{', '.join(os.path.join(HERE, s) for s in missing)}")
    return [_rel(s) for s in SOURCES]


def _rel(name):
    # setuptools wants source paths relative to the project root (the cwd of setup.py).
    path = os.path.join(HERE, name)
    try:
        return os.path.relpath(path)
    except ValueError:  # other drive on Windows
        return path


def _flags():
    """-O3 with link-time optimization across the C files (the decoders call the scanner's and
    the lexer's small functions per chunk: about 7% on chat streams), symbols hidden (the module's
    init function is the one export); the sanitizer build: -O1 with ASan and UBSan instead."""
    if sys.platform == "win32":
        return [], []
    warn = ["-std=c99", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    if os.environ.get("PYFANTASY_SANITIZE", "").strip() not in ("", "0"):
        return warn + ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined",
                       "-g", "-O1"], ["-fsanitize=address,undefined"]
    # gcc's "auto" runs its link-time jobs in parallel without a warning; clang takes plain -flto
    lto = "-flto=auto" if "gcc" in (sysconfig.get_config_var("CC") or "") else "-flto"
    return warn + ["-O3", "-fvisibility=hidden", lto], ["-O3", lto]


def _cdef_text():
    with open(os.path.join(HERE, "pyfantasy.h")) as f:
        return f.read()


ffibuilder = FFI()
ffibuilder.cdef(_cdef_text())
_cflags, _ldflags = _flags()
ffibuilder.set_source(
    "pyfantasy._native_lib",
    '#include "pyfantasy.h"\n',
    sources=_sources(),
    # every header, so that an in-place rebuild after a header-only change recompiles
    depends=sorted(_rel(h) for h in os.listdir(HERE) if h.endswith(".h")),
    include_dirs=[_rel(".")],
    extra_compile_args=_cflags,
    extra_link_args=_ldflags,
    optional=os.environ.get("PYFANTASY_REQUIRE_NATIVE", "").strip() in ("", "0"),
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
