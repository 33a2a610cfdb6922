"""One schema diagnostic per mistake, at the line and column of the offending start tag, naming what was expected:
six typical mistakes made in a copy of the 1929 letter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trotsky_tei.validate import ValidateOptions, validate_paths

LETTER = Path(__file__).resolve().parents[1] / "corpus" / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"


def _drop_correspdesc(text: str) -> str:
    return re.sub(r"<correspDesc>.*?</correspDesc>", "", text, count=1, flags=re.S)


MISTAKES = {  # name -> (change, the text the one diagnostic's line holds at its column, what the message must say)
    "misspelt element": (lambda t: t.replace("<salute>My dear friend", "<salut>My dear friend", 1).replace("</salute>", "</salut>", 1),
                         "<salut>", "did you mean <salute>"),
    "missing required element": (_drop_correspdesc, "<langUsage>", "expected <correspDesc>"),
    "wrong date format": (lambda t: t.replace('<date when="1929-04-30">', '<date when="30-04-1929">', 1), "<date", "'30-04-1929'"),
    "attribute not allowed": (lambda t: t.replace("<p>I get your journal", '<p colour="red">I get your journal', 1), "<p colour", "@colour is not allowed"),
    "text where none is allowed": (lambda t: t.replace("<listPrefixDef>", "<listPrefixDef>stray text", 1), "<listPrefixDef>", "text is not allowed"),
    "element in the wrong place": (lambda t: t.replace("<msIdentifier>", "<msIdentifier><p>wrong place</p>", 1), "<p>wrong", "allowed there:"),
}


@pytest.mark.skipif(not LETTER.is_file(), reason="the 1929 letter is not in this checkout")
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_one_diagnostic_per_mistake_at_its_line_and_column(tmp_path: Path, mistake: str) -> None:
    change, at, says = MISTAKES[mistake]
    text = change(LETTER.read_text(encoding="utf-8"))
    path = tmp_path / "letter.xml"
    path.write_text(text, encoding="utf-8")
    found = [d for d in validate_paths([str(path)], ValidateOptions(jobs=1, cache=False, select=("TT1",))).diagnostics]
    assert len(found) == 1, [d.message for d in found]
    d = found[0]
    assert says in d.message, d.message
    line = text.splitlines()[d.line - 1]
    assert line[d.column - 1:].startswith(at), (d.line, d.column, line)
