"""Benchmark `build`: N copies of the corpus letters built into a temporary folder.

Usage: .venv/bin/python bench/bench_build.py [N]   (default N=200)

Prints letters/s for the whole build (validate, link, site, text, EPUB, CMIF) and for the site and EPUB writers
alone, the ratio to a reference loop (parse each letter with lxml and serialise it: the least any export must do),
and the peak memory of this process (resource.getrusage; validation worker processes are reported separately).
"""

from __future__ import annotations

import re
import resource
import shutil
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

from lxml import etree
from rich.console import Console

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trotsky_tei.build import build
from trotsky_tei.render.collect import collect
from trotsky_tei.render.epub import export_epub
from trotsky_tei.render.site import export_site
from trotsky_tei.xmlfile import make_parser


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
        text = re.sub(r'(<TEI\b[^>]*\bxml:id=")([^"]+)"', lambda m, i=i: f'{m.group(1)}{m.group(2)}-{i:05d}"', text, count=1)
        path = root / "letters" / f"copy-{i:05d}.xml"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


def reference(files: list[Path]) -> float:
    start = time.perf_counter()
    for f in files:
        tree = etree.parse(str(f), make_parser())
        etree.tostring(tree, encoding="unicode")
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        files = make_corpus(root, n)
        ref = reference(files)
        start = time.perf_counter()
        result = build(root, Path(tmp) / "edition", console=Console(file=StringIO()), jobs=1)
        whole = time.perf_counter() - start
        data = collect([str(root)])
        start = time.perf_counter()
        export_site(data, Path(tmp) / "site", mode="both")
        site = time.perf_counter() - start
        start = time.perf_counter()
        export_epub(data, Path(tmp) / "book.epub")
        book = time.perf_counter() - start
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"letters: {n}  (build exit status {result.exit_code}, {len(result.outputs)} files)")
    print(f"reference (lxml parse + serialise): {n / ref:10.1f} letters/s")
    for label, secs in (("build, all steps, --jobs 1", whole), ("site (--mode both)", site), ("epub", book)):
        print(f"{label:<35} {n / secs:10.1f} letters/s   {secs / ref:6.1f}x the reference time")
    print(f"peak memory: {peak_self:.0f} MiB (this process), {peak_children:.0f} MiB (largest child)")


if __name__ == "__main__":
    main()
