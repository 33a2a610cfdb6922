"""trotsky-tei new: a letter skeleton from the registry and the edition file that validates clean, never over a file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _sitekit import FIXTURE

from trotsky_tei.cli import main
from trotsky_tei.registry import load_registry
from trotsky_tei.validate import ValidateOptions, validate_paths


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    dst = tmp_path / "c"
    shutil.copytree(FIXTURE, dst)
    return dst


def _ids(corpus: Path, kind: str) -> list[str]:
    registry, _ = load_registry(corpus / "registry")
    return sorted(e.id for e in registry.entries.values() if e.kind == kind)


def test_new_writes_a_letter_that_validates_clean(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people, places, archives = _ids(corpus, "person"), _ids(corpus, "place"), _ids(corpus, "repository")
    args = ["new", "--corpus", str(corpus), "--date", "1931-02-03", "--from", people[0], "--to", people[1]]
    if places:
        args += ["--place", places[0]]
    if archives:
        args += ["--archive", archives[0], "--item", "42"]
    assert main(args) == 0
    written = corpus / "letters" / f"1931-02-03-{people[0]}-to-{people[1]}.xml"
    assert written.is_file()
    result = validate_paths([str(written)], ValidateOptions(jobs=1, cache=False))
    assert [d for d in result.diagnostics if d.severity.value == "error"] == []
    text = written.read_text(encoding="utf-8")
    assert '<date when="1931-02-03">3 February 1931</date>' in text and "<!--" in text  # where the editor writes
    assert main(args) == 2  # never over the file it wrote
    assert "never overwrites" in capsys.readouterr().err


def test_new_refuses_unknown_ids_and_impossible_dates(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = _ids(corpus, "person")
    assert main(["new", "--corpus", str(corpus), "--date", "1929-02-30", "--from", people[0], "--to", people[1]]) == 2
    assert main(["new", "--corpus", str(corpus), "--date", "1929-02-03", "--from", people[0][:-1], "--to", people[1]]) == 2
    err = capsys.readouterr().err
    assert "a real date" in err and "did you mean" in err
    assert not list((corpus / "letters").glob("1929-02-*"))


def test_adding_a_letter_as_the_docs_describe_keeps_the_corpus_clean(tmp_path: Path) -> None:
    """docs/encoding.md "Adding a letter", step 1, in a copy of the bundled corpus: it still validates and builds
    clean (the test suite's own checks were run once with such a letter added to corpus/ itself, and pass)."""
    corpus = Path(__file__).resolve().parents[1] / "corpus"
    if not (corpus / "registry").is_dir():
        pytest.skip("the bundled corpus is not in this checkout")
    copy = tmp_path / "corpus"
    shutil.copytree(corpus, copy)
    people = _ids(copy, "person")
    assert main(["new", "--corpus", str(copy), "--date", "1931-02-03", "--from", people[0], "--to", people[1]]) == 0
    assert main(["validate", "--no-cache", "--jobs", "1", str(copy)]) == 0
    assert main(["build", str(copy), "-o", str(tmp_path / "edition"), "--no-pdf", "--jobs", "1"]) == 0
