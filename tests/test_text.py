"""The plain-text export: the 1929 letter's goldens, the feature fixture, `export text` on the command line.

Goldens are regenerated on purpose with `UPDATE_GOLDENS=1 pytest tests/test_text.py` and read before committing.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _kit import check_golden
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from trotsky_tei.cli import cli
from trotsky_tei.reader import read
from trotsky_tei.render.core import RenderContext
from trotsky_tei.render.text import render_letter_text, wrap

REPO = Path(__file__).resolve().parents[1]
LETTER_1929 = REPO / "corpus" / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"
FEATURES = REPO / "tests" / "data" / "render" / "features-render.xml"
SCHEMA_FEATURES = REPO / "tests" / "data" / "features.xml"


def render_file(path: Path, **kw: object) -> tuple[str, list]:
    lf = read(str(path))
    assert lf.parsed.tree is not None and lf.letter is not None, lf.parsed.diagnostics
    return render_letter_text(lf.parsed.tree, lf.letter, RenderContext(path=str(path)), **kw)  # type: ignore[arg-type]


@pytest.mark.skipif(not LETTER_1929.is_file(), reason="the 1929 letter is not encoded yet")
@pytest.mark.parametrize("mode", ["reading", "diplomatic"])
def test_1929_letter_golden(mode: str) -> None:
    text, warnings = render_file(LETTER_1929, mode=mode)
    assert warnings == []
    check_golden(f"1929-04-30-trotsky-to-van-overstraeten.{mode}.txt", text)


@pytest.mark.skipif(not LETTER_1929.is_file(), reason="the 1929 letter is not encoded yet")
def test_1929_letter_structure() -> None:
    text, _ = render_file(LETTER_1929)
    head, _, rest = text.partition("\n\n")
    assert head.splitlines()[0] == "Leon Trotsky to W. van Overstraeten, 30 April 1929"
    assert "\nFrom:        Leon Trotsky" in head and "\nTo:          W. van Overstraeten" in head
    assert "\nDate:        30 April 1929" in head and "(10708)" in head
    assert all(len(line) <= 72 for line in text.splitlines())
    assert rest.index("journal[3]") < rest.index("\nNotes\n") < rest.index("\n[3] The paper") < rest.index("\nApparatus\n")


def test_width_option_wraps_paragraphs() -> None:
    narrow, _ = render_file(FEATURES, width=30)
    wide, _ = render_file(FEATURES, width=200)
    assert max(len(line) for line in narrow.splitlines()) <= 30
    assert max(len(line) for line in wide.splitlines()) > 100
    def words(text: str) -> list[str]:
        return [w for w in text.split() if set(w) != {"="}]  # the title's underline follows the width

    assert words(narrow) == words(wide)


def test_feature_fixture_reading_and_diplomatic() -> None:
    reading, rw = render_file(FEATURES)
    diplomatic, dw = render_file(FEATURES, mode="diplomatic")
    assert rw == [] and dw == []
    body_r = " ".join(reading.split("\nNotes\n")[0].split(" "))
    body_d = diplomatic.split("\nNotes\n")[0]
    flat_r = " ".join(body_r.split())
    # one reading per mode, never both ("nothing printed twice")
    assert "receive" in body_r and "recieve" not in body_r
    assert "recieve" in body_d and "receive," not in body_d
    assert "Doctor" in body_r and "Dr;" not in body_r and "Dr;" in body_d
    assert "deleted" not in body_r and "⟦deleted⟧" in body_d and "⸌added⸍" in body_d
    assert "[… illegible, 2 words]" in flat_r and "[supplied]" in flat_r and "faint(?)" in flat_r
    assert "a line break" in flat_r and "a line\nbreak" in body_d and "[p. 2]" in body_d and "[p. 2]" not in body_r
    assert "- first item\n- second item" in body_r
    assert "“a quotation”" in flat_r
    assert "An editor's preface." in body_r
    app = " ".join(reading.split("\nApparatus\n")[1].split())
    assert "receive] sic recieve" in app and "lemma A] reading B" in app and "—] del. deleted" in app


@pytest.mark.skipif(not SCHEMA_FEATURES.is_file(), reason="tests/data/features.xml (the schema feature fixture) is absent")
def test_schema_feature_fixture_renders_without_unknown_elements() -> None:
    for mode in ("reading", "diplomatic"):
        text, warnings = render_file(SCHEMA_FEATURES, mode=mode)
        assert [w for w in warnings if w.code == "TT701"] == []
        assert text.strip()


def test_cli_export_text_to_folder_and_stdout(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "text"
    result = runner.invoke(cli, ["export", "text", str(FEATURES), "-o", str(out), "--width", "40"])
    assert result.exit_code == 0, result.output
    written = out / "features-render.txt"
    assert written.is_file()
    assert max(len(line) for line in written.read_text(encoding="utf-8").splitlines()) <= 40
    result = runner.invoke(cli, ["export", "text", str(FEATURES), "-o", "-", "--mode", "diplomatic"])
    assert result.exit_code == 0
    assert result.stdout.startswith("Every element the renderer handles\n") and "⟦deleted⟧" in result.stdout


def test_cli_export_text_reports_bad_input_and_unknown_elements(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<TEI", encoding="utf-8")
    odd = tmp_path / "odd.xml"
    odd.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/><text><body><p>a\n<blorp>kept</blorp></p></body></text></TEI>',
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "text", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1  # bad.xml is an error
    assert "bad.xml:" in result.stderr and "TT002" in result.stderr
    assert f"{odd}:2:0: warning TT701 unknown-element" in result.stderr
    assert "kept" in (tmp_path / "out" / "odd.txt").read_text(encoding="utf-8")
    assert "Traceback" not in result.output


def test_output_is_deterministic() -> None:
    assert render_file(FEATURES) == render_file(FEATURES)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("ab-—c\u00a0é.,\t"), min_size=1, max_size=30), max_size=40),
    st.integers(20, 80), st.sampled_from(["", "Date:   ", "[12] "]), st.sampled_from(["", "    "]),
)
def test_wrap_gives_the_lines_textwrap_gives(words: list[str], width: int, first: str, rest: str) -> None:
    """The writer's own line filling (no regular expressions) is textwrap's, folded text or not."""
    for text in (" ".join(words), " ".join(" ".join(words).split())):
        assert wrap(text, width, first, rest) == textwrap.wrap(
            text, width=width, initial_indent=first, subsequent_indent=rest, break_long_words=False, break_on_hyphens=False
        )
