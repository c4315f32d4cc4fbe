"""``pyfantasy scan`` against faults (issue 12): a bad ``--out`` is a one-line usage error
before any file is scanned (item 7); workers exit when the scan's parent is killed (item
8); one large cassette is read one interaction at a time (item 9)."""
from __future__ import annotations

import dataclasses
import io
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import pyfantasy._tools.scan.pool as pool_mod
import pyfantasy._tools.scan.rows as rows_mod
import pyfantasy.scan as scan_mod
from helpers import ROOT, files_done, skip_under_asan

SAMPLE = ROOT / "pyfantasy" / "samples" / "openai_chat_simple.yaml"


def run_cli(*args):
    out, err = io.StringIO(), io.StringIO()
    import pyfantasy.cli as cli
    ns = cli.build_parser().parse_args(["scan", *map(str, args)])
    return ns.func(ns, out, err), out.getvalue(), err.getvalue()


@pytest.mark.parametrize("case", ["missing-folder", "a-folder", "not-sqlite", "missing-folder-jsonl",
                                  "a-folder-csv"])
def test_bad_out_is_a_usage_error_before_scanning(tmp_path, monkeypatch, case):
    scanned = []
    monkeypatch.setattr(pool_mod, "scan_file", lambda *a, **kw: scanned.append(a) or [])
    monkeypatch.setattr(pool_mod, "scan_path", lambda *a, **kw: scanned.append(a) or (-1, -1, []))
    out = {"missing-folder": tmp_path / "nowhere" / "r.db", "a-folder": tmp_path,
           "not-sqlite": tmp_path / "notes.db", "missing-folder-jsonl": tmp_path / "no" / "r.jsonl",
           "a-folder-csv": tmp_path}[case]
    if case == "not-sqlite":
        out.write_text("these are my notes, not a database\n")
    extra = ["--out-format", "csv"] if case == "a-folder-csv" else []
    rc, _, err = run_cli(SAMPLE, "--out", out, "--workers", "1", "--quiet", *extra)
    assert rc == 2, err
    assert err.count("\n") == 1 and err.startswith("pyfantasy scan: --out ") and str(out) in err
    assert "Traceback" not in err and "sqlite3" not in err
    assert scanned == []
    if case == "not-sqlite":
        assert out.read_text() == "these are my notes, not a database\n"  # left alone


def test_good_out_still_scans(tmp_path):
    (tmp_path / "empty.db").write_bytes(b"")  # an empty file is a new database, as sqlite3 says
    for out in (tmp_path / "empty.db", tmp_path / "r.db", tmp_path / "r.jsonl"):
        rc, _, err = run_cli(SAMPLE, "--out", out, "--workers", "1", "--quiet")
        assert rc == 0, err
        assert scan_mod.read_rows(str(out))


_PARENT = """
import sys, time
import pyfantasy._tools.scan.pool as pool
import pyfantasy.scan as scan_mod
def slow(path, **kw):  # a worker busy on a file for a long time
    time.sleep(60)
    return []
def slow_path(path, **kw):  # the same for a file not stat'ed before the scan
    return -1, -1, slow(path)
pool.scan_file = slow
pool.scan_path = slow_path
if sys.argv[4] == "poll":  # as on a system without prctl: the getppid() poll alone
    sys.platform = "other"
print("ready", flush=True)
scan_mod.scan(sys.argv[1:3], sys.argv[3], workers=2, progress=False)
"""


