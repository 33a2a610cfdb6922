"""The line a diagnostic points at, quoted under it with a caret under its column (text output of validate and link):
lined up through tabs and wide characters, escaped where the document holds control characters or terminal escapes,
cut to a window around the column on a long line; from the bytes the pass read (cached results too); never in the
machine formats; off with --no-source."""

from __future__ import annotations

import json
import shutil
import time
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from trotsky_tei.cli import main
from trotsky_tei.console import print_diagnostics
from trotsky_tei.errors import Diagnostic, Severity
from trotsky_tei.source import QUOTE_WIDTH, SourceLines, lines_of, quote

DATA = Path(__file__).parent / "data"
GOOD = DATA / "rules" / "letters" / "good.xml"
TODAY = "2026-06-30"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(DATA / "rules" / "registry", root / "registry")
    (root / "letters").mkdir()
    return root


def _letter(corpus: Path, change: str = "", name: str = "x.xml") -> Path:
    """The good letter with its text persName (line 54) misspelt, or with `change` made on that line instead."""
    lines = GOOD.read_text(encoding="utf-8").split("\n")
    assert '<persName ref="psn:trotsky">Trotsky</persName>' in lines[53]
    lines[53] = change or lines[53].replace("<persName ref=\"psn:trotsky\">Trotsky</persName>", '<persNme ref="psn:trotsky">Trotsky</persNme>')
    path = corpus / "letters" / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = main(["validate", "--today", TODAY, "--jobs", "1", *args])
    out, err = capsys.readouterr()
    assert err == ""  # no progress bar on a non-terminal
    return rc, out


def _block(out: str, line: int) -> list[str]:
    """The diagnostic line for `line` and the two lines after it."""
    lines = out.splitlines()
    i = next(i for i, text in enumerate(lines) if f":{line}:" in text.split(" ")[0])
    return lines[i : i + 3]


