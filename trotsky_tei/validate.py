"""Validation orchestration: discover files, check each (schema + editorial rules), in parallel, in stable order."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from .errors import Diagnostic, SchemaError, Severity, UsageError
from .parallel import process_context
from .reader import REGISTRY_DIR, discover, find_corpus_root, read
from .registry import Registry, load_registry
from .rules import Rule, RuleContext, all_rules
from .xmlfile import XML_ID, line_of

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


DUPLICATE_LETTER_ID = "TT204"

BUILTIN_CHECKS: tuple[Check, ...] = (
    Check("TT000", "unreadable", "A path that does not exist, or a file that cannot be read.", "input"),
    Check("TT001", "empty-file", "A file with no content.", "input"),
    Check("TT002", "not-xml", "A file that is not well-formed XML (or is binary).", "input"),
    Check("TT003", "bad-encoding", "A file whose bytes do not match its encoding declaration.", "input"),
    Check("TT004", "entity-declaration", "A file that declares entities (refused: XXE and entity bombs).", "input"),
    Check("TT005", "not-tei", "A root element other than TEI in the TEI namespace.", "input"),
    Check("TT006", "no-xml-files", "A folder given on the command line that holds no *.xml file.", "input"),
    Check("TT099", "internal-error", "A check crashed on this file (a bug: please report it).", "input"),
    Check(SCHEMA_CODE, "schema", "The file does not validate against the RELAX NG schema.", "schema"),
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
    Check("TT720", "cmif-incomplete-letter", "Warning: a letter with no sent or no received action CMIF can hold (a name, a place or a W3C date); left out of the CMIF file.", "cmif", ("letter",)),
    Check("TT721", "cmif-licence", "No Creative Commons licence for the CMIF file from the options or the edition (CMIF requires one).", "cmif", ("edition",)),
    Check("TT722", "cmif-no-editor", "Warning: the edition names no editor for the CMIF file.", "cmif", ("edition",)),
    Check("TT723", "cmif-invalid-date", "Warning: a correspAction date attribute that is not a valid W3C date; left out of the CMIF file.", "cmif", ("letter",)),
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
    checks = (*BUILTIN_CHECKS, *OTHER_COMMANDS_CHECKS)
    return sorted({c.code for c in checks} | {r.code for r in all_rules()})


def parse_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Split repeated/comma-separated `--select`/`--ignore` values; each must prefix a known code (else exit 2)."""
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


# --- per-process state: the schema compiled once, registries loaded once ----------------------------

_SCHEMAS: dict[str | None, SchemaLike] = {}


def get_schema(path: str | None) -> SchemaLike:
    """The compiled schema (bundled when `path` is None), compiled once per process; SchemaError if unusable."""
    key = str(Path(path).resolve()) if path else None
    cached = _SCHEMAS.get(key)
    if cached is not None:
        return cached
    if path is not None and not Path(path).is_file():
        raise SchemaError(f"schema file not found: {path}")
    try:
        from .schema import (
            load_schema,  # the SCHEMA module; imported late so rules work without it
        )
    except ImportError as exc:
        raise SchemaError(f"schema support is not available ({exc})") from exc
    try:
        schema: SchemaLike = load_schema(path)
    except SchemaError:
        raise
    except Exception as exc:
        raise SchemaError(f"cannot compile schema {path or '(bundled)'}: {exc}") from exc
    _SCHEMAS[key] = schema
    return schema


