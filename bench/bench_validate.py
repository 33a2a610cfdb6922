"""Benchmark `validate`: N copies of the corpus letter, --jobs 1 vs --jobs 2 vs a bare lxml RelaxNG loop.

Usage: .venv/bin/python bench/bench_validate.py [N]   (default N=500)

Prints files/s for each run, the ratio to the bare lxml loop (our overhead: reading, the editorial rules,
diagnostics), and the peak memory (resource.getrusage: this process, and the worker processes).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trotsky_tei.validate import ValidateOptions, get_schema, validate_paths  # noqa: E402 (after the sys.path insert)
from trotsky_tei.xmlfile import make_parser  # noqa: E402

# worker processes started by "spawn" are children of this process, so RUSAGE_CHILDREN sees their peak memory
os.environ.setdefault("TROTSKY_TEI_START_METHOD", "spawn")


def make_corpus(root: Path, n: int) -> list[Path]:
    """A corpus folder with the real registry and `n` copies of each corpus letter."""
    corpus = REPO / "corpus"
    shutil.copytree(corpus / "registry", root / "registry")
    for extra in ("edition.xml",):
        if (corpus / extra).is_file():
            shutil.copy(corpus / extra, root / extra)
    letters = sorted((corpus / "letters").glob("*.xml"))
    if not letters:
        raise SystemExit("no letters in corpus/letters")
    (root / "letters").mkdir()
    out = []
    for i in range(n):
        src = letters[i % len(letters)]
        dst = root / "letters" / f"{i:05d}-{src.name}"
        dst.write_bytes(src.read_bytes())
        out.append(dst)
    return out


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def bare_lxml(files: list[Path]) -> int:
    """The reference: parse and RelaxNG-validate each file in this process, nothing else."""
    from trotsky_tei.relaxng import bundled_schema_path

    rng = etree.RelaxNG(etree.parse(str(bundled_schema_path())))
    valid = 0
    for f in files:
        valid += rng.validate(etree.parse(str(f), make_parser()))
    return valid


def timed(label: str, n: int, func: object) -> float:
    start = time.perf_counter()
    func()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<28} {elapsed:7.2f} s  {n / elapsed:8.0f} files/s")
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory(prefix="trotsky-bench-") as tmp:
        root = Path(tmp)
        files = make_corpus(root, n)
        total = len(files) + len(list((root / "registry").glob("*.xml")))
        t0 = time.perf_counter()
        get_schema(None)
        print(f"{n} letters (+ registry), schema compiled in {time.perf_counter() - t0:.2f} s")
        ref = timed("bare lxml RelaxNG loop", n, lambda: bare_lxml(files))
        results = {}
        for jobs in (1, 2):
            def run(jobs: int = jobs) -> None:
                results[jobs] = validate_paths([str(root)], ValidateOptions(jobs=jobs))
            t = timed(f"validate --jobs {jobs}", total, run)
            r = results[jobs]
            print(f"{'':<28} ratio to bare lxml: {t / ref:.2f}x   summary: {r.summary()}")
        same = [str(d) for d in results[1].diagnostics] == [str(d) for d in results[2].diagnostics]
        print(f"--jobs 1 and --jobs 2 give the same diagnostics: {same}")
        print(f"peak memory: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB, "
              f"largest worker {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")


if __name__ == "__main__":
    main()
