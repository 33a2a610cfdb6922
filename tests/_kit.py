"""Helpers shared by the render tests: golden files, and the text nodes every export must carry."""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree

from trotsky_tei.reader import in_data_list, is_data_list
from trotsky_tei.render.core import fold, text_elements

GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDENS=1 rewrites it (then a person reads the diff)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path} is missing; run with UPDATE_GOLDENS=1 and read it"
    assert actual == path.read_text(encoding="utf-8")


def body_texts(tree: etree._ElementTree) -> list[str]:
    """Every text node (text and tail) inside the letter's front, body and back, folded; comments and PIs are not
    text, and neither are the back's lists of people, places and works (the letter's registry, shown in the
    registers: `registry.letter_entries`)."""
    out: list[str] = []
    for top in text_elements(tree):
        for node in top.iter():
            if in_data_list(node):
                continue
            if isinstance(node.tag, str) and is_data_list(node):
                pass  # its tail is text; what it holds is not
            elif isinstance(node.tag, str) and node.text and fold(node.text):
                out.append(fold(node.text))
            if node is not top and node.tail and fold(node.tail):
                out.append(fold(node.tail))
    return out