class _State:
    """What one process needs to check files: options, schema, rules, and a registry per corpus root."""

    def __init__(self, options: ValidateOptions) -> None:
        self.options = options
        self.schema = get_schema(options.schema_path) if options.use_schema and options.wants(SCHEMA_CODE) else None
        self.rules: list[Rule] = [r for r in all_rules() if options.wants(r.code)]
        self.registries: dict[str, tuple[Registry, list[Diagnostic]]] = {}
        self.today = options.today or _dt.date.today().isoformat()

    def registry_dir(self, path: str) -> str | None:
        """--registry as given, else <corpus root>/registry: relative (to the working folder) when `path` is."""
        if self.options.registry_dir is not None:
            return self.options.registry_dir
        root = find_corpus_root(path)
        if root is None or not (root / REGISTRY_DIR).is_dir():
            return None
        folder = root / REGISTRY_DIR
        return str(folder) if Path(path).is_absolute() else os.path.relpath(folder)

    def registry(self, folder: str | None) -> tuple[Registry, list[Diagnostic]]:
        key = folder or ""
        if key not in self.registries:
            self.registries[key] = load_registry(folder) if folder else (Registry(), [])
        return self.registries[key]


_WORKER: _State | None = None


def _init_worker(options: ValidateOptions) -> None:
    global _WORKER
    _WORKER = _State(options)  # with fork the compiled schema is inherited; otherwise compiled here, once


LetterId = tuple[str, int]  # a letter's TEI/@xml:id and the line of its TEI element


def _check_in_worker(path: str) -> tuple[list[Diagnostic], LetterId | None]:
    assert _WORKER is not None
    return _check(path, _WORKER)


def _internal(path: str, what: str, exc: BaseException) -> Diagnostic:
    return Diagnostic(path, 0, 0, Severity.ERROR, "TT099", "internal-error", f"{what} failed: {type(exc).__name__}: {exc}")


def check_file(path: str, state: _State) -> list[Diagnostic]:
    """All diagnostics for one file: reading, schema (capped), then each selected rule; never raises."""
    return _check(path, state)[0]


def _check(path: str, state: _State) -> tuple[list[Diagnostic], LetterId | None]:
    """check_file's diagnostics, and the letter's id for the checks across files (None: not a letter, or no id)."""
    try:
        lf = read(path)
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
        return [_internal(path, "reading", exc)], None
    diags = list(lf.parsed.diagnostics)
    tree = lf.parsed.tree
    if tree is None:
        return diags, None
    root = tree.getroot()
    letter_id = root.get(XML_ID) if lf.kind == "letter" else None
    found: LetterId | None = (letter_id.strip(), line_of(root)) if letter_id and letter_id.strip() else None
    if state.schema is not None:
        try:
            diags.extend(state.schema.validate(tree, path))
        except Exception as exc:  # noqa: BLE001
            diags.append(_internal(path, "schema validation", exc))
    registry, _ = state.registry(state.registry_dir(path))
    ctx = RuleContext(path, tree, lf.kind or "letter", registry, lf.letter, state.today)
    for r in state.rules:
        try:
            diags.extend(r.check(ctx))
        except Exception as exc:  # noqa: BLE001
            diags.append(_internal(path, f"rule {r.code} {r.name}", exc))
    return diags, found


def duplicate_letter_ids(found: Sequence[tuple[str, LetterId | None]]) -> list[Diagnostic]:
    """TT204 for each letter whose id an earlier letter (in the order given) already has, naming the first one."""
    first: dict[str, tuple[str, int]] = {}
    out: list[Diagnostic] = []
    for path, ident in found:
        if ident is None:
            continue
        value, line = ident
        if value in first:
            where, where_line = first[value]
            out.append(
                Diagnostic(
                    path, line, 1 if line else 0, Severity.ERROR, DUPLICATE_LETTER_ID, "duplicate-letter-id",
                    f"letter id '{value}' (TEI/@xml:id) is already the id of {where}:{where_line}; each letter needs its own",
                )
            )
        else:
            first[value] = (path, line)
    return out


def _order(diags: list[Diagnostic]) -> list[Diagnostic]:
    """Sort one file's diagnostics by position and drop exact duplicates."""
    return sorted(set(diags), key=lambda d: (d.line, d.column, d.code, d.message, d.severity.value))


def _cap_schema(path: str, diags: list[Diagnostic], limit: int) -> tuple[list[Diagnostic], int]:
    """Keep the first `limit` schema diagnostics of a file and say how many more there are."""
    schema = [d for d in diags if d.code.startswith("TT1")]
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


