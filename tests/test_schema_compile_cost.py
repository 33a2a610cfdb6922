"""The compiled schema's cost: a run whose every result is cached compiles nothing; a slow schema (tei_all) is not
compiled again by every worker when the letters left to check would take less time than compiling it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from _sitekit import FIXTURE

from trotsky_tei import letter_pass, schematron
from trotsky_tei.parallel import LocalExecutor
from trotsky_tei.relaxng import bundled_schema_path
from trotsky_tei.validate import ValidateOptions, validate_paths

SCH = Path(__file__).parent / "data" / "schematron" / "letters.sch"


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    calls = {"schema": 0, "schematron": 0}
    real_schema, real_sch = letter_pass.compile_schema, schematron.load_schematron

    def schema(path: str | None) -> Any:
        calls["schema"] += 1
        return real_schema(path)

    def sch(path: str, digest: str = "") -> Any:
        calls["schematron"] += 1
        return real_sch(path, digest)

    monkeypatch.setattr(letter_pass, "compile_schema", schema)
    monkeypatch.setattr(schematron, "load_schematron", sch)
    return calls


def test_a_fully_cached_run_compiles_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: dict[str, int]) -> None:
    monkeypatch.setenv("TROTSKY_TEI_CACHE_DIR", str(tmp_path / "cache"))
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE, corpus)
    options = ValidateOptions(jobs=1, cache=True, schema_path=str(bundled_schema_path()), schematron_path=str(SCH))
    first = validate_paths([str(corpus)], options)
    assert first.checked > 0 and counted == {"schema": 1, "schematron": 1}
    again = validate_paths([str(corpus)], options)
    letters = len(list((corpus / "letters").glob("*.xml")))
    # (`checked` counts the registry and edition files, whose results come from the cache too: see _main_docs)
    assert first.checked - again.checked == letters and again.diagnostics == first.diagnostics
    assert counted == {"schema": 1, "schematron": 1}  # nothing compiled for the second run
    letter = sorted((corpus / "letters").glob("*.xml"))[0]
    letter.write_text(letter.read_text(encoding="utf-8").replace("</body>", "<p>One more.</p></body>"), encoding="utf-8")
    changed = validate_paths([str(corpus)], options)
    assert changed.checked == again.checked + 1 and counted == {"schema": 2, "schematron": 2}


def test_a_slow_schema_is_not_compiled_by_every_worker_for_a_few_letters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = letter_pass.compile_schema

    def slow(path: str | None) -> Any:
        time.sleep(letter_pass.SLOW_SCHEMA_SECONDS + 0.1)  # as tei_all's seconds, in miniature
        return real(path)

    jobs: list[int] = []
    real_map = LocalExecutor.map

    def recording(self: LocalExecutor, fn: Any, context: Any, items: Any, size: int | None = None) -> Any:
        jobs.append(self.jobs)
        return real_map(self, fn, context, items, size)

    monkeypatch.setattr(letter_pass, "compile_schema", slow)
    monkeypatch.setattr(LocalExecutor, "map", recording)
    for i in range(20):
        shutil.copy(FIXTURE / "letters" / sorted(p.name for p in (FIXTURE / "letters").glob("*.xml"))[0], tmp_path / f"l{i:02}.xml")
    serial = validate_paths([str(tmp_path)], ValidateOptions(jobs=1))
    parallel = validate_paths([str(tmp_path)], ValidateOptions(jobs=2))
    assert jobs == [1, 1]  # 20 letters take less than compiling it again in each of two workers
    assert parallel.diagnostics == serial.diagnostics
