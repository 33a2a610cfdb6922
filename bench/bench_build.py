"""Benchmark `build`: N copies of the corpus letters (ids and dates varied), full, parallel and incremental.

Usage: .venv/bin/python bench/bench_build.py [N]   (default N=200)

Each scenario runs in a fresh process so that its peak memory is its own (resource.getrusage: the process itself
and its largest worker process). Prints letters/s and the time as a multiple of a reference loop (parse each letter
with lxml and serialise it: the least any export must do) for:

- full build, --jobs 1;  full build, --jobs 2 (a fresh folder each);
- incremental rebuild with nothing changed; incremental rebuild with one letter changed (into the --jobs 2 folder).
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path
from typing import Any

# worker processes started by "spawn" are children of this process, so RUSAGE_CHILDREN sees their peak memory
os.environ.setdefault("TROTSKY_TEI_START_METHOD", "spawn")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_corpus(root: Path, n: int) -> list[Path]:
    """A corpus folder with the real registry and edition file and `n` letters (copies with unique ids and dates)."""
    corpus = REPO / "corpus"
    shutil.copytree(corpus / "registry", root / "registry")
    if (corpus / "edition.xml").is_file():
        shutil.copy(corpus / "edition.xml", root / "edition.xml")
    letters = sorted((corpus / "letters").glob("*.xml"))
    if not letters:
        raise SystemExit("no letters in corpus/letters")
    (root / "letters").mkdir()
    out = []
    for i in range(n):
        text = letters[i % len(letters)].read_text(encoding="utf-8")
        text = re.sub(r'(<TEI\b[^>]*\bxml:id=")([^"]+)"', rf'\g<1>\g<2>-{i:05d}"', text, count=1)
        # spread the copies over 1929-1940 and over the days of a month, so the date order is not the file order
        text = re.sub(r'(when|notBefore|notAfter)="19(\d\d)-(\d\d)-(\d\d)"',
                      rf'\g<1>="{1929 + (i * 7) % 12}-\g<3>-{1 + (i * 13) % 28:02d}"', text)
        path = root / "letters" / f"copy-{i:05d}.xml"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def reference(files: list[Path]) -> float:
    from lxml import etree

    from trotsky_tei.xmlfile import make_parser

    start = time.perf_counter()
    for f in files:
        tree = etree.parse(str(f), make_parser())
        etree.tostring(tree, encoding="unicode")
    return time.perf_counter() - start


def scenario(corpus: Path, out: Path, jobs: int, cache: bool) -> None:
    """Run one build in this process and print its figures as one JSON line."""
    from rich.console import Console

    from trotsky_tei.build import build

    start = time.perf_counter()
    result = build(corpus, out, console=Console(file=StringIO()), jobs=jobs, cache=cache)
    secs = time.perf_counter() - start
    print(json.dumps({
        "secs": secs, "exit": result.exit_code, "rendered": result.rendered, "up_to_date": result.up_to_date,
        "phases": result.seconds,
        "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def run(corpus: Path, out: Path, jobs: int, cache: bool) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--scenario", str(corpus), str(out), str(jobs), "1" if cache else "0"],
        capture_output=True, text=True, check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--scenario":
        scenario(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1")
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        files = make_corpus(root, n)
        ref = reference(files)
        rows = [
            ("full build, --jobs 1", run(root, Path(tmp) / "e1", 1, False)),
            ("full build, --jobs 2", run(root, Path(tmp) / "e2", 2, False)),
            ("incremental, nothing changed", run(root, Path(tmp) / "e2", 2, True)),
        ]
        changed = files[n // 2]
        changed.write_text(changed.read_text(encoding="utf-8").replace("</body>", "<p>An added paragraph.</p></body>", 1), encoding="utf-8")
        rows.append(("incremental, 1 letter changed", run(root, Path(tmp) / "e2", 2, True)))
    full1 = rows[0][1]["secs"]
    print(f"letters: {n}   reference (lxml parse + serialise): {n / ref:.0f} letters/s")
    print(f"{'scenario':<32}{'letters/s':>10}{'x ref':>8}{'vs j1':>8}{'rendered':>10}{'peak MiB':>10}{'worker MiB':>11}")
    for label, r in rows:
        print(
            f"{label:<32}{n / r['secs']:>10.1f}{r['secs'] / ref:>8.1f}{full1 / r['secs']:>8.2f}"
            f"{int(r['rendered']):>10}{r['self_mib']:>10.0f}{r['child_mib']:>11.0f}"
        )
    print("seconds per phase:")
    for label, r in rows:
        print(f"  {label:<30}" + ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items()))


if __name__ == "__main__":
    main()