def test_a_schema_error_quotes_its_line_with_a_caret_under_the_start_tag(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _letter(corpus)
    rc, out = _validate(capsys, "--no-cache", str(path))
    assert rc == 1
    head, quoted, caret = _block(out, 54)
    assert head.startswith(f"{path}:54:38: error TT100 schema: ")
    assert quoted == '   54 |         <p xml:id="p1">A letter from <persNme ref="psn:trotsky">Trotsky</persNme> to'
    assert caret == "      | " + " " * 37 + "^"
    assert quoted[caret.index("^") :].startswith("<persNme")


def test_tabs_are_expanded_so_that_the_caret_lines_up(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _letter(corpus, '\t\t<p xml:id="p1">A\tletter from <persNme ref="psn:trotsky">Trotsky</persNme> to')
    _rc, out = _validate(capsys, "--no-cache", str(path))
    head, quoted, caret = _block(out, 54)
    assert head.startswith(f"{path}:54:32: ")  # columns count characters: a tab is one
    assert "\t" not in quoted
    assert quoted[caret.index("^") :].startswith("<persNme")


def test_terminal_escapes_and_control_characters_in_a_line_are_shown_escaped(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a bidi override and a C1 control (both allowed in XML 1.0) before the mistake: escaped, the caret still under it
    path = _letter(corpus, '        <p xml:id="p1">\u202e \x85 \u2028<persNme ref="psn:trotsky">T</persNme> to')
    _rc, out = _validate(capsys, "--no-cache", str(path))
    _head, quoted, caret = _block(out, 54)
    assert "\u202e" not in out and "\x85" not in out and "\u2028" not in out
    assert "\\u202e \\x85 \\u2028<persNme" in quoted
    assert quoted[caret.index("^") :].startswith("<persNme")
    # terminal escapes (not XML characters: the file is not well-formed, and its line is quoted)
    path = _letter(corpus, '        <p xml:id="p1">\x1b[2J\x1b]0;pwned\x07 <persName ref="psn:trotsky">Trotsky</persName> to')
    _rc, out = _validate(capsys, "--no-cache", str(path))
    head, quoted, caret = _block(out, 54)
    assert "not-xml" in head
    assert "\x1b" not in out and "\x07" not in out
    assert quoted == '   54 |         <p xml:id="p1">\\x1b[2J\\x1b]0;pwned\\x07 <persName ref="psn:trotsky">Trotsky</persName> to'
    assert caret.endswith("^")


def test_a_long_line_is_quoted_as_a_window_around_the_column(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    filler = "word " * 4000  # a line of 20,000 characters, the mistake in its middle
    path = _letter(corpus, f'        <p xml:id="p1">{filler}<persNme ref="psn:trotsky">Trotsky</persNme> {filler}')
    _rc, out = _validate(capsys, "--no-cache", str(path))
    _head, quoted, caret = _block(out, 54)
    shown = quoted.split(" | ", 1)[1]
    assert shown.startswith("…") and shown.endswith("…")
    assert len(shown) <= QUOTE_WIDTH + 2
    assert quoted[caret.index("^") :].startswith("<persNme")


def test_no_source_and_the_machine_formats_quote_nothing(corpus: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _letter(corpus)
    _rc, out = _validate(capsys, "--no-cache", "--no-source", str(path))
    assert " | " not in out and "^" not in out
    (corpus / "trotsky-tei.toml").write_text("no-source = true\n", encoding="utf-8")  # the setting, as --no-source
    monkeypatch.chdir(corpus)
    _rc, out = _validate(capsys, "--no-cache", str(path))
    assert " | " not in out and "^" not in out
    (corpus / "trotsky-tei.toml").unlink()
    _rc, out = _validate(capsys, "--no-cache", "--format", "json", str(path))
    assert "persNme ref" not in out and json.loads(out)["diagnostics"]
    _rc, out = _validate(capsys, "--no-cache", "--format", "github", str(path))
    assert all(line.startswith("::") for line in out.splitlines())
    _rc, out = _validate(capsys, "--no-cache", "--format", "sarif", str(path))
    assert "persNme ref" not in out and json.loads(out)["runs"][0]["results"]


def test_cached_results_quote_their_lines_too(corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    monkeypatch.setenv("TROTSKY_TEI_CACHE_DIR", str(tmp_path / "cache"))
    _letter(corpus)
    fresh = _validate(capsys, str(corpus))
    again = _validate(capsys, str(corpus))
    assert again == fresh
    assert "   54 |" in fresh[1]


def test_a_registry_file_s_diagnostic_is_quoted(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Registry files are parsed before the letters (and not kept as bytes): their lines are read once, for the
    files that have a diagnostic."""
    _letter(corpus)
    persons = corpus / "registry" / "persons.xml"
    text = persons.read_text(encoding="utf-8")
    persons.write_text(text.replace("<person ", "<persn ", 1).replace("</person>", "</persn>", 1), encoding="utf-8")
    _rc, out = _validate(capsys, "--no-cache", str(corpus))
    blocks = [b for b in out.split("\n\n") if b.startswith(str(persons))]
    assert blocks and " | " in blocks[0] and "<persn" in blocks[0], out


def test_an_unreadable_or_unparsable_file_quotes_what_it_can(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = corpus / "letters" / "broken.xml"
    broken.write_text('<?xml version="1.0"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0">\n  <p>unclosed</q>\n</TEI>\n', encoding="utf-8")
    (corpus / "letters" / "empty.xml").write_bytes(b"")
    _rc, out = _validate(capsys, "--no-cache", str(corpus / "letters"))
    head, quoted, caret = _block(out, 3)
    assert head.startswith(f"{broken}:3:") and "not-xml" in head
    assert quoted == "    3 |   <p>unclosed</q>"
    assert caret.startswith("      | ") and caret.endswith("^")
    assert f"{corpus / 'letters' / 'empty.xml'}:0:0: error TT001" in out


def test_link_quotes_the_line_of_each_problem(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _letter(corpus, '        <p xml:id="p1">A letter from <persName>Nobody Known</persName> to')
    main(["link", "--jobs", "1", str(path)])
    out = capsys.readouterr().out
    head, quoted, caret = _block(out, 54)
    assert "TT804" in head
    assert quoted == '   54 |         <p xml:id="p1">A letter from <persName>Nobody Known</persName> to'
    assert caret == "      | ^"
    main(["link", "--jobs", "1", "--no-source", str(path)])
    assert " | " not in capsys.readouterr().out


# --- the parts --------------------------------------------------------------------------------------------------


def test_quote_places_the_caret_by_cells() -> None:
    assert quote("abc", 2) == ("abc", 1)
    assert quote("abc", 0) == ("abc", -1)  # column not known: no caret
    assert quote("abc", 9) == ("abc", 3)  # past the end: after it
    assert quote("\tx", 2) == ("    x", 4)
    assert quote("ab\tx", 4) == ("ab  x", 4)  # to the next tab stop
    assert quote("日本<x>", 3) == ("日本<x>", 4)  # wide characters take two cells
    assert quote("a\x1bb", 3) == ("a\\x1bb", 5)


def test_lines_of_reads_the_file_s_own_encoding() -> None:
    text = '<?xml version="1.0" encoding="{}"?>\r\n<TEI>\r\n  <p>Größe</p>\r\n</TEI>'
    assert lines_of(text.format("UTF-16").encode("utf-16"), [3, 9]) == {3: "  <p>Größe</p>"}
    assert lines_of(text.format("ISO-8859-1").encode("latin-1"), [1, 3])[3] == "  <p>Größe</p>"
    assert lines_of(b"\xef\xbb\xbf" + text.format("UTF-8").encode(), [1])[1].startswith("<?xml")
    assert lines_of(b"<a>\xff</a>", [1]) == {1: "<a>\ufffd</a>"}  # bytes that are not the encoding's: replaced
    assert lines_of(b"", [1]) == {1: ""} and lines_of(b"a", [0]) == {}


def test_thousands_of_quoted_diagnostics_print_quickly() -> None:
    line = "\t<p>" + "x" * 300 + "<persNme/></p>"
    diags = [Diagnostic(f"f{i // 50}.xml", 1 + i % 50, 306, Severity.ERROR, "TT100", "schema", "element not allowed")
             for i in range(5000)]
    sources = SourceLines()
    for i in range(100):
        sources.add(f"f{i}.xml", {n: line for n in range(1, 51)})
    console = Console(file=StringIO(), width=100, color_system="truecolor", force_terminal=True)
    start = time.perf_counter()
    print_diagnostics(console, diags, {"files": 100, "errors": 5000}, sources)
    took = time.perf_counter() - start
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert text.count("^") == 5000
    assert took < 10, f"{took:.1f} s for 5000 quoted diagnostics"
