"""Hostile input and faults: each case builds a corpus with one hostile thing in it, runs one command, and asserts the
diagnostic, the exit status and that the command ends within its time limit (nothing hangs, nothing is lost, nothing
outside the corpus is read). Exit status: 0 clean, 1 problems found, 2 usage error, 3 I/O failure (docs/security.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from _sitekit import without_our_scripts

from trotsky_tei.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "data" / "site_corpus"
LETTER = "letters/1930-01-01-trotsky-to-odd.xml"
TIME_LIMIT = 60  # seconds a case may take (each ends in well under a few seconds here)


def corpus(tmp: Path) -> Path:
    dst = tmp / "corpus"
    shutil.copytree(FIXTURE, dst)
    return dst


def with_body(root: Path, body: str, *, header: str = "", prefix: str = "", title: str = "") -> Path:
    """The fixture letter with its body (and optionally more prefixDefs, a title, a DOCTYPE) replaced."""
    path = root / LETTER
    src = path.read_text(encoding="utf-8")
    start, end = src.index("<body>") + len("<body>"), src.index("</body>")
    src = src[:start] + body + src[end:]
    if prefix:
        src = src.replace("</listPrefixDef>", prefix + "</listPrefixDef>")
    if title:
        src = src.replace("Trotsky to an &lt;odd&gt; correspondent, 1930", title)
    if header:
        src = src.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="UTF-8"?>' + header)
    path.write_text(src, encoding="utf-8")
    return path


@dataclass
class Case:
    name: str
    setup: Callable[[Path], list[str]]  # makes the corpus in tmp; returns the command's arguments
    status: int | tuple[int, ...]
    says: str = ""  # a text the output must hold
    never: str = ""  # a text it must not hold
    after: Callable[[Path], None] | None = None  # more checks on the files afterwards


def validate(root: Path, *extra: str) -> list[str]:
    return ["validate", "--no-cache", str(root), *extra]


def build(root: Path, out: Path, *extra: str) -> list[str]:
    return ["build", str(root), "-o", str(out), "--no-pdf", "--jobs", "1", *extra]


# --- special files -----------------------------------------------------------------------------------


def _fifo(tmp: Path) -> list[str]:
    root = corpus(tmp)
    os.mkfifo(root / "letters" / "pipe.xml")
    return validate(root)


def _fifo_build(tmp: Path) -> list[str]:
    root = corpus(tmp)
    os.mkfifo(root / "letters" / "pipe.xml")
    return build(root, tmp / "out")


def _link_to(target: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        os.symlink(target, root / "letters" / "link.xml")
        return validate(root)

    return setup


def _loop(tmp: Path) -> list[str]:
    root = corpus(tmp)
    os.symlink("b.xml", root / "letters" / "a.xml")
    os.symlink("a.xml", root / "letters" / "b.xml")
    return validate(root)


def _socket(tmp: Path) -> list[str]:
    root = corpus(tmp)
    sock = socket.socket(socket.AF_UNIX)
    path = root / "letters" / "s.xml"
    if len(str(path)) > 100:
        pytest.skip("the temporary folder's path is too long for a Unix socket")
    sock.bind(str(path))
    sock.close()
    return validate(root)


def _outside_link(tmp: Path) -> list[str]:
    root = corpus(tmp)
    secret = tmp / "secret.xml"
    secret.write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><teiHeader/></TEI>", encoding="utf-8")
    os.symlink(secret, root / "letters" / "secret.xml")
    return validate(root)


def _dir_as_xml(tmp: Path) -> list[str]:
    root = corpus(tmp)
    (root / "letters" / "folder.xml").mkdir()
    return validate(root)


def _too_large(tmp: Path) -> list[str]:
    root = corpus(tmp)
    with open(root / "letters" / "huge.xml", "wb") as fh:
        fh.truncate(65 * 1024 * 1024)  # sparse: no disk used
    return validate(root)


# --- document-supplied regular expressions --------------------------------------------------------------


def _pattern(pattern: str, pointer: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        pd = f'<prefixDef ident="evil" matchPattern="{pattern}" replacementPattern="../registry/persons.xml#$1"/>'
        with_body(root, f'<p><persName ref="evil:{pointer}">X</persName></p>', prefix=pd)
        return validate(root)

    return setup


# --- derived names and output paths -----------------------------------------------------------------------


def _long_id(tmp: Path) -> list[str]:
    root = corpus(tmp)
    path = root / LETTER
    path.write_text(path.read_text(encoding="utf-8").replace('xml:id="l3"', f'xml:id="l{"x" * 600}"'), encoding="utf-8")
    return build(root, tmp / "out")


def _long_title(tmp: Path) -> list[str]:
    root = corpus(tmp)
    ed = root / "edition.xml"
    text = ed.read_text(encoding="utf-8")
    start = text.index("<title", text.index("<titleStmt"))
    start = text.index(">", start) + 1
    end = text.index("</title>", start)
    ed.write_text(text[:start] + "Letters " * 120 + text[end:], encoding="utf-8")
    return build(root, tmp / "out")


def _out_fifo(fmt: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        os.mkfifo(tmp / "out.fifo")
        return ["export", fmt, str(root), "-o", str(tmp / "out.fifo")]

    return setup


def _fifo_intact(tmp: Path) -> None:
    import stat

    assert stat.S_ISFIFO(os.lstat(tmp / "out.fifo").st_mode), "the FIFO was replaced"


def _dev_full(fmt: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        if not os.path.exists("/dev/full"):
            pytest.skip("/dev/full is not on this machine")
        return ["export", fmt, str(corpus(tmp)), "-o", "/dev/full"]

    return setup


def _dev_full_intact(tmp: Path) -> None:
    import stat

    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def _build_into_corpus(tmp: Path) -> list[str]:
    root = corpus(tmp)
    return ["build", str(root), "-o", str(root), "--force", "--no-pdf"]


def _force_keeps_mine(tmp: Path) -> list[str]:
    root = corpus(tmp)
    out = tmp / "out"
    (out / "site").mkdir(parents=True)
    (out / "site" / "my-notes.txt").write_text("precious", encoding="utf-8")
    (out / "text").mkdir()
    (out / "text" / "draft.txt").write_text("precious too", encoding="utf-8")
    return build(root, out, "--force")


def _mine_kept(tmp: Path) -> None:
    assert (tmp / "out" / "site" / "my-notes.txt").read_text(encoding="utf-8") == "precious"
    assert (tmp / "out" / "text" / "draft.txt").read_text(encoding="utf-8") == "precious too"


# --- pointers that lead outside the corpus ------------------------------------------------------------------


def _pointer(target: str, prefix: str = "") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        (tmp / "outside.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0' xml:id='probe'/>", encoding="utf-8")
        with_body(root, f'<p><ref target="{target}">x</ref></p>', prefix=prefix)
        return validate(root)

    return setup


# --- sizes -------------------------------------------------------------------------------------------------


def _many(body: str, cmd: str = "validate") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        with_body(root, body)
        if cmd == "validate":
            return validate(root)
        if cmd == "epub":
            return ["export", "epub", str(root), "-o", str(tmp / "b.epub"), "--jobs", "1"]
        if cmd == "text":
            return ["export", "text", str(root), "-o", str(tmp / "t"), "--jobs", "1"]
        if cmd == "html":
            return ["export", "html", str(root), "-o", str(tmp / "h"), "--jobs", "1"]
        return ["link", str(root), "--jobs", "1"]

    return setup


def _huge_attribute(tmp: Path) -> list[str]:
    root = corpus(tmp)
    with_body(root, f'<p><date when="{"9" * 3_000_000}">x</date></p>')
    return validate(root)


# --- names and messages ---------------------------------------------------------------------------------


def _named(name: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        (root / "letters" / name).write_text("not xml", encoding="utf-8")
        return validate(root)

    return setup


# --- XML-level attacks and encodings ---------------------------------------------------------------------


def _raw(text: str | bytes) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        data = text.encode("utf-8") if isinstance(text, str) else text
        (root / "letters" / "raw.xml").write_bytes(data)
        return validate(root)

    return setup


TEI_OPEN = '<TEI xmlns="http://www.tei-c.org/ns/1.0">'
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    f"{TEI_OPEN}<teiHeader/><text><body><p>&d;&d;&d;</p></body></text></TEI>"
)
XXE = f'<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>{TEI_OPEN}<text><body><p>&x;</p></body></text></TEI>'
PARAM = '<?xml version="1.0"?><!DOCTYPE TEI [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><TEI/>'
XINCLUDE = (f'{TEI_OPEN[:-1]} xmlns:xi="http://www.w3.org/2001/XInclude"><text><body>'
            '<xi:include href="/etc/passwd" parse="text"/></body></text></TEI>')


def _undefined_entity(tmp: Path) -> list[str]:
    root = corpus(tmp)
    with_body(root, "<p>before &ghost; after</p>", header='<!DOCTYPE TEI [<!ENTITY other "x">]>')
    return validate(root)


# --- injections into the outputs ---------------------------------------------------------------------------


def _inject(body: str, fmt: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        root = corpus(tmp)
        with_body(root, body)
        out = tmp / ("o.epub" if fmt == "epub" else "o.pdf" if fmt == "pdf" else "o")
        return ["export", fmt, str(root), "-o", str(out), "--jobs", "1"]

    return setup


def _no_script(tmp: Path) -> None:
    for path in tmp.rglob("*.html"):
        if "pagefind" in path.relative_to(tmp).parts:
            continue  # Pagefind's own files
        text = without_our_scripts(path.read_text(encoding="utf-8")).lower()
        assert "<script" not in text and "javascript:" not in text and "onerror=" not in text, path


def _no_script_epub(tmp: Path) -> None:
    with zipfile.ZipFile(tmp / "o.epub") as zf:
        for name in zf.namelist():
            if name.endswith(".xhtml"):
                text = zf.read(name).decode("utf-8").lower()
                assert "<script" not in text and "javascript:" not in text, name


SCRIPT = '<p>&lt;script&gt;alert(1)&lt;/script&gt; <ref target="javascript:alert(1)">x</ref> <hi rend="x&quot; onerror=&quot;alert(1)">y</hi></p>'


CASES = [
    Case("fifo-validate", _fifo, 1, "not a regular file but a FIFO"),
    Case("fifo-build", _fifo_build, 1, "not a regular file but a FIFO"),
    Case("link-to-dev-zero", _link_to("/dev/zero"), 1, "not followed"),
    Case("link-to-dev-urandom", _link_to("/dev/urandom"), 1, "not followed"),
    Case("link-loop", _loop, 1, "a loop of symbolic links"),
    Case("dangling-link", _link_to("nowhere.xml"), 1, "a symbolic link to a file that does not exist"),
    Case("socket", _socket, 1, "not a regular file"),
    Case("link-outside-corpus", _outside_link, 1, "not followed"),
    Case("folder-named-xml", _dir_as_xml, (0, 1)),
    Case("too-large", _too_large, 1, "file too large"),
    Case("redos-nested", _pattern("(a+)+$", "a" * 40 + "b"), 1, "TT2"),
    Case("redos-alternation", _pattern("(a|aa)+$", "a" * 40 + "b"), 1, "TT2"),
    Case("redos-dotstar", _pattern("(.*a){25}", "a" * 40), 1, "TT2"),
    Case("pattern-backreference", _pattern("(a)\\1", "aa"), 1, "TT205"),
    Case("pattern-lookahead", _pattern("(?=a)(a)", "a"), 1, "TT205"),
    Case("pattern-too-long", _pattern("(" + "a?" * 400 + ")", "a"), 1, "TT205"),
    Case("pattern-broken", _pattern("((", "a"), 1, "TT205"),
    Case("long-xml-id", _long_id, 1, "", "File name too long", lambda t: None),
    Case("long-edition-title", _long_title, (0, 1), "", "File name too long"),
    Case("out-fifo-epub", _out_fifo("epub"), 2, "not a regular file", "", _fifo_intact),
    Case("out-fifo-cmif", _out_fifo("cmif"), 2, "not a regular file", "", _fifo_intact),
    Case("out-fifo-pdf", _out_fifo("pdf"), (2,), "", "", _fifo_intact),
    Case("out-dev-full-epub", _dev_full("epub"), 2, "not a regular file", "", _dev_full_intact),
    Case("out-dev-full-cmif", _dev_full("cmif"), 2, "not a regular file", "", _dev_full_intact),
    Case("build-into-corpus", _build_into_corpus, 2, "the corpus folder"),
    Case("force-keeps-files-not-ours", _force_keeps_mine, 1, "", "", _mine_kept),
    Case("pointer-dotdot", _pointer("../../../../../../etc/passwd#root"), 1, "leads outside the corpus"),
    Case("pointer-absolute", _pointer("/etc/hostname"), 1, "leads outside the corpus"),
    Case("pointer-probe-sibling", _pointer("../../outside.xml#probe"), 1, "leads outside the corpus"),
    Case("prefix-to-absolute", _pointer("abs:passwd", '<prefixDef ident="abs" matchPattern="(.+)" replacementPattern="/etc/$1"/>'), 1, "leads outside the corpus"),
    Case("many-notes-epub", _many("<p>" + "x<note>n</note>" * 20000 + "</p>", "epub"), (0, 1)),
    Case("many-notes-text", _many("<p>" + "x<note>n</note>" * 20000 + "</p>", "text"), (0, 1)),
    Case("many-inline-validate", _many("<p>" + "<hi>x</hi>" * 100000 + "</p>"), (0, 1)),
    Case("many-inline-html", _many("<p>" + "<hi>x</hi>" * 100000 + "</p>", "html"), (0, 1)),
    Case("many-empty-one-line", _many("<p>" + "<lb/>" * 300000 + "</p>"), (0, 1)),
    Case("many-names-link", _many("<p>" + '<persName ref="psn:trotsky">T</persName> ' * 20000 + "</p>", "link"), (0, 1)),
    Case("deep-nesting", _many("<p>" + "<hi>" * 200 + "x" + "</hi>" * 200 + "</p>", "html"), (0, 1)),
    Case("huge-attribute", _huge_attribute, 1, "more characters not shown"),
    Case("name-with-escape", _named("evil\x1b[31m.xml"), 1, "\\x1b[31m", "\x1b[31m"),
    Case("name-with-newline", _named("two\nlines.xml"), 1, "two\\nlines.xml"),
    Case("name-with-bell", _named("bell\x07.xml"), 1, "\\x07"),
    Case("not-xml", _raw("this is not XML"), 1, "TT002"),
    Case("empty-file", _raw(b""), 1, "TT0"),
    Case("wrong-root", _raw("<html><body/></html>"), 1, "TT0"),
    Case("wrong-namespace", _raw("<TEI><teiHeader/></TEI>"), 1, "TT0"),
    Case("latin1-declared-utf8", _raw('<?xml version="1.0" encoding="UTF-8"?><TEI>caf\xe9</TEI>'.encode("latin-1")), 1, "TT0"),
    Case("utf16-no-bom", _raw('<TEI xmlns="http://www.tei-c.org/ns/1.0"/>'.encode("utf-16-le")), 1, "TT0"),
    Case("unknown-encoding", _raw('<?xml version="1.0" encoding="x-klingon"?><TEI/>'), 1, "TT0"),
    Case("billion-laughs", _raw(BOMB), 1, "TT0"),
    Case("external-entity", _raw(XXE), 1, "TT0", "root:"),
    Case("parameter-entity", _raw(PARAM), 1, "TT0", "root:"),
    Case("xinclude", _raw(XINCLUDE), 1, "", "root:"),
    Case("undefined-entity", _undefined_entity, 1, "ghost"),
    Case("nul-byte", _raw(b"<TEI>\x00</TEI>"), 1, "TT0"),
    Case("truncated", _raw('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader>'), 1, "TT002"),
    Case("html-injection-site", _inject(SCRIPT, "html"), (0, 1), "", "", _no_script),
    Case("html-injection-epub", _inject(SCRIPT, "epub"), (0, 1), "", "", _no_script_epub),
    Case("typst-injection-pdf", _inject('<p>#read("/etc/passwd") $x$ ] &lt;l&gt; @r</p>', "pdf"), (0, 1, 2)),
    Case("rich-markup-in-index", lambda tmp: ["index", str(with_body(corpus(tmp), "<p>x</p>", title="[bold red]T[/bold red]").parent.parent)],
         (0, 1)),
    Case("rich-markup-in-stats", lambda tmp: ["stats", "--jobs", "1", str(with_body(corpus(tmp), "<p><persName>[blink]Z[/blink]</persName></p>").parent.parent)],
         0, "[blink]Z[/blink]"),
    Case("missing-path", lambda tmp: ["validate", "--no-cache", str(tmp / "nothing")], 1, "no such file"),
    Case("empty-folder", lambda tmp: ["validate", "--no-cache", str((tmp / "e").mkdir() or tmp / "e")], (0, 1, 2)),
]


@pytest.mark.timeout(TIME_LIMIT)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.setup(tmp_path)
    status = main(args)
    out = capsys.readouterr()
    text = out.out + out.err
    allowed = case.status if isinstance(case.status, tuple) else (case.status,)
    assert status in allowed, f"exit {status}, expected {allowed}:\n{text[-2000:]}"
    assert "Traceback" not in text and "internal error" not in text, text[-2000:]
    if case.says:
        assert case.says in text, text[-2000:]
    if case.never:
        assert case.never not in text, text[-2000:]
    for line in text.splitlines():
        assert len(line) < 5000, "a diagnostic is one bounded line"
    if case.after is not None:
        case.after(tmp_path)


def test_there_are_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60


# --- faults ------------------------------------------------------------------------------------------------


KILL_SCRIPT = """
import sys
from trotsky_tei.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_then_kill(args: list[str], *, after: float) -> None:
    """Run the CLI with `args` in a process of its own and SIGKILL it `after` seconds (unless it ended before)."""
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(timeout=after)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


