"""Every command, not only `validate`, meets bad input with diagnostics and an exit code, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from trotsky_tei.cli import main

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
LETTER = ROOT / "corpus" / "letters" / "1929-04-30-trotsky-to-van-overstraeten.xml"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder with one good letter beside every kind of bad file, and the real registry."""
    root = tmp_path_factory.mktemp("mixed")
    (root / "letters").mkdir()
    for f in BAD.glob("*.xml"):
        shutil.copy(f, root / "letters" / f.name)
    shutil.copy(LETTER, root / "letters" / LETTER.name)
    shutil.copytree(ROOT / "corpus" / "registry", root / "registry")
    shutil.copy(ROOT / "corpus" / "edition.xml", root / "edition.xml")
    return root


COMMANDS = [
    ["validate", "--jobs", "1"],
    ["link"],
    ["index"],
    ["export", "text", "-o", "{out}/text"],
    ["export", "html", "-o", "{out}/site"],
    ["export", "epub", "-o", "{out}/book.epub"],
    ["export", "cmif", "-o", "{out}/deep/er/cmif.xml"],
    ["build", "--jobs", "1", "-o", "{out}/edition"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_bad_files_are_reported_and_the_good_letter_still_goes_through(
    command: list[str], mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.format(out=tmp_path) for a in command]
    rc = main([*args, str(mixed / "letters")])
    out, err = capsys.readouterr()
    both = out + err
    assert rc == 1, both  # problems found, not a crash (and not a usage error)
    assert "Traceback" not in both and "internal error" not in both
    for name in ("binary.xml", "not-xml.xml", "entity-bomb.xml", "wrong-encoding.xml", "not-tei.xml"):
        assert name in both, f"{name} not reported by {' '.join(command)}"
    if "-o" in args:  # the good letter was still written
        written = tmp_path / args[args.index("-o") + 1].split(str(tmp_path) + "/", 1)[1]
        assert written.exists()


def test_an_unwritable_output_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    rc = main(["export", "cmif", str(LETTER), "-o", str(blocker / "cmif.xml")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err and "trotsky-tei: error:" in err
