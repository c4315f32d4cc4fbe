"""The Go oracle: builds tests/go/oracle once and runs it on batches of cases.

What: ``scripts/install_go.sh`` puts Go 1.23, gopkg.in/yaml.v3 and
go.yaml.in/yaml/v4 (rc.6) in one folder; this module finds that folder,
builds the oracle program there (GOPATH mode, offline; the binary is cached
under the hash of its sources) and sends it JSON requests (see
tests/go/oracle/main.go). Each request is one process, so batch many cases.

Without Go the tests that need it skip with the reason; with ``CI`` set a
missing Go is a failure, so CI cannot go green without running them.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from helpers import ROOT

SOURCES = ROOT / "tests" / "go" / "oracle"
GO_HOME = Path(os.environ.get("PYFANTASY_GO_HOME")
               or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pyfantasy-go")
GOROOT = GO_HOME / "root" / "usr" / "lib" / "go-1.23"
GOPATH = GO_HOME / "root" / "usr" / "share" / "gocode"


def go_env() -> Dict[str, str]:
    """GOPATH mode, no network, no toolchain switch, build cache inside GO_HOME."""
    env = dict(os.environ)
    env.update(GOROOT=str(GOROOT), GOPATH=str(GOPATH), GOPROXY="off", GO111MODULE="off",
               GOTOOLCHAIN="local", GOFLAGS="", GOCACHE=str(GO_HOME / "gocache"), CGO_ENABLED="0")
    return env


def _missing() -> Optional[str]:
    go = GOROOT / "bin" / "go"
    if not go.is_file():
        return f"Go oracle not installed: no {go} (run scripts/install_go.sh)"
    for lib in ("gopkg.in/yaml.v3", "go.yaml.in/yaml/v4"):
        if not (GOPATH / "src" / lib).is_dir():
            return f"Go oracle not installed: no {lib} under {GOPATH} (run scripts/install_go.sh)"
    return None


@lru_cache(maxsize=None)
def _build() -> str:
    digest = hashlib.sha256()
    for f in sorted(SOURCES.glob("*.go")):
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    exe = GO_HOME / "bin" / f"oracle-{digest.hexdigest()[:16]}"
    if not exe.is_file():
        exe.parent.mkdir(parents=True, exist_ok=True)
        # a name of this process's own: the sanitizer job's pytest may build it at the same time
        tmp = exe.with_suffix(f".{os.getpid()}.tmp")
        proc = subprocess.run([str(GOROOT / "bin" / "go"), "build", "-o", str(tmp), "."],
                              cwd=SOURCES, env=go_env(), capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"building the Go oracle failed:\n{proc.stderr}")
        os.replace(tmp, exe)
    return str(exe)


def oracle() -> str:
    """The oracle binary; skips (fails when ``CI`` is set) when Go is not installed."""
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI requires the Go oracle", pytrace=False)
        pytest.skip(reason)
    return _build()


def run(request: Dict[str, Any]) -> List[Any]:
    """Send one request to the oracle and return its answer (a list, one item per case)."""
    proc = subprocess.run([oracle()], input=json.dumps(request).encode(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError(f"Go oracle failed: {proc.stderr.decode(errors='replace')}")
    return json.loads(proc.stdout)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Optional[str]) -> Optional[bytes]:
    return None if text is None else base64.b64decode(text)


# docs/cassettes.md#the-pure-python-fallback: Go writes a block scalar whose first line starts with a
# TAB but its decoders (yaml.v3 and v4 alike) reject it with this error.
TAB_QUIRK = "found a tab character where an indentation space is expected"


def _body(body) -> str:
    return b64(body if isinstance(body, (bytes, bytearray)) else body.encode("utf-8"))


def cassette_json(c) -> Dict[str, Any]:
    """A pyfantasy Cassette in the oracle's JSON form (bodies base64, durations in ns)."""
    out = []
    for index, it in enumerate(c.interactions):
        q, r = it.request, it.response
        out.append({
            "id": index,
            "request": {"proto": q.proto, "proto_major": q.proto_major,
                        "proto_minor": q.proto_minor, "content_length": q.content_length,
                        "transfer_encoding": list(q.transfer_encoding), "trailer": q.trailer,
                        "host": q.host, "remote_addr": q.remote_addr,
                        "request_uri": q.request_uri, "body": _body(q.body), "form": q.form,
                        "headers": q.headers, "url": q.url, "method": q.method},
            "response": {"proto": r.proto, "proto_major": r.proto_major,
                         "proto_minor": r.proto_minor,
                         "transfer_encoding": list(r.transfer_encoding), "trailer": r.trailer,
                         "content_length": r.content_length, "uncompressed": r.uncompressed,
                         "body": _body(r.body), "headers": r.headers, "status": r.status,
                         "code": r.code, "duration_ns": r.duration_ns},
        })
    return {"version": 2, "interactions": out}


def comparable(jc: Dict[str, Any], ids: bool = True) -> Dict[str, Any]:
    """Go's decoded cassette (or :func:`cassette_json`) with nil maps/lists as empty ones."""
    out = []
    for index, it in enumerate(jc["interactions"] or []):
        parts = {}
        for side in ("request", "response"):
            d = dict(it[side])
            for k in ("trailer", "form", "headers"):
                if k in d:
                    d[k] = {key: list(v or []) for key, v in (d[k] or {}).items()}
            d["transfer_encoding"] = list(d["transfer_encoding"] or [])
            d["body"] = base64.b64decode(d["body"] or "")
            parts[side] = d
        out.append({"id": it["id"] if ids else index, **parts})
    return {"version": jc["version"], "interactions": out}
