"""A smoke run of the benchmark on 50 letters: every row runs, and the outputs of the parallel build are the same bytes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_bench_runs_every_row_on_50_letters(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--n", "50", "--jobs", "2", "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    by_name = {r["row"]: r for r in rows}
    ours = [name for name in by_name if name.startswith(("validate", "export", "build", "trotsky-tei"))]
    assert len(ours) == 12  # export pdf and export html with search included: Typst and Pagefind are in the [test] extra
    for name in ours:
        assert by_name[name]["skipped"] is None, by_name[name]
        assert by_name[name]["cpu_s"] > 0 and by_name[name]["exit"] == 0, by_name[name]
    assert by_name["build --jobs 2"]["identical_to_jobs_1"] is True
    # a reference that cannot run here is skipped with its reason, never silently
    for name in ("Jing (our schema, one JVM)", "TEI Stylesheets HTML (Saxon)", "TEI Stylesheets text (Saxon)"):
        assert by_name[name]["skipped"] is None or len(by_name[name]["skipped"]) > 10
    assert "target" in proc.stdout and "met" in proc.stdout
    assert len(list((tmp_path / "corpus-50" / "letters").glob("*.xml"))) == 50
