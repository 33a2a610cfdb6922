"""Test session setup: `validate`'s results cache goes to a temporary folder, never into the checkout."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _cache_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("validate-cache")
    saved = os.environ.get("TROTSKY_TEI_CACHE_DIR")
    os.environ["TROTSKY_TEI_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("TROTSKY_TEI_CACHE_DIR", None)
    else:
        os.environ["TROTSKY_TEI_CACHE_DIR"] = saved