@pytest.mark.timeout(120)
def test_sigkill_during_link_write_leaves_every_file_old_or_new(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    before = {p: p.read_bytes() for p in (root / "letters").glob("*.xml")}
    run_then_kill(["link", "--write", "--jobs", "1", str(root)], after=0.4)
    for path, old in before.items():
        data = path.read_bytes()
        assert data == old or data.startswith(b"<?xml") and data.rstrip().endswith(b"</TEI>"), path
    assert main(["validate", "--no-cache", str(root)]) in (0, 1)  # every file still parses


def test_a_later_link_write_removes_the_temporaries_a_killed_one_left(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    letter = root / "letters" / "1929-04-30-trotsky-to-overstraeten.xml"
    stale = letter.with_name(f".{letter.name}.abc123.tmp")
    stale.write_text("half a letter", encoding="utf-8")
    from trotsky_tei.xmlfile import atomic_write

    atomic_write(letter, letter.read_bytes(), durable=True)  # what link --write does for each file it changes
    assert not stale.exists()


MEMORY_SCRIPT = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]) * 2**20, int(sys.argv[1]) * 2**20))
from trotsky_tei.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.timeout(180)
@pytest.mark.parametrize("command", ["validate", "epub", "link"])
def test_a_big_letter_stays_within_a_memory_limit(tmp_path: Path, command: str) -> None:
    """20,000 notes and 100,000 inline elements in one letter (8 MB): each command runs in 600 MB of address space."""
    root = corpus(tmp_path)
    with_body(root, "<p>" + "x<note>n</note>" * 20000 + "</p><p>" + '<hi><persName ref="psn:trotsky">T</persName></hi>' * 30000 + "</p>")
    args = {"validate": ["validate", "--no-cache", "--jobs", "1", str(root)],
            "epub": ["export", "epub", str(root), "-o", str(tmp_path / "b.epub"), "--jobs", "1"],
            "link": ["link", "--jobs", "1", str(root)]}[command]
    proc = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, "600", *args], capture_output=True, text=True, timeout=170)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert "MemoryError" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr[-2000:]


