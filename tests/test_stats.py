"""trotsky-tei stats: letters per year and correspondent, shares of linked names and call numbers, unlinked names."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _sitekit import FIXTURE

from trotsky_tei.cli import main


def test_stats_json_counts_what_the_corpus_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    assert main(["stats", "--format", "json", "--jobs", "1", str(corpus)]) == 0
    doc = json.loads(capsys.readouterr().out)
    letters = sorted((corpus / "letters").glob("*.xml"))
    assert doc["letters"] == len(letters)
    assert sum(y["letters"] for y in doc["per_year"]) == len(letters)
    assert 0 <= doc["names"]["linked"] <= doc["names"]["total"]
    assert doc["call_numbers"]["letters_with"] <= len(letters)
    unlinked = {u["name"] for u in doc["most_frequent_unlinked"]}
    # a name added without a pointer shows up among the unlinked ones
    letter = letters[0]
    letter.write_text(letter.read_text(encoding="utf-8").replace("</p>", " <persName>Nobody Known [bold]x[/bold]</persName></p>", 1), encoding="utf-8")
    main(["stats", "--format", "json", "--jobs", "1", str(corpus)])
    again = json.loads(capsys.readouterr().out)
    assert "Nobody Known [bold]x[/bold]" in {u["name"] for u in again["most_frequent_unlinked"]} - unlinked
    assert again["names"]["total"] == doc["names"]["total"] + 1


def test_stats_table_shows_names_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = tmp_path / "c"
    shutil.copytree(FIXTURE, corpus)
    letter = sorted((corpus / "letters").glob("*.xml"))[0]
    letter.write_text(letter.read_text(encoding="utf-8").replace("</p>", " <persName>[red]Marked[/red]</persName></p>", 1), encoding="utf-8")
    main(["stats", "--jobs", "1", str(corpus)])
    out = capsys.readouterr().out
    for heading in ("Letters per year", "Correspondents", "Most frequent unlinked", "names linked"):
        assert heading in out
    assert "[red]Marked[/red]" in out  # a letter's text is never rich markup
