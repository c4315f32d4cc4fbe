"""pyfantasy.dask: the scan's rows as a Dask bag / dataframe, computed on a real LocalCluster."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")

from helpers import CORPUS, ROOT, needs_corpus  # noqa: E402
from pyfantasy import dask as pfdask  # noqa: E402
from pyfantasy.scan import ScanWarning, iter_files, iter_rows, read_rows, scan  # noqa: E402

SAMPLES = ROOT / "pyfantasy" / "samples"


@pytest.fixture(scope="module")
def client():
    """A two-process LocalCluster, as a real deployment runs (rows cross process boundaries)."""
    # the scheduler's HTTP server on a free port: None still means 8787, which another
    # cluster (or a test running beside this one) may hold
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address="127.0.0.1:0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def _tree(root: Path) -> Path:
    """Bundled samples, a few corpus folders when the corpus is there, and a broken cassette."""
    shutil.copytree(SAMPLES, root / "samples")
    if CORPUS.is_dir():
        for rel in ("fantasy/TestAnthropicCommon", "fantasy/TestGoogleCommon"):
            if (CORPUS / rel).is_dir():
                shutil.copytree(CORPUS / rel, root / rel.replace("/", "_"))
    (root / "broken.yaml").write_bytes(b"---\nversion: 2\ninteractions:\n- id: [\n")
    return root


def _canon(rows):
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


@pytest.mark.native  # the default backend
def test_bag_equals_scan_rows_on_local_cluster(client, tmp_path):
    tree = _tree(tmp_path / "in")
    size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    # a few partitions whatever the tree holds (the samples alone without the corpus)
    bag = pfdask.read_cassettes(tree, partition_bytes=min(64 << 10, size // 4))
    assert bag.npartitions > 2  # really spread over tasks
    rows = bag.compute()
    assert _canon(rows) == _canon(iter_rows([str(tree)], workers=1))
    with pytest.warns(ScanWarning, match=r"broken\.yaml"):
        scan([str(tree)], str(tmp_path / "r.db"), workers=1, progress=False)
    assert _canon(rows) == _canon(read_rows(str(tmp_path / "r.db")))
    broken = [r for r in rows if r["file"].endswith("broken.yaml")]
    assert len(broken) == 1 and broken[0]["error_kind"] == "cassette"
    assert "broken.yaml:5:1" in broken[0]["error_message"]


@pytest.mark.native  # the default backend
def test_dataframe_dtypes_and_aggregation(client, tmp_path):
    tree = _tree(tmp_path / "in")
    ddf = pfdask.read_cassettes_dataframe([tree], partition_bytes=64 << 10)
    assert list(ddf.columns) == list(pfdask.DTYPES)
    df = ddf.compute()
    for col, dtype in pfdask.DTYPES.items():
        if dtype != "object":  # text columns: object, or pandas 3's own string dtype
            assert str(df.dtypes[col]) == dtype, col
    expected = pd.DataFrame(list(iter_rows([str(tree)], workers=1)))
    ok = expected[expected.error_kind.isna()]
    got = df[df.error_kind.isna()].groupby("provider").output_tokens.sum().to_dict()
    assert got == ok.groupby("provider").output_tokens.sum().to_dict()
    assert len(df) == len(expected)


def test_partitions_follow_file_order_and_size(tmp_path):
    tree = _tree(tmp_path / "in")
    parts = pfdask.partition_files([tree], partition_bytes=1)
    flat = [f for p in parts for f in p]
    assert flat == list(iter_files([str(tree)]))
    assert all(len(p) == 1 for p in parts)  # every file exceeds one byte: one file per run
    assert len(pfdask.partition_files([tree], partition_bytes=1 << 40)) == 1


def test_empty_input_is_an_empty_bag(tmp_path):
    assert pfdask.read_cassettes(tmp_path).compute(scheduler="sync") == []


@needs_corpus
def test_rows_per_backend_equal_the_scan(backend, tmp_path):
    tree = _tree(tmp_path / "in")
    rows = pfdask.read_cassettes(tree, backend=backend).compute(scheduler="sync")
    assert _canon(rows) == _canon(iter_rows([str(tree)], workers=1, backend=backend))
