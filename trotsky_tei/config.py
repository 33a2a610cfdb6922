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
    lang = "de"                 # build, serve, export html/text/epub/pdf: --lang (the labels' and dates' language)
    no-search = true            # build, export html: --no-search
    no-source = true            # validate, link: --no-source (no quoted line under each diagnostic)

    [tool.trotsky-tei.per-file-ignores]     # validate, build: codes not reported for some files (as ruff's)
    "letters/drafts/*.xml" = ["TT3"]        # a glob on the path relative to this file's folder (trotsky_tei.pathrules)
    [tool.trotsky-tei.per-file-select]      # validate, build: only these codes for some files
    "imported/**" = ["TT0", "TT1"]

Paths are relative to the folder of the file that sets them. A key not listed here is an error (a misspelt key
would otherwise be silently ignored).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError, printable

if TYPE_CHECKING:
    from .pathrules import PathRules

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
    "lang": ("lang", ("build", "serve", "export html", "export text", "export epub", "export pdf"), False),
    "no-search": ("no_search", ("build", "export html"), False),
    "no-source": ("no_source", ("validate", "link"), False),
    # not options: what the command finds under this name in its default_map (see `path_rules`)
    "per-file-ignores": ("per_file_ignores", ("validate", "build"), False),
    "per-file-select": ("per_file_select", ("validate", "build"), False),
}
PER_FILE = ("per-file-ignores", "per-file-select")
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
        elif key in PER_FILE:
            value = _per_file(path, key, value)
        elif is_path and isinstance(value, str) and not (key == "schema" and value in BUNDLED_SCHEMAS):
            value = str((path.parent / value).resolve()) if not Path(value).is_absolute() else value
        for command in commands:
            group, _, sub = command.partition(" ")
            target = out.setdefault(group, {})
            if sub:
                target = target.setdefault(sub, {})
            target[param] = value
    return out


def _per_file(path: Path, key: str, table: Any) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """A per-file table as (folder the patterns are relative to, pattern, codes); its shape and size checked (the
    codes are checked against the known ones by the command, `path_rules`)."""
    from .pathrules import MAX_PATTERN, MAX_PATTERNS

    if not isinstance(table, dict):
        raise UsageError(f'{path}: {key} must be a table of "pattern" = ["CODE", …]')
    if len(table) > MAX_PATTERNS:
        raise UsageError(f"{path}: {key} has {len(table)} patterns (at most {MAX_PATTERNS})")
    out = []
    for pattern, codes in table.items():
        if not pattern.strip() or len(pattern) > MAX_PATTERN:
            raise UsageError(f"{path}: {key}: a pattern must be 1 to {MAX_PATTERN} characters (not {len(pattern)})")
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes) or len(codes) > MAX_PATTERNS:
            raise UsageError(f'{path}: {key}: "{printable(pattern[:80])}" must name a list of codes, e.g. ["TT3"]')
        out.append((str(path.parent.resolve()), pattern, tuple(codes)))
    return tuple(out)


def path_rules(defaults: Mapping[str, Any] | None) -> PathRules:
    """The per-file rules a command's default_map holds (from the settings), their codes checked (unknown: exit 2)."""
    from .pathrules import PathRule, PathRules
    from .validate import parse_codes

    rules = []
    for key, ignore in (("per_file_ignores", True), ("per_file_select", False)):
        for base, pattern, codes in (defaults or {}).get(key, ()):
            try:
                parsed = parse_codes(codes)
            except UsageError as exc:
                raise UsageError(f"settings, {key.replace('_', '-')} \"{printable(pattern[:80])}\": {exc}") from None
            rules.append(PathRule(base, pattern, parsed, ignore))
    return PathRules(tuple(rules))


def describe(found: tuple[Path, dict[str, Any]] | None) -> list[tuple[str, str, str]]:
    """(setting, value, where it comes from) for every known key: what is in force."""
    table = found[1] if found is not None else {}
    where = str(found[0]) if found is not None else ""
    def shown(key: str) -> str:
        if key in PER_FILE and isinstance(table[key], dict):  # one pattern a line: "letters/drafts/*.xml" = TT3
            return "\n".join(f"{pattern!r} = " + (", ".join(map(str, codes)) if isinstance(codes, list) else repr(codes))
                             for pattern, codes in table[key].items()) or "(none)"
        return repr(table[key])

    return [(key, shown(key), where) if key in table else (key, "(none)" if key in PER_FILE else "(the option's default)", "")
            for key in KEYS]
