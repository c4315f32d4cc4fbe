"""What every ``pyfantasy`` subcommand shares: one option vocabulary, old spellings kept.

``VOCABULARY`` is the single table of the options that mean the same thing in
every subcommand; ``pyfantasy --help`` prints it and the README holds the same
table (a test compares them). ``deprecated`` keeps an old spelling working: it
stores into the new option's destination and notes a deprecation message that
``cli.main`` prints before running. ``check_backend`` turns a bad
``--backend``/``PYFANTASY_BACKEND`` into a usage error before any file is read.
"""
from __future__ import annotations

import argparse
from typing import Any, List, Optional, Sequence, TextIO

from pyfantasy._errors import PyfantasyError

# (option, meaning, subcommands and values, old spellings still accepted)
VOCABULARY = (
    ("PATH ...", "cassettes (.yaml, .yml), raw stream captures (.sse) or folders of them",
     "decode (- reads standard input), scan, serve, bench", ""),
    ("--wire FORMAT", "wire format the response bodies are decoded as (default: detected): "
     "openai-chat, openai-responses, anthropic, google, bedrock", "decode, scan, bench",
     "--wire-format; decode and scan --format FORMAT"),
    ("--to FORMAT", "output format", "decode: text, jsonl; scan: sqlite, jsonl, csv, parquet; "
     "report, bench: text, json (--json is short for --to json)",
     "decode --format and --output text or jsonl; scan --out-format"),
    ("-o, --output FILE", "output file", "decode (default: standard output), scan (default: results.db)",
     "scan --out"),
    ("--from FORMAT", "format of a results file (default: told from the file)", "report", "--input-format"),
    ("--backend NAME", "native or python (default: PYFANTASY_BACKEND, else native)", "decode, scan", ""),
)
_HEAD = ("option", "meaning", "where (values)", "old spellings (deprecated)")


def vocabulary_text(width: int = 100) -> str:
    """The vocabulary as indented plain text, for ``--help``."""
    import textwrap
    out = ["options shared by the subcommands (old spellings still work, with a warning):"]
    for opt, meaning, where, old in VOCABULARY:
        out.append(f"  {opt}")
        text = f"{meaning}. In: {where}." + (f" Was: {old}." if old else "")
        out.extend(textwrap.wrap(text, width - 6, initial_indent="      ", subsequent_indent="      "))
    return "\n".join(out)


def vocabulary_markdown() -> str:
    """The vocabulary as a Markdown table, as the README holds it."""
    rows = [_HEAD, ("---",) * 4] + [tuple(f"`{c}`" if i in (0,) else c for i, c in enumerate(r))
                                    for r in VOCABULARY]
    return "\n".join("| " + " | ".join(c or "-" for c in r) + " |" for r in rows)


class _Deprecated(argparse.Action):
    """An old spelling: sets the new option's destination and notes the new spelling."""

    def __init__(self, option_strings: Sequence[str], dest: str, use: str = "", nargs: Any = None,
                 const: Any = None, append: bool = False, **kw: Any):
        self.use = use
        self.append = append
        super().__init__(option_strings, dest, nargs=nargs, const=const, **kw)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: Optional[str] = None) -> None:
        value = self.const if self.nargs == 0 else values
        use = self.use.replace("VALUE", str(value))
        note(namespace, f"{parser.prog}: {option_string} is deprecated; use {use}")
        if self.append:
            setattr(namespace, self.dest, (getattr(namespace, self.dest, None) or []) + [value])
        else:
            setattr(namespace, self.dest, value)


def note(namespace: argparse.Namespace, message: str) -> None:
    """Remember a deprecation message for ``cli.main`` to print (once)."""
    notes: List[str] = getattr(namespace, "deprecations", None) or []
    if message not in notes:
        notes.append(message)
    namespace.deprecations = notes


def deprecated(parser: argparse.ArgumentParser, option: str, dest: str, use: str, **kw: Any) -> None:
    """Accept ``option`` (hidden from --help) as an old spelling of ``use`` (``VALUE`` in
    ``use`` is replaced by the value given)."""
    parser.add_argument(option, dest=dest, action=_Deprecated, use=use, help=argparse.SUPPRESS, **kw)


def add_paths(parser: argparse.ArgumentParser, what: str, nargs: str = "+") -> None:
    parser.add_argument("paths", nargs=nargs, metavar="PATH", help=what)


def add_wire(parser: argparse.ArgumentParser, choices: Sequence[str], dest: str, *, repeat: bool = False) -> None:
    """``--wire`` (and the old ``--wire-format``) into ``dest``."""
    action = "append" if repeat else "store"
    parser.add_argument("--wire", dest=dest, action=action, choices=choices, metavar="FORMAT",
                        help="decode as this wire format (default: detected from each request)"
                             + ("; repeatable" if repeat else "") + f": {', '.join(choices)}")
    deprecated(parser, "--wire-format", dest, "--wire VALUE", choices=choices, append=repeat)


def check_backend(name: Optional[str], prog: str, err: TextIO) -> bool:
    """False (after one line on ``err``) when ``--backend``/``PYFANTASY_BACKEND`` cannot be used."""
    from pyfantasy._kernels import resolve
    try:
        resolve(name)
    except (ValueError, PyfantasyError) as exc:
        source = "--backend" if name is not None else "PYFANTASY_BACKEND"
        err.write(f"{prog}: {source}: {exc}\n")
        return False
    return True


def plural(n: int, word: str) -> str:
    """``1 cassette file``, ``2 cassette files``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")
