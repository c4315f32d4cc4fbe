"""How fast native decoding could be with the Response's objects made at C speed (an estimate).

    python benches/ceiling.py

For each decode group that issue 9 sets a 2x target on, per body: the C call alone
(``pf_dec_whole`` on a reused decoder, nothing copied out), what making the Response's objects
through CPython's C API would cost (estimated as ``orjson.loads`` of the Response's own JSON:
a tree of dicts, lists, str and int as rich as the Response), their sum (the ceiling of any
design that keeps today's C and makes every object eagerly), today's native ``decode_body``,
and the group's fastest peer, with the ratios against it. Minimum of ROUNDS runs each. Not a
product path and not a benchmark of record: it tells which lever a missed target needs.
"""
from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, List, Sequence, Tuple

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent), str(HERE.parent / "tests")]  # helpers.py

ROUNDS = 200


def best_us(run: Callable[[], object], n: int) -> float:
    """The fastest of ROUNDS runs of ``run``, per body, in microseconds."""
    m = float("inf")
    for _ in range(ROUNDS):
        t = time.perf_counter()
        run()
        m = min(m, time.perf_counter() - t)
    return m / n * 1e6


def row(name: str, jobs: Sequence[Tuple[bytes, str, str]], stream: bool, peer: Callable[[], object]) -> str:
    """One group's line: jobs are (body, format, variant) as decode_body takes them."""
    import orjson
    from pyfantasy._kernels.native import lib
    from pyfantasy._kernels.native.decoders import _reader
    from pyfantasy.decode import _format, _variant, decode_body
    prefix = "" if stream else "document:"
    readers = [(b, _reader(prefix + f, _variant(_format(f), v or None, None))) for b, f, v in jobs]
    calls = [(rd._d, b, len(b), rd._out) for b, rd in readers]
    docs = [decode_body(b, f, stream, "native", variant=v or None).to_json_bytes() for b, f, v in jobs]
    whole = lib.pf_dec_whole

    def c_call() -> None:
        for d, b, n, out in calls:
            whole(d, b, n, out)

    def objects() -> None:
        for j in docs:
            orjson.loads(j)

    def native() -> None:
        for b, f, v in jobs:
            decode_body(b, f, stream, "native", variant=v or None)

    n = len(jobs)
    tc, to, tn, tp = (best_us(f, n) for f in (c_call, objects, native, peer))
    return (f"| {name} | {n} | {tc:.2f} | {to:.2f} | {tc + to:.2f} | {tp / (tc + to):.2f}x | {tn:.2f} | "
            f"{tp / tn:.2f}x | {tp:.2f} | {tp / tc:.2f}x |")


def main() -> None:
    import orjson
    from data import document_bodies, stream_bodies
    from pipelines import document_summary, whole_body
    print("| group | bodies | C call | objects at C speed | ceiling | ceiling x | native | native x | "
          "peer | C call x |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for fmt in ("google", "anthropic", "openai-responses"):
        bodies = stream_bodies(fmt)
        peer = whole_body(fmt, tuple(b for b, _, _ in bodies), orjson.loads)
        print(row(f"{fmt} streams", [(b, fmt, v) for b, v, _ in bodies], True, peer))
    by_format: defaultdict = defaultdict(list)
    docs: List[Tuple[bytes, str, str]] = document_bodies()
    for job in docs:
        by_format[job[1]].append(job)

    def doc_peer(jobs: Sequence[Tuple[bytes, str, str]]) -> Callable[[], None]:
        def run() -> None:
            for b, f, _ in jobs:
                document_summary(f, orjson.loads(b))
        return run
    print(row("documents", docs, False, doc_peer(docs)))
    for fmt, jobs in sorted(by_format.items()):
        print(row(f"documents: {fmt}", jobs, False, doc_peer(jobs)))


if __name__ == "__main__":
    main()
