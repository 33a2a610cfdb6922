"""The project's settings: `[tool.trotsky-tei]` in a `pyproject.toml`, or a `trotsky-tei.toml`, found as ruff finds its
own — in the current folder or the nearest folder above it that has one. Options on the command line win.

    [tool.trotsky-tei]          # (in trotsky-tei.toml: the same keys at the top level)
    schema = "tei_all"          # validate, build: --schema
    schematron = "rules.sch"    # validate, build: --schematron
    select = ["TT1", "TT2"]     # validate, build: --select
    ignore = ["TT403"]          # validate, build: --ignore
    registry = "registry"       # validate, link, index: --registry
    jobs = 2                    # every command with --jobs
    output = "edition"          # build: -o
    licence = "https://creativecommons.org/licenses/by/4.0/"   # build, export cmif: --licence
    paper = "a4"                # build, export pdf: --paper
    no-pdf = true               # build: --no-pdf
    lang = "de"                 # build, export html/text/epub: --lang (the labels' and dates' language)
    no-search = true            # build, export html: --no-search

Paths are relative to the folder of the file that sets them. A key not listed here is an error (a misspelt key
would otherwise be silently ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .errors import UsageError

# key -> (click parameter name, the commands that take it, whether it is a path)
KEYS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "schema": ("schema_path", ("validate", "build"), True),
    "schematron": ("schematron_path", ("validate", "build"), True),
    "select": ("select", ("validate", "build"), False),
    "ignore": ("ignore", ("validate", "build"), False),
    "registry": ("registry_dir", ("validate", "link", "index"), True),
    "jobs": ("jobs", ("validate", "link", "build", "stats", "export html", "export text", "export epub", "export pdf"), False),
    "output": ("out", ("build",), True),
    "licence": ("licence", ("build", "export cmif"), False),
    "paper": ("paper", ("build", "export pdf"), False),
    "no-pdf": ("no_pdf", ("build",), False),
    "lang": ("lang", ("build", "export html", "export text", "export epub"), False),
    "no-search": ("no_search", ("build", "export html"), False),
}
BUNDLED_SCHEMAS = ("tei_all",)


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest settings file at or above `start` (default: the current folder) and its trotsky-tei table."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / "trotsky-tei.toml"
        if own.is_file():
            return own, _load(own)
        project = folder / "pyproject.toml"
        if project.is_file():
            table = _load(project).get("tool", {}).get("trotsky-tei")
            if table is not None:
                return project, table
    return None


def _load(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported only where there is a file to read: --help stays fast
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the settings: {exc}") from exc


def default_map(found: tuple[Path, dict[str, Any]] | None) -> dict[str, Any]:
    """The settings as click's `default_map` ({command: {parameter: value}}, `export` nested)."""
    if found is None:
        return {}
    path, table = found
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise UsageError(f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                         f"(known: {', '.join(KEYS)})")
    out: dict[str, Any] = {}
    for key, value in table.items():
        param, commands, is_path = KEYS[key]
        if key in ("select", "ignore"):
            value = tuple(value) if isinstance(value, list) else (str(value),)
        elif is_path and isinstance(value, str) and not (key == "schema" and value in BUNDLED_SCHEMAS):
            value = str((path.parent / value).resolve()) if not Path(value).is_absolute() else value
        for command in commands:
            group, _, sub = command.partition(" ")
            target = out.setdefault(group, {})
            if sub:
                target = target.setdefault(sub, {})
            target[param] = value
    return out


def describe(found: tuple[Path, dict[str, Any]] | None) -> list[tuple[str, str, str]]:
    """(setting, value, where it comes from) for every known key: what is in force."""
    table = found[1] if found is not None else {}
    where = str(found[0]) if found is not None else ""
    return [(key, repr(table[key]), where) if key in table else (key, "(the option's default)", "") for key in KEYS]
