"""The public API re-exported by `trotsky_tei` works as its docstring shows."""

from __future__ import annotations

from pathlib import Path

import trotsky_tei as tt

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_every_public_name_is_there() -> None:
    assert all(hasattr(tt, name) for name in tt.__all__)


def test_validate_collect_and_export_as_documented(tmp_path: Path) -> None:
    result = tt.validate_paths([str(CORPUS)], tt.ValidateOptions(jobs=1))
    assert [d for d in result.diagnostics if d.severity is tt.Severity.ERROR] == []
    data = tt.collect([str(CORPUS)])
    assert "letter-1929-04-30-trotsky-to-van-overstraeten" in [info.letter.id for info in data.letters]
    tt.export_site(data, tmp_path / "site")
    assert "W. van Overstraeten" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
