"""docs/existing-edition.md, run: each sample edition built from its own files with the options the guide names."""

from __future__ import annotations

from pathlib import Path

import pytest
from _sitekit import SHARED, SHARED_LETTERS
from lxml import etree

from trotsky_tei.cli import main

CMIF_RNG = SHARED / "data" / "schemas" / "cmif" / "cmi-customization.rng"
GUIDE = {  # edition -> (the guide's options, whether the edition states a licence: a CMIF file)
    "schnitzler-briefe": (["--no-schema", "--ignore", "TT501"], True),
    "calvin-lettres": (["--no-schema", "--ignore", "TT202,TT204,TT403"], True),
    "tei-sig-correspdesc": (["--schema", "tei_all", "--ignore", "TT403,TT721", "--jobs", "1"], False),
}


@pytest.mark.skipif(not SHARED_LETTERS.is_dir(), reason="../shared/data/letters is absent")
@pytest.mark.parametrize("edition", sorted(GUIDE))
def test_the_guides_command_publishes_the_edition_as_it_is(tmp_path: Path, edition: str, capsys: pytest.CaptureFixture[str]) -> None:
    src = SHARED_LETTERS / edition
    if not src.is_dir():
        pytest.skip(f"{edition} is absent")
    options, licensed = GUIDE[edition]
    out = tmp_path / edition
    assert main(["build", str(src), "-o", str(out), "--no-pdf", *options]) == 0, capsys.readouterr().err[-3000:]
    err = capsys.readouterr().err
    assert "TT724 edition-from-letters" in err  # no edition.xml: it says what it took from the letters
    assert (out / "site" / "index.html").is_file() and list(out.glob("*.epub"))
    assert (out / "cmif.xml").is_file() is licensed
    if licensed and CMIF_RNG.is_file():
        rng = etree.RelaxNG(etree.parse(str(CMIF_RNG)))
        doc = etree.parse(str(out / "cmif.xml"))
        assert rng.validate(doc), rng.error_log


@pytest.mark.skipif(not (SHARED_LETTERS / "schnitzler-briefe").is_dir(), reason="../shared/data/letters/schnitzler-briefe is absent")
def test_without_the_options_the_editions_own_problems_are_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(SHARED_LETTERS / "schnitzler-briefe"), "-o", str(tmp_path / "s"), "--no-pdf", "--no-schema"]) == 1
    err = capsys.readouterr().err
    assert "TT501" in err and "TT403" not in err  # its correspondents are entries of the letters' own lists
