"""Validation orchestration: discover files, check each (schema + editorial rules), in parallel, in stable order."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lxml import etree

from .errors import Diagnostic, SchemaError, Severity, UsageError
from .letter_pass import DUPLICATE_LETTER_ID, CheckOptions
from .reader import find_corpus_root
from .store import Store

if TYPE_CHECKING:
    from .pathrules import PathRules
    from .source import SourceLines

SCHEMA_CODE = "TT100"
DEFAULT_MAX_SCHEMA_ERRORS = 20
_COUNT_KEY = {"error": "errors", "warning": "warnings"}


@dataclass(frozen=True)
class Check:
    """A built-in check that is not a rule (reading, schema, registry loading), listed by `trotsky-tei rules`."""

    code: str
    name: str
    doc: str
    source: str
    applies_to: tuple[str, ...] = ()  # document kinds; empty: all files


BUILTIN_CHECKS: tuple[Check, ...] = (
    Check("TT000", "unreadable", "A path that does not exist, or a file that cannot be read.", "input"),
    Check("TT001", "empty-file", "A file with no content.", "input"),
    Check("TT002", "not-xml", "A file that is not well-formed XML (or is binary).", "input"),
    Check("TT003", "bad-encoding", "A file whose bytes do not match its encoding declaration.", "input"),
    Check("TT004", "entity-declaration", "A file that declares entities (refused: XXE and entity bombs).", "input"),
    Check("TT005", "not-tei", "A root element other than TEI in the TEI namespace.", "input"),
    Check("TT006", "no-xml-files", "A folder given on the command line that holds no *.xml file.", "input"),
    Check("TT007", "undefined-entity", "A reference to an entity the document does not define (a DTD that is never read): the exports show the reference itself.", "input"),
    Check("TT099", "internal-error", "A check crashed on this file (a bug: please report it).", "input"),
    Check(SCHEMA_CODE, "schema", "The file does not validate against the RELAX NG schema.", "schema"),
    Check("TT110", "schematron-assert", "A Schematron assert (--schematron) that fails on this node; the name is the assert's @id, else its rule's or pattern's.", "schematron"),
    Check("TT111", "schematron-report", "A Schematron report (--schematron) whose test is true on this node; named as TT110.", "schematron"),
    Check("TT112", "schematron-error", "A Schematron expression that cannot be evaluated on this document (a failed cast, a type error), naming the .sch line.", "schematron"),
    Check("TT101", "schema-partial", "Warning: an element with more children than the full schema check handles in linear time; the grammar's index checked names, attributes and places, not order or number.", "schema"),
    Check(
        DUPLICATE_LETTER_ID, "duplicate-letter-id",
        "A letter whose TEI/@xml:id another letter of the same run already has (reported on the later file).",
        "corpus", ("letter",),
    ),
    Check("TT601", "duplicate-registry-id", "An id used by entries of two registry files (within one file: TT201).", "registry"),
)

# codes that other commands print (validate never does): listed by `trotsky-tei rules`, accepted by --select/--ignore
OTHER_COMMANDS_CHECKS: tuple[Check, ...] = (
    Check("TT701", "unknown-element", "Warning: an element the text/HTML/EPUB export has no handler for; its content is rendered as plain text.", "export", ("letter",)),
    Check("TT702", "html-lang", "Warning: an xml:lang the HTML lang attribute cannot carry (not a registered BCP 47 tag): left out or shortened.", "export", ("letter",)),
    Check("TT703", "html-invalid-date", "Warning: a @when the HTML page shows that is no real date; its text is shown without <time datetime>.", "export", ("letter",)),
    Check("TT704", "pdf-typeset", "Warning: Typst, typesetting the PDF book, reported a problem (said in its words); the book is written.", "export", ("letter",)),
    Check("TT720", "cmif-incomplete-letter", "Warning: a letter with no sent or no received action CMIF can hold (a name, a place or a W3C date); left out of the CMIF file.", "cmif", ("letter",)),
    Check("TT721", "cmif-licence", "No Creative Commons licence for the CMIF file from the options or the edition (CMIF requires one).", "cmif", ("edition",)),
    Check("TT722", "cmif-no-editor", "Warning: the edition names no editor for the CMIF file.", "cmif", ("edition",)),
    Check("TT723", "cmif-invalid-date", "Warning: a correspAction date attribute that is not a valid W3C date; left out of the CMIF file.", "cmif", ("letter",)),
    Check("TT724", "edition-from-letters", "Info: no edition.xml: the edition's title, publisher and licence are what its letters' headers agree on (said which).", "export", ("letter",)),
    Check("TT801", "unresolved-correspondent", "A correspondent (correspAction name) that does not resolve to a registry entry.", "link", ("letter",)),
    Check("TT802", "broken-registry-pointer", "A name whose pointer leads into a registry file, but there is no such entry there.", "link", ("letter",)),
    Check("TT803", "ambiguous-name", "A name without @ref that several registry entries fit (listed, never guessed).", "link", ("letter",)),
    Check("TT804", "name-not-in-registry", "A name without @ref that no registry entry fits.", "link", ("letter",)),
    Check("TT805", "unlinked-name", "A name without @ref that exactly one registry entry fits (`link --write` adds it).", "link", ("letter",)),
    Check("TT806", "name-differs-from-entry", "Info: a linked name whose text fits none of its entry's names.", "link", ("letter",)),
    Check("TT807", "external-pointer", "Info: a name whose pointer leads outside the registry (another edition, an id in the letter, a @key).", "link", ("letter",)),
    Check("TT808", "cannot-write", "`link --write` could not edit a file losslessly; it is left as it was.", "link", ("letter",)),
)


class SchemaLike(Protocol):
    """What validation needs of a compiled schema (trotsky_tei.schema.LetterSchema)."""

    def validate(self, tree: etree._ElementTree, path: str) -> list[Diagnostic]: ...


@dataclass(frozen=True)
class ValidateOptions:
    """How to validate; picklable, so worker processes get the same settings."""

    schema_path: str | None = None  # None: the bundled letter schema
    use_schema: bool = True
    registry_dir: str | None = None  # None: <corpus root>/registry for each file
    select: tuple[str, ...] = ()  # code prefixes; empty: all
    ignore: tuple[str, ...] = ()
    today: str = ""  # ISO date for TT303; empty: the real today
    jobs: int | None = None  # None: os.cpu_count()
    max_schema_errors: int = DEFAULT_MAX_SCHEMA_ERRORS  # per file; 0: no limit
    cache: bool = False  # reuse the results of files unchanged since the last run (the CLI's default; --no-cache)
    executor: str | None = None  # None or "local": `jobs` local processes; dask://HOST:PORT: a Dask cluster
    schematron_path: str | None = None  # ISO Schematron rules (TT110–TT112); None: none

    def check(self) -> CheckOptions:
        """What of these options changes the results (the rest says where and how they are made, or shown)."""
        return CheckOptions(self.schema_path, self.use_schema, self.select, self.ignore, self.today, self.schematron_path)

    def wants(self, code: str) -> bool:
        """Whether diagnostics with `code` are reported under --select/--ignore."""
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)


@dataclass
class ValidationResult:
    """The files checked and every diagnostic, grouped by file in input order."""

    files: list[str]
    diagnostics: list[Diagnostic]
    counts: dict[str, int] = field(default_factory=dict)  # errors / warnings / infos, including ones not shown
    not_shown: int = 0  # schema diagnostics beyond --max-schema-errors
    checked: int = 0  # files checked in this run (the others' results came from the cache)

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.get("errors", 0) else 0

    def summary(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "errors": self.counts.get("errors", 0),
            "warnings": self.counts.get("warnings", 0),
            "infos": self.counts.get("infos", 0),
            "not_shown": self.not_shown,
        }


def known_codes() -> list[str]:
    """Every code a diagnostic can carry: built-in checks, registered rules, and the codes of other commands."""
    from .rules import all_rules

    checks = (*BUILTIN_CHECKS, *OTHER_COMMANDS_CHECKS)
    return sorted({c.code for c in checks} | {r.code for r in all_rules()})


def parse_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Split repeated/comma-separated `--select`/`--ignore` values; each must prefix a known code (else exit 2)."""
    values = [v for v in values if v.strip(", ")]
    if not values:  # nothing to check: the rules are not imported just to list their codes (a cached run needs none)
        return ()
    codes = known_codes()
    out: list[str] = []
    for value in values:
        for part in value.split(","):
            p = part.strip().upper()
            if not p:
                continue
            if not any(c.startswith(p) for c in codes):
                raise UsageError(f"unknown code '{part.strip()}' (see `trotsky-tei rules` for the codes)")
            if p not in out:
                out.append(p)
    return tuple(out)