def _jobs(options: ValidateOptions, n_files: int) -> int:
    jobs = options.jobs if options.jobs is not None else (os.cpu_count() or 1)
    return max(1, min(jobs, n_files))


def validate_paths(paths: Sequence[str], options: ValidateOptions | None = None) -> ValidationResult:
    """Validate files and folders; bad input becomes diagnostics, a bad --schema raises SchemaError (exit 2)."""
    options = options or ValidateOptions()
    if options.registry_dir is not None and not Path(options.registry_dir).is_dir():
        raise UsageError(f"--registry {options.registry_dir}: not a folder")
    files, missing = discover(list(paths))
    lead = list(missing)
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not any(os.path.realpath(f).startswith(os.path.realpath(p) + os.sep) for f in files):
            lead.append(Diagnostic(raw, 0, 0, Severity.WARNING, "TT006", "no-xml-files", "no *.xml files in this folder"))
    state = _State(options)  # compiles the schema here first, so a bad --schema fails before any work
    per_file: dict[str, list[Diagnostic]] = {f: [] for f in files}
    as_given = {os.path.realpath(f): f for f in files}  # a registry file is reported under the path the user gave
    extra: list[Diagnostic] = []
    for folder in dict.fromkeys(state.registry_dir(f) for f in files):
        registry, registry_diags = state.registry(folder)
        for d in registry_diags:
            given = as_given.get(os.path.realpath(d.path))
            within_file = d.code == "TT601" and (d.path, d.line) in registry.repeats_within_file
            if given is not None and within_file and options.wants("TT201"):
                continue  # the registry file is checked, so TT201 reports this repeat
            if given is not None:
                per_file[given].append(dataclasses.replace(d, path=given))
            else:
                extra.append(d)
    jobs = _jobs(options, len(files))
    if jobs > 1:
        chunk = max(1, len(files) // (jobs * 4))
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=process_context(), initializer=_init_worker, initargs=(options,)
        ) as pool:
            results = list(pool.map(_check_in_worker, files, chunksize=chunk))
    else:
        results = [_check(f, state) for f in files]
    for f, (diags, _) in zip(files, results, strict=True):
        per_file[f].extend(diags)
    for d in duplicate_letter_ids([(f, ident) for f, (_, ident) in zip(files, results, strict=True)]):
        per_file[d.path].append(d)
    ordered: list[Diagnostic] = [d for d in _order(lead) if options.wants(d.code)]
    counts = {"errors": 0, "warnings": 0, "infos": 0}
    for d in ordered:
        counts[_COUNT_KEY.get(d.severity.value, "infos")] += 1
    not_shown = 0
    groups = [(f, per_file[f]) for f in files] + [(p, [d for d in extra if d.path == p]) for p in dict.fromkeys(d.path for d in extra)]
    for path, diags in groups:
        wanted = [d for d in _order(diags) if options.wants(d.code)]
        for d in wanted:
            counts[_COUNT_KEY.get(d.severity.value, "infos")] += 1
        shown, hidden = _cap_schema(path, wanted, options.max_schema_errors)
        not_shown += hidden
        ordered.extend(shown)
    return ValidationResult(files, ordered, counts, not_shown)


def rule_table() -> list[dict[str, Any]]:
    """Every check and rule as rows {code, name, source, applies_to, doc}, sorted by code."""
    rows: dict[str, dict[str, Any]] = {}
    for c in (*BUILTIN_CHECKS, *OTHER_COMMANDS_CHECKS):
        rows[c.code] = {"code": c.code, "name": c.name, "source": c.source, "applies_to": list(c.applies_to), "doc": c.doc}
    for r in all_rules():
        rows[r.code] = {"code": r.code, "name": r.name, "source": "rule", "applies_to": list(r.kinds), "doc": r.doc}
    return [rows[k] for k in sorted(rows)]