def _children(pid: int):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(d))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("how", ["prctl", "poll"])
def test_workers_exit_when_the_parent_is_killed(tmp_path, how):
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(SAMPLE), str(SAMPLE.with_name(
        "anthropic_thinking_streaming.yaml")), str(tmp_path / "r.db"), how], stdout=subprocess.PIPE, text=True)
    workers = []
    try:
        assert parent.stdout.readline().strip() == "ready"
        for _ in range(200):  # up to 20 s for both workers to start
            workers = _children(parent.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, workers
        parent.kill()  # SIGKILL: no cleanup code runs in the parent
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers still alive after their parent was killed: {left}"
    finally:
        parent.kill()
        parent.wait(10)
        for w in workers:  # only when the test failed: do not leave them behind
            if _alive(w):
                os.kill(w, signal.SIGKILL)


_CTRL_C = """
import signal, sys, time
# Ctrl-C as a terminal's foreground job gets it: pytest may run in a background job, whose
# children start with SIGINT ignored (the scan then rightly goes on)
signal.signal(signal.SIGINT, signal.default_int_handler)
import pyfantasy._tools.scan.pool as pool
real = pool._work
def slow(task):   # files that take a while, so that Ctrl-C comes in the middle
    time.sleep(0.05)
    return real(task)
pool._work = slow
import functools, pyfantasy.scan as scan_mod
# commits every 2 files (not every second): the rows done before Ctrl-C are on disk to be seen
scan_mod.scan = functools.partial(scan_mod.scan, commit_files=2, commit_seconds=0.05)
from pyfantasy.cli import main
print("ready", flush=True)
sys.exit(main(["scan", *sys.argv[1:-1], "-o", sys.argv[-1], "--workers", "2", "--quiet"]))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@skip_under_asan
def test_ctrl_c_stops_the_scan_and_its_workers_quietly(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) ends a scan with two
    workers: exit status 130, no traceback from any process, no worker left; the rows of the
    files done are kept, and a re-run resumes after them."""
    tree = tmp_path / "in"
    for k in range(10):   # 70 files of 50 ms or more: Ctrl-C comes while both workers are busy
        shutil.copytree(SAMPLE.parent, tree / f"copy{k}", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    out = tmp_path / "r.db"
    proc = subprocess.Popen([sys.executable, "-c", _CTRL_C, str(tree), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    workers = []
    try:
        assert proc.stdout.readline().strip() == "ready"
        for _ in range(200):
            workers = _children(proc.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.01)
        assert len(workers) >= 2, workers
        for _ in range(500):   # some files done first: Ctrl-C keeps their rows
            if files_done(out) >= 4:
                break
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert not [w for w in workers if _alive(w)]
        summary = scan_mod.scan([str(tree)], str(out), workers=1, progress=False)   # resumes
        assert summary.files_skipped >= 4 and summary.files_scanned > 0, summary
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)


# ---- item 9: one large cassette, one interaction at a time -------------------------------

# VmHWM (peak RSS of this process image), not ru_maxrss: that one keeps the pytest
# process's peak across fork + exec
_RSS = """
import re, sys
import pyfantasy.scan as scan_mod
rows = scan_mod.scan_file(sys.argv[1], backend=sys.argv[2])
assert len(rows) == int(sys.argv[3]) and all(r[18] is None for r in rows), rows[:2]
print(int(re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024)
"""


def _big_cassette(path, size: int, body_size: int = 1_000_000) -> int:
    """A cassette of about ``size`` bytes: one Anthropic stream of about ``body_size``
    bytes (text deltas) recorded again and again (ids renumbered); returns how many
    interactions it holds."""
    from pyfantasy._kernels.vcr import split_interactions
    from pyfantasy.cassette import loads
    sample = loads(SAMPLE.with_name("anthropic_thinking_streaming.yaml").read_bytes())
    it = sample.interactions[0]
    delta = ('event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
             '"delta":{"type":"text_delta","text":"%s"}}\n\n' % ("lorem ipsum " * 30))
    body = ('event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","content":[],'
            '"usage":{"input_tokens":1}}}\n\nevent: content_block_start\ndata: {"type":"content_block_start",'
            '"index":0,"content_block":{"type":"text","text":""}}\n\n' + delta * (body_size // len(delta))
            + 'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
            'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},'
            '"usage":{"output_tokens":3}}\n\nevent: message_stop\ndata: {"type":"message_stop"}\n\n')
    one = dataclasses.replace(sample, interactions=[dataclasses.replace(
        it, response=dataclasses.replace(it.response, body=body))]).dumps()
    header, [(start, end)] = split_interactions(one)
    first, rest = one[start:end].split(b"\n", 1)
    n = 0
    with open(path, "wb") as f:
        f.write(header)
        written = len(header)
        while written < size:
            line = first[:first.index(b"- id: ") + 6] + str(n).encode() + b"\n"
            f.write(line + rest)
            written += len(line) + len(rest)
            n += 1
    return n


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@skip_under_asan
def test_peak_memory_of_a_100mb_cassette_is_under_twice_its_size(tmp_path, backend):
    path = tmp_path / "big.yaml"
    # the python backend is slower: half the size shows the same (the interpreter is ~30 MB of it)
    n = _big_cassette(path, 100_000_000 if backend == "native" else 50_000_000)
    size = path.stat().st_size
    out = subprocess.run([sys.executable, "-c", _RSS, str(path), backend, str(n)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    peak = int(out.stdout)
    assert peak <= 2 * size, f"peak RSS {peak / 1e6:.0f} MB for a {size / 1e6:.0f} MB cassette"


def test_streamed_rows_equal_whole_file_rows(tmp_path, backend):
    """Reading interaction by interaction gives the rows reading the whole file gives; a
    piece that does not read makes the whole file's error row, as before."""
    from pyfantasy._kernels.vcr import iter_interactions
    path = tmp_path / "some.yaml"
    n = _big_cassette(path, 300_000, 20_000)
    data = path.read_bytes()
    assert iter_interactions(data, str(path), backend) is not None
    streamed = scan_mod.scan_bytes(data, str(path), backend=backend)
    assert len(streamed) == n
    monkey = rows_mod._streamed_rows
    try:
        rows_mod._streamed_rows = lambda *a: None
        assert scan_mod.scan_bytes(data, str(path), backend=backend) == streamed
        broken = data.replace(b"- id: 3\n", b"- id: 3\n  request: [\n", 1)
        whole = scan_mod.scan_bytes(broken, str(path), backend=backend)
    finally:
        rows_mod._streamed_rows = monkey
    assert len(whole) == 1 and whole[0][1] is None and whole[0][18] == "cassette"
    assert scan_mod.scan_bytes(broken, str(path), backend=backend) == whole


@pytest.mark.parametrize("hint", [-1, 0, 5, 4096, 1 << 20], ids=["no-size", "zero", "too-small", "exact", "too-big"])
def test_read_bytes_reads_to_the_end_whatever_the_size_hint(tmp_path, hint):
    """The size a stat gave is a guess: a file that grew or shrank since is read whole."""
    from pyfantasy._files import read_bytes
    data = bytes(range(256)) * 16 + b"tail"
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    assert read_bytes(path, len(data) if hint == 4096 else hint) == data
    path.write_bytes(b"")
    assert read_bytes(path, hint) == b""


def test_read_bytes_of_a_pipe(tmp_path):
    """A FIFO (stat size 0, short reads) is read until its writer closes it."""
    import threading
    from pyfantasy._files import read_bytes
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "p.sse"
    os.mkfifo(path)
    data = b"data: x\n\n" * 50_000

    def writer():
        with open(path, "wb") as f:
            for k in range(0, len(data), 7000):
                f.write(data[k:k + 7000])
                f.flush()
    t = threading.Thread(target=writer)
    t.start()
    try:
        assert read_bytes(path) == data
    finally:
        t.join()


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_read_bytes_errors_name_the_file(tmp_path, what):
    from pyfantasy._errors import CassetteError
    from pyfantasy._files import read_bytes
    path = tmp_path / "x.yaml"
    if what == "folder":
        path.mkdir()
    with pytest.raises(CassetteError, match=r"x\.yaml.*cannot read the file: "
                                             + ("No such file" if what == "missing" else "Is a directory")):
        read_bytes(path, 10)


@pytest.mark.parametrize("hint", [-1, 0, 4096])
def test_read_stat_is_read_bytes_and_the_files_stat(tmp_path, hint):
    """read_stat: the bytes read_bytes gives, and the size and mtime of the file as opened."""
    from pyfantasy._files import read_bytes, read_stat
    path = tmp_path / "f.yaml"
    path.write_bytes(b"x" * hint if hint > 0 else b"")
    st = os.stat(path)
    assert read_stat(path) == (read_bytes(path, hint), st.st_size, st.st_mtime_ns)


def _os_walk_files(top, suffixes):
    """What walk() gave when it was built on os.walk: the reference it must keep to."""
    found = []
    for root, dirs, files in os.walk(top):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in files if f.endswith(suffixes))
    return sorted(found)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_walk_finds_what_os_walk_finds(tmp_path):
    """The scandir walker: the same files in the same order as os.walk, symlinked folders
    listed but not entered (no loops), symlinked files and broken links kept, unreadable
    folders skipped, names that sort around the folder separator ("b" / "b.yaml" / "b-c")."""
    from pyfantasy._files import walk
    suffixes = (".yaml", ".yml", ".sse")
    top = tmp_path / "top"
    for rel in ["a.yaml", "b.yaml", "b-c.yaml", "b/x.yaml", "b/y.txt", "b/deep/z.sse", "b-c/w.yml",
                "c/.hidden.yaml", "c/ünï.yaml", "locked/secret.yaml", "e/f/g/h.yaml"]:
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"interactions: []\n")
    os.symlink(top / "b", top / "c" / "loop")          # a symlinked folder: listed by os.walk, not entered
    os.symlink(top / "a.yaml", top / "c" / "link.yaml")  # a symlinked file: a file
    os.symlink(top / "gone.yaml", top / "c" / "broken.yaml")  # a broken link: a file all the same
    (top / "c" / "dir.yaml").mkdir()                     # a folder with a cassette's suffix: not a file
    os.chmod(top / "locked", 0)
    try:
        got = list(walk([str(top)], suffixes))
        assert got == _os_walk_files(str(top), suffixes)
        assert str(top / "c" / "link.yaml") in got and str(top / "c" / "broken.yaml") in got
        assert not any("loop" in p or p.endswith("dir.yaml") for p in got)
        assert list(walk([str(top / "a.yaml"), str(top / "b")], suffixes)) == \
            [str(top / "a.yaml")] + _os_walk_files(str(top / "b"), suffixes)
    finally:
        os.chmod(top / "locked", 0o755)


_NAME = st.text(alphabet="ab-._~0Zé", min_size=1, max_size=4).filter(lambda n: n not in (".", ".."))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=st.lists(st.tuples(st.lists(_NAME, min_size=0, max_size=3), _NAME,
                               st.sampled_from([".yaml", ".sse", ".txt", ""])), min_size=1, max_size=25))
def test_walk_keeps_the_sorted_order_of_every_path(tmp_path_factory, tree):
    """The lazy walk visits each folder's entries in the order of a sort of every path, for
    names that sort around the separator ("a", "a-", "a.", "a~", non-ASCII, one a prefix of
    another), folders and files at every depth."""
    from pyfantasy._files import walk
    suffixes = (".yaml", ".sse")
    top = tmp_path_factory.mktemp("walk")
    for folders, name, suffix in tree:
        folder = top.joinpath(*folders)
        if any(p.is_file() for p in [folder, *folder.parents] if p != top and top in p.parents):
            continue   # a file already has this folder's name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (name + suffix)
        if not path.exists():
            path.write_bytes(b"")
    assert list(walk([str(top)], suffixes)) == _os_walk_files(str(top), suffixes)


def test_walk_gives_its_first_files_before_it_has_listed_every_folder(tmp_path, monkeypatch):
    """A scan starts on the first files while the walk goes on: the first path comes after
    the folders on the way to it are listed, not the whole tree."""
    import pyfantasy._files as files_mod
    for k in range(5):
        (tmp_path / f"d{k}").mkdir()
        (tmp_path / f"d{k}" / "x.yaml").write_bytes(b"")
    listed = []
    real = os.scandir

    def scandir(path):
        listed.append(path)
        return real(path)
    monkeypatch.setattr(files_mod.os, "scandir", scandir)
    it = files_mod.walk([str(tmp_path)], (".yaml",))
    assert next(it) == str(tmp_path / "d0" / "x.yaml")
    assert len(listed) == 2, listed
    assert list(it) == [str(tmp_path / f"d{k}" / "x.yaml") for k in range(1, 5)]


@pytest.mark.parametrize("progress", [False, True], ids=["fresh", "progress-bar"])
def test_a_fresh_scan_records_each_files_size_and_mtime(tmp_path, progress):
    """A fresh scan stats no file (its workers record what they read); one drawing a progress
    bar stats each as the walk finds it (for the total): either way the files table holds
    each file's size and mtime, so a re-run skips them all."""
    import sqlite3
    src = tmp_path / "in"
    src.mkdir()
    for name in ("openai_chat_simple.yaml", "anthropic_thinking_streaming.yaml"):
        (src / name).write_bytes((SAMPLE.parent / name).read_bytes())
    (src / "missing.yaml").symlink_to(src / "nowhere.yaml")   # cannot be read: -1, -1
    out = tmp_path / "r.db"
    for workers in (1, 2):
        if out.exists():
            out.unlink()
        with pytest.warns(scan_mod.ScanWarning, match="missing.yaml: cannot read the file"):
            scan_mod.scan([str(src)], str(out), workers=workers, progress=progress, progress_stream=io.StringIO())
        with sqlite3.connect(out) as db:
            got = {p: (s, m) for p, s, m in db.execute("SELECT path, size, mtime_ns FROM files")}
        want = {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in src.iterdir() if p.exists()}
        want[str(src / "missing.yaml")] = (-1, -1)
        assert got == want
        again = scan_mod.scan([str(src)], str(out), workers=workers, progress=False)
        assert again.files_skipped == 3 and again.files_scanned == 0
