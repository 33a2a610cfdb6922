"""Diagnostics for CI tools: SARIF 2.1.0 (code-scanning dashboards) and GitHub workflow commands (annotations).

Both are written with the standard library (json; the GitHub escaping its documentation gives): a SARIF log is one
JSON document whose shape the SARIF 2.1.0 schema fixes, and an annotation is one line per diagnostic.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str, base: str) -> str:
    """A file's URI relative to `base` where it lies below it (what code-scanning tools show), else its absolute URI."""
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, base)
    except ValueError:
        rel = ""
    if rel and not rel.startswith(".."):
        return Path(rel).as_posix()
    return Path(absolute).as_uri()


def sarif_log(diagnostics: Sequence[Diagnostic], rules: Sequence[dict[str, Any]], version: str, base: str | None = None) -> str:
    """The diagnostics as a SARIF 2.1.0 log: one run of trotsky-tei, its rules, one result per diagnostic."""
    base = os.path.abspath(base or os.getcwd())
    used = sorted({d.code for d in diagnostics})
    known = {r["code"]: r for r in rules}
    driver_rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for code in used:
        row = known.get(code, {"name": code, "doc": ""})
        index[code] = len(driver_rules)
        driver_rules.append({"id": code, "name": row["name"], "shortDescription": {"text": row["doc"] or row["name"]}})
    results: list[dict[str, Any]] = []
    for d in diagnostics:
        location: dict[str, Any] = {"artifactLocation": {"uri": _uri(d.path, base)}}
        if d.line > 0:
            location["region"] = {"startLine": d.line, **({"startColumn": d.column} if d.column > 0 else {})}
        results.append({
            "ruleId": d.code,
            "ruleIndex": index[d.code],
            "level": LEVELS.get(d.severity, "warning"),
            "message": {"text": f"{d.name}: {d.message}"},
            "locations": [{"physicalLocation": location}],
        })
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "trotsky-tei", "version": version,
                                "rules": driver_rules}},
            "originalUriBaseIds": {"SRCROOT": {"uri": Path(base).as_uri() + "/"}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=True)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(diagnostics: Sequence[Diagnostic]) -> str:
    """One GitHub Actions workflow command per diagnostic (`::error file=…,line=…,col=…,title=…::message`)."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for d in diagnostics:
        props = [f"file={_prop(d.path)}"]
        if d.line > 0:
            props.append(f"line={d.line}")
            if d.column > 0:
                props.append(f"col={d.column}")
        props.append(f"title={_prop(f'{d.code} {d.name}')}")
        lines.append(f"::{kinds.get(d.severity, 'warning')} {','.join(props)}::{_data(d.message)}")
    return "\n".join(lines) + ("\n" if lines else "")
