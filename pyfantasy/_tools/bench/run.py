"""Running the bench: each applicable contender checked once, calibrated, then timed round-robin
with the garbage collector off; the figure is the best of ``repeat`` repetitions."""
from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from pyfantasy._tools.bench.contenders import Contender, RunFn, contenders
from pyfantasy._tools.bench.workload import Workload


@dataclass
class Result:
    """One contender on one workload. ``status``: ok, failed (wrong event count
    or an exception: never timed) or skipped (library missing, not applicable)."""

    name: str
    status: str
    version: Optional[str] = None
    seconds: Optional[float] = None
    events: Optional[int] = None
    number: int = 0
    reason: str = ""
    notes: str = ""
    ratio: Optional[float] = None
    mb_per_s: Optional[float] = None
    events_per_s: Optional[float] = None


def _version(dist: Optional[str]) -> Optional[str]:
    if dist is None:
        return None
    try:
        from importlib.metadata import version
        return version(dist)
    except Exception:
        return None


def _timed(fn: RunFn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def run_workload(wl: Workload, cands: Sequence[Contender], repeat: int = 5,
                 min_time: float = 0.05) -> List[Result]:
    """Check, calibrate and time every applicable contender on one workload."""
    from pyfantasy import __version__
    from pyfantasy._errors import BackendUnavailableError
    results: List[Result] = []
    live: List[Tuple[Result, RunFn]] = []
    for c in cands:
        if not c.applies(wl):
            continue
        version = __version__ if c.kind == "pyfantasy" else _version(c.dist)
        res = Result(c.name, "ok", version)
        results.append(res)
        try:
            prepared = c.make(wl)
        except NotImplementedError as exc:
            res.status, res.reason = "skipped", str(exc)
            continue
        except BackendUnavailableError:
            res.status, res.reason = "skipped", "native extension not built"
            continue
        except ImportError as exc:
            res.status, res.reason = "skipped", f"{c.dist or exc.name} not installed"
            continue
        fn, counter = prepared[0], prepared[1]
        verify = prepared[2] if len(prepared) > 2 else None
        try:
            t0 = time.perf_counter()
            got = fn()
            first = time.perf_counter() - t0
            events, problem = verify(got) if verify is not None else (got, "")
        except Exception as exc:
            res.status, res.reason = "failed", f"{type(exc).__name__}: {exc}"
            continue
        res.events = events
        if not problem and events != wl.events:
            problem = f"processed {events} events, expected {wl.events}"
        if problem:
            res.status, res.reason = "failed", problem
            continue
        if counter.rejected:
            res.notes = f"the SDK rejected {counter.rejected} of {wl.events} events"
        res.number = max(1, math.ceil(min_time / first)) if first > 0 and min_time > 0 else 1
        live.append((res, fn))
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        best = {id(r): math.inf for r, _ in live}
        for _ in range(max(1, repeat)):
            for res, fn in live:
                best[id(res)] = min(best[id(res)], _timed(fn, res.number))
    finally:
        if was_enabled:
            gc.enable()
    for res, _ in live:
        res.seconds = best[id(res)]
    timed = [(r, r.seconds) for r in results if r.status == "ok" and r.seconds]
    fastest = min((s for _, s in timed), default=None)
    for r, seconds in timed:
        r.ratio = seconds / fastest if fastest else None
        r.mb_per_s = wl.nbytes / seconds / 1e6
        r.events_per_s = wl.events / seconds
    return results


def run_bench(workloads: Sequence[Workload], cands: Optional[Sequence[Contender]] = None, repeat: int = 5,
              min_time: float = 0.05, only: Optional[Sequence[str]] = None,
              progress: Optional[Callable[[str], None]] = None) -> List[Tuple[Workload, List[Result]]]:
    """Run every workload; ``only`` keeps contenders whose names are listed."""
    cands = list(cands if cands is not None else contenders())
    if only:
        cands = [c for c in cands if c.name in only]
    out: List[Tuple[Workload, List[Result]]] = []
    for wl in workloads:
        if not wl.bodies:  # pyfantasy could decode none of them: nothing to compare on
            out.append((wl, []))
            continue
        if progress:
            progress(wl.name)
        out.append((wl, run_workload(wl, cands, repeat, min_time)))
    return out
