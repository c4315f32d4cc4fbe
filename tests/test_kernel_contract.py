"""The C/Python kernel contract: every constant the Python side restates equals native/pyfantasy.h.

native/pyfantasy.h is both the C header and the cffi cdef, so it holds only declarations
and ``#define NAME <integer>``. This module reads those defines from the header text and
checks, by name, the Python constants that mirror them (jsonscan's node flags and chunk
statuses, evstream_contract's codes, the native wrappers' record widths, part types,
value kinds and vcr field codes), that the compiled lib exposes the header's values, and
that build_ffi.py compiles exactly native/*.c (and fails loudly when a listed file is gone).
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyfantasy._kernels import evstream_contract, jsonscan

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "native"
HEADER = NATIVE / "pyfantasy.h"

_DEFINE = re.compile(r"^\s*#\s*define\s+(\w+)(?:\s+(.*?))?\s*(?:/\*.*)?$")
_INT = re.compile(r"^\(?\s*(-?\s*(?:0[xX][0-9a-fA-F]+|\d+))\s*\)?$")


def header_defines(text: str) -> dict:
    """``{name: value}`` of the header's ``#define NAME <integer>`` lines; ValueError naming
    a define whose value is not an integer (the cdef accepts nothing else)."""
    out = {}
    for line in text.splitlines():
        m = _DEFINE.match(line)
        if not m:
            continue
        name, value = m.group(1), (m.group(2) or "").split("/*")[0].strip()
        v = _INT.match(value)
        if v is None:
            raise ValueError(f"pyfantasy.h: #define {name} is not an integer constant: {value!r}")
        out[name] = int(v.group(1).replace(" ", ""), 0)
    return out


DEFINES = header_defines(HEADER.read_text())

# Python constant (module, attribute) -> the header name it mirrors.
MIRRORS = {
    (jsonscan, "STAR"): "PF_NODE_STAR",
    (jsonscan, "LEAF"): "PF_NODE_LEAF",
    (jsonscan, "COALESCE"): "PF_NODE_COALESCE",
    (jsonscan, "INERT"): "PF_NODE_INERT",
    (jsonscan, "INERT_NULL"): "PF_NODE_INERT_NULL",
    (jsonscan, "CHUNK_OK"): "PF_CHUNK_OK",
    (jsonscan, "CHUNK_BAD_JSON"): "PF_CHUNK_BAD_JSON",
    (jsonscan, "CHUNK_DONE"): "PF_CHUNK_DONE",
    (jsonscan, "CHUNK_OTHER"): "PF_CHUNK_OTHER",
}
# evstream_contract's codes are PF_EVS_<name>, every one of them.
_EVS_CODES = ("OK", "E_PRELUDE", "E_PRELUDE_CRC", "E_MESSAGE_CRC", "E_HEADER", "E_NO_MESSAGE_TYPE",
              "E_NO_EVENT_TYPE", "E_PAYLOAD", "E_BASE64", "EXCEPTION", "ERROR", "E_TRUNCATED")
MIRRORS.update({(evstream_contract, n): "PF_EVS_" + n for n in _EVS_CODES})


def mismatches(mirrors: dict, defines: dict) -> list:
    """One line per Python constant that differs from (or is missing in) the header, by name."""
    bad = []
    for (module, attr), cname in mirrors.items():
        mod = module.__name__
        if not hasattr(module, attr):
            bad.append(f"{mod}.{attr}: missing (mirrors {cname})")
        elif cname not in defines:
            bad.append(f"{mod}.{attr}: {cname} is not defined in pyfantasy.h")
        elif getattr(module, attr) != defines[cname]:
            bad.append(f"{mod}.{attr} = {getattr(module, attr)!r}, but pyfantasy.h has {cname} {defines[cname]}")
    return bad


def test_header_defines_are_integers():
    assert DEFINES, "no #define found in pyfantasy.h"
    with pytest.raises(ValueError, match="PF_BAD"):
        header_defines("#define PF_BAD (1 << 2)\n")
    assert header_defines("#define PF_A -3  /* x */\n#define PF_B 0x100\n") == {"PF_A": -3, "PF_B": 0x100}


def test_python_constants_equal_the_header():
    assert mismatches(MIRRORS, DEFINES) == []


def test_evstream_contract_codes_are_all_mirrored():
    """Every PF_EVS_* of the header has its evstream_contract constant, and no code is left out."""
    header = {n[len("PF_EVS_"):] for n in DEFINES if n.startswith("PF_EVS_") and not n.endswith("_W")}
    assert header == set(_EVS_CODES)


def test_a_mismatch_is_reported_by_name():
    wrong = dict(DEFINES, PF_CHUNK_DONE=DEFINES["PF_CHUNK_DONE"] + 1)
    del wrong["PF_NODE_LEAF"]
    bad = mismatches(MIRRORS, wrong)
    assert any("jsonscan.CHUNK_DONE" in b and "PF_CHUNK_DONE" in b for b in bad), bad
    assert any("jsonscan.LEAF" in b and "PF_NODE_LEAF is not defined" in b for b in bad), bad
    assert len(bad) == 2, bad


def test_status_and_data_codes():
    """One status-code set; the data codes are not statuses (see pyfantasy.h)."""
    status = {n: v for n, v in DEFINES.items() if n == "PF_OK" or n == "PF_UNSUPPORTED" or n.startswith("PF_ERR_")}
    assert status == {"PF_OK": 0, "PF_UNSUPPORTED": 1, "PF_ERR_NOMEM": -1, "PF_ERR_CLOSED": -2, "PF_ERR_SYNTAX": -3}
    for gone in ("PF_VCR_UNSUPPORTED", "PF_DEC_OK", "PF_DEC_FALLBACK", "PF_LEX_SYNTAX", "PF_LEX_NOMEM"):
        assert gone not in DEFINES
    c_text = "".join(p.read_text() for p in NATIVE.glob("*.[ch]"))
    assert not re.search(r"\bPF_LEX_(SYNTAX|NOMEM)\b|\bPF_VCR_UNSUPPORTED\b|\bPF_DEC_(OK|FALLBACK)\b", c_text)


def test_record_widths_are_named():
    widths = {n: v for n, v in DEFINES.items() if n.endswith("_W")}
    assert widths == {"PF_SSE_EV_W": 7, "PF_SSE_RETRY_W": 3, "PF_SCAN_CHUNK_W": 7, "PF_SCAN_REC_W": 6,
                      "PF_VCR_REC_W": 5, "PF_VCR_LIGHT_W": 32, "PF_EVS_EV_W": 2, "PF_PART_W": 8}
    assert DEFINES["PF_VCR_LIGHT_W"] == 3 * DEFINES["PF_VL_N"] + 5 == DEFINES["PF_VL_STREAM"] + 1


def test_no_literal_widths_in_the_python_wrappers():
    """Record widths come from lib.PF_*_W: no ffi.unpack(..., <n> * count) or range/slice strides."""
    files = sorted((ROOT / "pyfantasy" / "_kernels" / "native").glob("*.py")) + \
        sorted((ROOT / "pyfantasy" / "_kernels").glob("vcr*.py"))
    literal = re.compile(r"ffi\.unpack\([^,]+,\s*\d|\b\d\s*\*\s*n(rec|ev|retry)?\b|range\(0,\s*\d+\s*\*|"
                         r"\[\d\s*\*\s*\w+\s*:|\[[^\]]*::\d\]")
    found = [f"{f.name}:{i}: {line.strip()}" for f in files
             for i, line in enumerate(f.read_text().splitlines(), 1) if literal.search(line)]
    assert found == []


def _sources_listed() -> list:
    tree = ast.parse((NATIVE / "build_ffi.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SOURCES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("build_ffi.py has no SOURCES list")


def test_build_ffi_lists_every_c_file():
    listed = _sources_listed()
    assert len(listed) == len(set(listed)), listed
    assert sorted(listed) == sorted(p.name for p in NATIVE.glob("*.c"))


def test_build_ffi_fails_naming_a_missing_source(tmp_path):
    copy = tmp_path / "native"
    shutil.copytree(NATIVE, copy, ignore=shutil.ignore_patterns("*.o", "__pycache__"))
    (copy / "pf_genai.c").unlink()
    proc = subprocess.run([sys.executable, "-c", "import build_ffi"], cwd=copy, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert proc.returncode != 0
    assert "FileNotFoundError" in proc.stderr and "pf_genai.c" in proc.stderr, proc.stderr


def _vcr_fields(array: str) -> tuple:
    text = (NATIVE / "pf_vcr.c").read_text()
    body = re.search(r"static const vcr_field " + array + r"\[\] = \{(.*?)\};", text, re.S)
    assert body, array
    return tuple(re.findall(r'F\("(\w+)"', body.group(1)))


# ---- against the compiled lib ----------------------------------------------------------


@pytest.mark.needs_native
def test_lib_exposes_the_header_values():
    from pyfantasy._kernels.native import lib
    bad = [f"{n}: lib has {getattr(lib, n, None)!r}, pyfantasy.h {v}" for n, v in DEFINES.items()
           if getattr(lib, n, None) != v]
    assert bad == []


@pytest.mark.needs_native
def test_native_wrappers_read_the_header():
    from pyfantasy._kernels.native import decoders, scan, sse, vcr
    for module in (scan, decoders):
        for k in ("NULL", "FALSE", "TRUE", "NUMBER", "STRING", "OBJECT", "ARRAY", "RAW"):
            assert getattr(module, "K_" + k) == DEFINES["PF_K_" + k], (module.__name__, k)
    assert (scan.CW, scan.RW, sse.EW, sse.RW, decoders.W, vcr._W) == (
        DEFINES["PF_SCAN_CHUNK_W"], DEFINES["PF_SCAN_REC_W"], DEFINES["PF_SSE_EV_W"], DEFINES["PF_SSE_RETRY_W"],
        DEFINES["PF_PART_W"], DEFINES["PF_VCR_REC_W"])
    for name in ("TEXT_START", "TEXT_DELTA", "TEXT_END", "REASONING_START", "REASONING_DELTA", "REASONING_END",
                 "TOOL_INPUT_START", "TOOL_INPUT_DELTA", "TOOL_INPUT_END", "TOOL_CALL", "SOURCE", "FINISH", "ERROR",
                 "META", "EOF", "USAGE", "EXTRA", "ROUTER", "TOOL_RESULT", "PROVIDER_TOOL_CALL",
                 "TOOL_CALL_OBJECT", "WEB_SEARCH_RESULT", "TEXT_CONTENT", "REASONING_CONTENT"):
        assert getattr(decoders, name) == DEFINES["PF_PT_" + name], name
    finish = {"stop": "STOP", "length": "LENGTH", "content-filter": "CONTENT_FILTER", "tool-calls": "TOOL_CALLS",
              "error": "ERROR", "other": "OTHER", "unknown": "UNKNOWN"}
    for code, reason in enumerate(decoders._FINISH):
        assert DEFINES["PF_FR_" + finish[reason]] == code, reason


@pytest.mark.needs_native
def test_vcr_field_codes_follow_the_c_tables():
    """Field PF_VCR_REQUEST + i is REQ_FIELDS[i] of pf_vcr.c, PF_VCR_RESPONSE + i RESP_FIELDS[i]."""
    from pyfantasy._kernels.native import vcr
    assert vcr._REQ == _vcr_fields("REQ_FIELDS")
    assert vcr._RESP == _vcr_fields("RESP_FIELDS")
    assert DEFINES["PF_VCR_REQUEST"] + len(vcr._REQ) <= DEFINES["PF_VCR_RESPONSE"]
    assert vcr._FIELDS[DEFINES["PF_VCR_REQUEST"]] == (False, "proto")
    assert vcr._FIELDS[DEFINES["PF_VCR_RESPONSE"] + len(vcr._RESP) - 1] == (True, "duration")
    assert (vcr._BINARY, vcr._PLAIN, vcr._NULL, vcr._KEY, vcr._ITEM) == tuple(
        DEFINES["PF_VCR_" + n] for n in ("BINARY", "PLAIN", "NULL", "KEY", "ITEM"))
