"""The bench's results for people (``format_table``: one table per workload, fastest first) and for
machines (``to_json``), with the environment they were measured in."""
from __future__ import annotations

import os
import platform
from typing import Any, Dict, List, Optional, Sequence, Tuple

from pyfantasy._tools.bench.run import Result
from pyfantasy._tools.bench.workload import DEFAULT_CHUNK, Workload


def environment() -> Dict[str, Any]:
    """Python, machine and pyfantasy facts printed with the figures."""
    from pyfantasy import __version__
    from pyfantasy._kernels import native_available
    return {"pyfantasy": __version__, "native": native_available(),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": f"{platform.system()} {platform.machine()}", "cpus": os.cpu_count()}


def _si(v: Optional[float]) -> str:
    if v is None:
        return "-"
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:.2f}{unit}"
    return f"{v:.1f}"


def _kb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def format_table(runs: Sequence[Tuple[Workload, List[Result]]], source: str = "", chunk: int = DEFAULT_CHUNK,
                 repeat: int = 5, files: int = 0) -> str:
    """The results as text: one table per workload, fastest first."""
    from pyfantasy.cli.common import plural
    env = environment()
    lines = [f"pyfantasy bench: {source or '-'} ({plural(files, 'cassette file')}); chunks of {chunk} B; "
             f"min of {repeat} runs, GC off",
             f"Python {env['python']} ({env['implementation']}), {env['platform']}, {env['cpus']} CPUs; "
             f"pyfantasy {env['pyfantasy']} (native {'built' if env['native'] else 'NOT built'})", ""]
    if not runs:
        lines.append("no response bodies to decode")
    for wl, results in runs:
        lines.append(f"{wl.name}: {len(wl.bodies)} {'body' if len(wl.bodies) == 1 else 'bodies'}, "
                     f"{_kb(wl.nbytes)}, {wl.events:,} events"
                     + (f" ({len(wl.excluded)} left out: pyfantasy cannot decode them)" if wl.excluded else ""))
        for why in wl.excluded[:3]:
            lines.append(f"  left out {why}")
        if len(wl.excluded) > 3:
            lines.append(f"  ... and {len(wl.excluded) - 3} more (--json lists them all)")
        if not results:
            lines.append("")
            continue
        ok = sorted((r for r in results if r.status == "ok"), key=lambda r: r.seconds or 0.0)
        rest = [r for r in results if r.status != "ok"]
        head = ["contender", "version", "MB/s", "events/s", "vs fastest", "notes"]
        rows = [[r.name, r.version or "", f"{r.mb_per_s:.2f}", _si(r.events_per_s), f"{r.ratio:.2f}x", r.notes]
                for r in ok]
        rows += [[r.name, r.version or "", "-", "-", r.status.upper(), r.reason] for r in rest]
        widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head))]
        def fmt(r: List[str], widths: List[int] = widths) -> str:
            return "  ".join((c.ljust(widths[i]) if i in (0, 1, 5) else c.rjust(widths[i]))
                             for i, c in enumerate(r)).rstrip()
        lines.append("  " + fmt(head))
        lines += ["  " + fmt(r) for r in rows]
        lines.append("")
    lines.append("vs fastest: time relative to the fastest contender of the workload (1.00x = fastest). "
                 "Each result was checked before timing\n"
                 "(peers: events processed, and text, tool calls and output tokens equal to pyfantasy's; "
                 "pyfantasy: every Response equal to the python backend's).")
    return "\n".join(lines) + "\n"


def to_json(runs: Sequence[Tuple[Workload, List[Result]]], source: str = "", chunk: int = DEFAULT_CHUNK,
            repeat: int = 5, min_time: float = 0.05, files: int = 0) -> Dict[str, Any]:
    """The results for machines (``--json``)."""
    return {
        "environment": environment(), "source": source, "files": files, "chunk": chunk, "repeat": repeat,
        "min_time": min_time,
        "workloads": [{
            "format": wl.format, "stream": wl.stream, "bodies": len(wl.bodies), "bytes": wl.nbytes,
            "events": wl.events, "excluded": wl.excluded,
            "results": [{"name": r.name, "version": r.version, "status": r.status, "reason": r.reason or None,
                         "notes": r.notes or None, "seconds": r.seconds, "number": r.number, "events": r.events,
                         "mb_per_s": r.mb_per_s, "events_per_s": r.events_per_s, "ratio": r.ratio}
                        for r in results]}
            for wl, results in runs],
    }
