"""The README's Layout section is the tree: every module of pyfantasy/ and every file of
native/ appears in the drawing, and everything drawn exists. Also the seam's rules: one
place chooses a backend, one place imports the compiled library, no import circle."""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pyfantasy"
_ENTRY = re.compile(r"^((?:│   |    )*)(?:├── |└── )(\S+)")


def drawn_paths() -> Set[str]:
    """The paths of the README's Layout tree (a folder drawn without children is opaque)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    block = section.split("```text\n", 1)[1].split("```", 1)[0]
    paths: Set[str] = set()
    stack: List[str] = []
    for line in block.splitlines():
        if not line.strip():
            continue
        m = _ENTRY.match(line)
        if m is None:  # a root: "pyfantasy/", "native/"
            stack = [line.split()[0].rstrip("/")]
            paths.add(stack[0] + "/")
            continue
        depth = len(m.group(1)) // 4 + 1
        name = m.group(2)
        stack = stack[:depth] + [name.rstrip("/")]
        paths.add("/".join(stack) + ("/" if name.endswith("/") else ""))
    return paths


def tree_paths(drawn: Set[str]) -> Set[str]:
    """The files the drawing must show: modules under pyfantasy/ and native/'s sources,
    not descending into a folder drawn as opaque."""
    opaque = {p for p in drawn if p.endswith("/") and not any(q != p and q.startswith(p) for q in drawn)}
    out: Set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "native").glob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if "__pycache__" in rel or rel.startswith("pyfantasy/_native_lib") or rel.endswith((".so", ".o")):
            continue
        if any(rel.startswith(o) for o in opaque):
            continue
        out.add(rel)
        parent = path.parent
        while parent != ROOT:
            out.add(parent.relative_to(ROOT).as_posix() + "/")
            parent = parent.parent
    return out


def test_readme_layout_matches_the_tree():
    drawn = drawn_paths()
    assert "pyfantasy/" in drawn and "native/" in drawn
    actual = tree_paths(drawn)
    files_drawn = {p for p in drawn if not p.endswith("/")}
    assert sorted(actual - drawn) == [], "in the tree, missing from the README's Layout"
    missing = sorted(p for p in files_drawn if not (ROOT / p).exists())
    assert missing == [], "drawn in the README's Layout, not in the tree"


def _imports(path: Path) -> Set[str]:
    out: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _modules() -> Dict[str, Path]:
    mods = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods[".".join(parts)] = path
    return mods


def test_only_the_native_twins_import_the_compiled_library():
    users = sorted(name for name, path in _modules().items()
                   if any(i == "pyfantasy._native_lib" for i in _imports(path)))
    assert users == ["pyfantasy._kernels.native"]


def test_one_backend_dispatch_site():
    """Only _kernels/__init__.py compares backend names; everyone else asks kernel(name, backend)."""
    pattern = re.compile(r"""==\s*["'](native|python)["']|["'](native|python)["']\s*==""")
    offenders = []
    for name, path in _modules().items():
        if name == "pyfantasy._kernels":
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert offenders == []


def test_no_import_circle():
    """No cycle among the package's imports, counting imports inside functions too (the
    kernel table loads the twins by name, so the seam needs none)."""
    mods = _modules()
    graph = {name: {d for d in _imports(path) if d in mods and d != name} for name, path in mods.items()}
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    circles: List[List[str]] = []

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for name in sorted(graph):
        if name not in index:
            connect(name)
    assert sum(len(g) for g in graph.values()) > 100  # the walk sees the package's imports
    assert circles == []