@pytest.mark.timeout(120)
def test_sigkill_during_build_then_a_build_recovers(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    out = tmp_path / "out"
    run_then_kill(["build", str(root), "-o", str(out), "--no-pdf", "--jobs", "1"], after=1.0)
    assert main(["build", str(root), "-o", str(out), "--no-pdf", "--jobs", "1", "--force"]) in (0, 1)
    assert not [p for p in out.rglob("*.tmp")], "temporary files of the killed run are gone"
    full = tmp_path / "full"
    assert main(["build", str(root), "-o", str(full), "--no-pdf", "--jobs", "1"]) in (0, 1)
    for page in (full / "site").rglob("*.html"):
        assert (out / "site" / page.relative_to(full / "site")).read_bytes() == page.read_bytes()


@pytest.mark.timeout(120)
def test_two_builds_into_one_folder_do_not_both_write(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, "build", str(root), "-o", str(out), "--no-pdf", "--jobs", "1", "--force"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for p in procs:
        _out, err = p.communicate(timeout=110)
        results.append((p.returncode, err))
    codes = sorted(code for code, _err in results)
    assert all(code in (0, 1, 2) for code in codes), results
    assert any(code in (0, 1) for code in codes), results
    for code, err in results:
        if code == 2:
            assert "another build" in err, err  # refused clearly, never a fixed temporary name's collision
    assert (out / "site" / "index.html").is_file()


@pytest.mark.timeout(120)
def test_a_full_disk_is_an_io_error_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)], capture_output=True).returncode != 0:
        pytest.skip("this machine does not let the test mount a tmpfs")
    try:
        root = corpus(tmp_path)
        status = main(["export", "text", str(root), "-o", str(disk / "t"), "--jobs", "1"])
        (disk / "filler").write_bytes(b"x" * 1)
        with open(disk / "filler", "wb") as fh, pytest.raises(OSError):
            fh.write(b"x" * 400_000)
            fh.flush()
        status = main(["export", "epub", str(root), "-o", str(disk / "book.epub"), "--jobs", "1"])
        err = capsys.readouterr().err
        assert status == 3, err
        assert "I/O error" in err and "book.epub" in err, err
        assert not [p for p in disk.iterdir() if p.name.endswith(".tmp")]
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