def get_schema(path: str | None) -> SchemaLike:
    """The compiled schema (bundled when `path` is None); SchemaError if unusable."""
    from .letter_pass import compile_schema

    schema: SchemaLike = compile_schema(path)
    return schema


def _order(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Sort one file's diagnostics by position and drop exact duplicates."""
    return sorted(set(diags), key=lambda d: (d.line, d.column, d.code, d.message, d.severity.value))


def _cap_schema(path: str, diags: list[Diagnostic], limit: int) -> tuple[list[Diagnostic], int]:
    """Keep the first `limit` schema diagnostics of a file and say how many more there are."""
    schema = [d for d in diags if d.code.startswith("TT10")]  # RELAX NG's (Schematron's TT11x are not capped)
    if limit <= 0 or len(schema) <= limit:
        return diags, 0
    hidden = set(schema[limit:])
    kept = [d for d in diags if d not in hidden]
    more = len(schema) - limit
    kept.append(
        Diagnostic(
            path, 0, 0, Severity.INFO, SCHEMA_CODE, "more-schema-errors",
            f"{more} more schema diagnostics in this file not shown (first {limit} shown; --max-schema-errors 0 shows all)",
        )
    )
    return kept, more


def validate_paths(
    paths: Sequence[str], options: ValidateOptions | None = None, *, sources: SourceLines | None = None,
    progress: Callable[[int, int], None] | None = None, per_file: PathRules | None = None,
) -> ValidationResult:
    """Validate files and folders; bad input becomes diagnostics, a bad --schema raises SchemaError (exit 2).

    `sources` receives the lines the diagnostics shown point at (for the text output's quoted lines): the letters'
    from the bytes the pass read, the few others' (registry and edition files) read once each. `progress` is called
    with (files done, files) as results come in. `per_file`: the settings' per-file-ignores/-select, applied after
    the options' select and ignore.

    Each file is read and parsed once (in the one pass, `letter_pass`); with `options.cache`, a file whose bytes
    and context are unchanged since the last run is not checked again: its diagnostics come from the cache.
    """
    from .letter_pass import CorpusPass, PassOptions
    from .parallel import make_executor

    options = options or ValidateOptions()
    if options.schema_path is not None:
        from .relaxng import schema_file

        if not Path(schema_file(options.schema_path) or "").is_file():
            raise SchemaError(f"schema file not found: {options.schema_path}")
    if options.schematron_path is not None and not Path(options.schematron_path).is_file():
        raise SchemaError(f"schematron file not found: {options.schematron_path}")
    pass_options = PassOptions(consumers=("validate",), check=options.check())
    store = open_cache(paths, options) if options.cache else None
    try:
        result = CorpusPass(
            list(paths), pass_options, registry_dir=options.registry_dir, store=store,
            executor=make_executor(options.jobs, options.executor), sources=sources,
        ).run(progress)
    finally:
        if store is not None:
            store.close()
    def wants(d: Diagnostic) -> bool:
        return options.wants(d.code) and (per_file is None or per_file.wants(d.path, d.code))

    ordered: list[Diagnostic] = [d for d in _order(result.lead) if wants(d)]
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for d in ordered:
        counts[_COUNT_KEY.get(d.severity.value, "infos")] += 1
    not_shown = 0
    groups: list[tuple[str, list[Diagnostic]]] = []
    for outcome in result.outcomes:
        diags = [*outcome.meta.read, *outcome.meta.diagnostics_of("validate"), *result.corpus.get(outcome.path, ())]
        groups.append((outcome.path, diags))
    for p in dict.fromkeys(d.path for d in result.extra):
        groups.append((p, [d for d in result.extra if d.path == p]))
    for path, diags in groups:
        wanted = [d for d in _order(diags) if wants(d)]
        for d in wanted:
            counts[_COUNT_KEY.get(d.severity.value, "infos")] += 1
        shown, hidden = _cap_schema(path, wanted, options.max_schema_errors)
        not_shown += hidden
        ordered.extend(shown)
    if sources is not None:
        sources.read_missing(ordered)
    return ValidationResult(result.files, ordered, counts, not_shown, checked=result.processed)


CACHE_DIR = ".trotsky-tei-cache"


def cache_folder(paths: Sequence[str]) -> Path:
    """Where `validate` keeps its results: $TROTSKY_TEI_CACHE_DIR, else .trotsky-tei-cache/ in the corpus root
    (the folder with registry/ or edition.xml above the first path), else in the current folder (as ruff does)."""
    given = os.environ.get("TROTSKY_TEI_CACHE_DIR")
    if given:
        return Path(given)
    root = find_corpus_root(paths[0]) if paths else None
    return (root if root is not None else Path.cwd()) / CACHE_DIR


def open_cache(paths: Sequence[str], options: ValidateOptions) -> Store | None:
    """The results cache of `validate`; None where it cannot be made (a read-only corpus: then nothing is cached)."""
    folder = cache_folder(paths)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# made by trotsky-tei: results of `validate`, safe to delete\n*\n", encoding="utf-8")
        return Store(folder / "validate.sqlite")
    except (OSError, sqlite3.Error):
        return None


def rule_table() -> list[dict[str, Any]]:
    """Every check and rule as rows {code, name, source, applies_to, doc}, sorted by code."""
    from .rules import all_rules

    rows: dict[str, dict[str, Any]] = {}
    for c in (*BUILTIN_CHECKS, *OTHER_COMMANDS_CHECKS):
        rows[c.code] = {"code": c.code, "name": c.name, "source": c.source, "applies_to": list(c.applies_to), "doc": c.doc}
    for r in all_rules():
        rows[r.code] = {"code": r.code, "name": r.name, "source": "rule", "applies_to": list(r.kinds), "doc": r.doc}
    return [rows[k] for k in sorted(rows)]
