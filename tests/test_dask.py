"""The per-letter work on a Dask cluster: a build there gives the same bytes as a local one."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path

import pytest
from _sitekit import FIXTURE, tree_bytes
from rich.console import Console

from trotsky_tei.build import build
from trotsky_tei.cli import main
from trotsky_tei.errors import UsageError
from trotsky_tei.parallel import make_executor

distributed = pytest.importorskip("distributed", reason="the optional Dask support is not installed (pip install 'trotsky-tei[dask]')")


@pytest.fixture(scope="module")
def cluster() -> object:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


def test_a_build_on_a_dask_cluster_gives_the_same_bytes(tmp_path: Path, cluster: object) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    console = Console(file=StringIO())
    there = build(corpus, tmp_path / "dask", console=console, executor=address)
    here = build(corpus, tmp_path / "local", console=console, jobs=1)
    assert tree_bytes(tmp_path / "dask") == tree_bytes(tmp_path / "local")
    assert there.diagnostics == here.diagnostics and there.rendered == 3
    url = "dask://" + address.removeprefix("tcp://")
    assert main(["validate", str(corpus), "--executor", url, "--no-cache"]) == main(["validate", str(corpus), "--no-cache"])


def test_an_unknown_executor_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        make_executor(1, "ftp://nowhere")
    assert main(["validate", str(FIXTURE), "--executor", "ftp://nowhere"]) == 2
