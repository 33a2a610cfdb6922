"""The one pass over a corpus: each letter is read and parsed once, and every consumer takes what it needs from that tree.

    files ──read once──▶ LetterDoc (bytes' hash, tree, Letter record, resolved references)
                            │  one task per letter (this process, worker processes, or a Dask cluster):
                            ├─ validate ─▶ diagnostics (schema, editorial rules)
                            ├─ link ─────▶ the link report
                            ├─ record ───▶ LetterInfo (registers, index, navigation), the registry ids it uses
                            ├─ cmif ─────▶ the letter's correspDesc
                            ├─ site ─────▶ the web page's article, serialised from the rendered HTML tree
                            ├─ epub ─────▶ the EPUB chapter, derived from that same tree
                            └─ text ─────▶ the plain text
    results (small) ──▶ corpus-wide checks (TT204, TT602) ─▶ the caller: cross-letter pages, the book, the manifest

A consumer is a function `(doc) -> Part` in `consumers.CONSUMERS`; a new output is one more row there. The main process
reads each file's bytes once (to key it), its task (in this process or a worker) parses them once; registry files and
the edition file are parsed once in the main process, where they are also checked. With a `Store`, a letter whose bytes
and context (the registry entries it looked up, the edition, the options, the tool's code) did not change is not
processed again: its results, diagnostics included, come from the store.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import codec
from .errors import Diagnostic, SchemaError, Severity, UsageError
from .i18n import Lang, choose
from .keys import code_hash, key_of
from .model import Edition
from .parallel import Executor, LocalExecutor
from .reader import REGISTRY_DIR, discover_files, document_kind, extract_letter, find_corpus_root, read_edition_file
from .refs import References
from .registry import Registry, load_registry_files
from .store import Store, pack
from .xmlfile import XML_ID, Parsed, line_of, parse_bytes, read_bytes

if TYPE_CHECKING:
    from .source import SourceLines

SCHEMA_CODE = "TT100"
DUPLICATE_LETTER_ID = "TT204"
# consumers that need no `Letter` record of a letter: a run of only these does not make one
RECORDLESS_CONSUMERS = frozenset({"validate"})
# a letter's check costs about 2-3 ms of CPU (docs/performance.md); a schema whose compiling in this process took
# longer than the letters left to check would take here is not compiled again by each worker: they are checked here
LETTER_SECONDS = 0.005
SLOW_SCHEMA_SECONDS = 0.5
# a letter to process, as a task takes it: (path, registry folder, its bytes, the problems of reading it)
Item = tuple[str, str, bytes | None, tuple[Diagnostic, ...]]
BATCH = 8  # letters per task: enough for a task to be worth sending to a process
LOOKAHEAD = 64  # letters to process read before the work starts (the rest are read as the work goes on)


# --- what a run asks for ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOptions:
    """How letters are checked (the part of `validate`'s options that changes results)."""

    schema_path: str | None = None  # None: the bundled letter schema
    use_schema: bool = True
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    today: str = ""  # ISO date for TT303; empty: the real today
    schematron_path: str | None = None  # ISO Schematron rules (TT110–TT112) run on each file; None: none

    def wants(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)


@dataclass(frozen=True)
class PassOptions:
    """Which consumers run, and their settings; part of every letter's cache key."""

    consumers: tuple[str, ...] = ("record",)
    check: CheckOptions = field(default_factory=CheckOptions)
    site_mode: str = "both"
    epub_mode: str = "reading"
    text_width: int = 72
    text_mode: str = "reading"
    pdf_mode: str = "reading"
    cmif_base_url: str | None = None
    link_write: str = ""  # "write" or "dry-run": what `link` does to the files it reports on
    lang: str = ""  # the language of the labels and dates (en, de, fr; "" : the edition's), as `--lang` gives it

    def __post_init__(self) -> None:
        from .consumers import CONSUMERS

        unknown = [c for c in self.consumers if c not in CONSUMERS]
        if unknown:
            raise ValueError(f"unknown consumers: {unknown}")


@dataclass
class Run:
    """Everything a letter's task needs besides the letter: sent to each worker once (plain data)."""

    options: PassOptions
    registries: dict[str, Registry]  # registry folder as given ("" : none) -> registry
    edition: Edition
    today: str
    schema_digest: str = ""
    schematron_digest: str = ""  # the Schematron file's content (the results depend on it, not on its name alone)
    _schema: Any = field(default=None, repr=False)
    _schematron: Any = field(default=None, repr=False)
    schema_seconds: float = 0.0  # how long compiling the schema took in this process (0: not compiled here)
    _keys: dict[str, str] = field(default_factory=dict, repr=False)
    _contexts: dict[str, str] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_schema": None, "_schematron": None, "_keys": {}, "_contexts": {}}

    def schema(self) -> Any:
        """The compiled schema, compiled once per process (None when no schema check is asked for)."""
        check = self.options.check
        if "validate" not in self.options.consumers or not check.use_schema or not check.wants(SCHEMA_CODE):
            return None
        if self._schema is None:
            start = time.perf_counter()
            self._schema = compile_schema(check.schema_path)
            self.schema_seconds = time.perf_counter() - start
        return self._schema

    def schematron(self) -> Any:
        """The compiled Schematron rules, compiled once per process (None when none are given or wanted)."""
        check = self.options.check
        if "validate" not in self.options.consumers or not check.schematron_path:
            return None
        from .schematron import CODES, load_schematron

        if not any(check.wants(code) for code in CODES):
            return None
        if self._schematron is None:
            self._schematron = load_schematron(check.schematron_path, self.schematron_digest)
        return self._schematron

    @property
    def lang(self) -> Lang:
        """The language of the outputs' labels and dates: `--lang`, else the edition's, else English."""
        return choose(self.options.lang, self.edition.language)

    def common_key(self, registry_key: str) -> str:
        """What every letter's results depend on besides its own bytes and the registry entries it looked up."""
        found = self._keys.get(registry_key)
        if found is None:
            from .consumers import EDITION_CONSUMERS

            registry = self.registries[registry_key]
            consumers = set(self.options.consumers)
            found = self._keys[registry_key] = key_of(
                code_hash(), self.options, registry.layout_key(), registry.roots, self.schema_digest, self.schematron_digest,
                self.edition if consumers & EDITION_CONSUMERS else None,
                self.today if "validate" in consumers else "", self.lang,
            )
        return found

    def context_key(self, registry_key: str) -> str:
        """Everything a letter's key depends on besides its bytes: if this is what it was when the key was made, and
        the letter's pointers lead into no other file, the key is still the same (no need to work it out again).
        The same for every letter of a registry: worked out once."""
        found = self._contexts.get(registry_key)
        if found is None:
            found = self._contexts[registry_key] = key_of(self.common_key(registry_key), self.registries[registry_key].state_key())
        return found

    def letter_key(self, registry_key: str, digest: str, lookups: Sequence[str]) -> str:
        return key_of(self.common_key(registry_key), digest, self.registries[registry_key].dependency_key(lookups))


def compile_schema(path: str | None) -> Any:
    """The compiled schema (bundled when `path` is None; `tei_all`: all of TEI P5, bundled too); SchemaError (exit 2)
    when it cannot be used."""
    from .relaxng import schema_file

    path = schema_file(path)
    if path is not None and not Path(path).is_file():
        raise SchemaError(f"schema file not found: {path}")
    try:
        from .schema import load_schema
    except ImportError as exc:  # pragma: no cover - the schema package is part of the install
        raise SchemaError(f"schema support is not available ({exc})") from exc
    try:
        return load_schema(path)
    except SchemaError:
        raise
    except Exception as exc:
        raise SchemaError(f"cannot compile schema {path or '(bundled)'}: {exc}") from exc


# --- one letter --------------------------------------------------------------------------------------


@dataclass
class LetterDoc:
    """One letter as the pass holds it while its consumers run: parsed once, its record and references made once."""

    path: str
    parsed: Parsed
    kind: str | None
    letter: Any  # model.Letter | None (None also where no consumer of the run reads it: RECORDLESS_CONSUMERS)
    registry: Registry
    run: Run
    data: bytes = b""
    registry_key: str = ""
    _refs: References | None = None
    _memo: dict[str, Any] = field(default_factory=dict)

    @property
    def tree(self) -> Any:
        return self.parsed.tree

    @property
    def refs(self) -> References:
        if self._refs is None:
            self._refs = References(self.parsed.tree, self.path, self.registry)  # type: ignore[arg-type]
        return self._refs

    def memo(self, name: str, make: Callable[[], Any]) -> Any:
        """A value consumers share (the record, the rendered HTML trees), made on first use."""
        if name not in self._memo:
            self._memo[name] = make()
        return self._memo[name]


@dataclass(frozen=True)
class Part:
    """What one consumer made of one letter: small results (kept in memory and in the store as JSON), a large
    output (stored compressed, read back when an output file is written), its diagnostics, and a title."""

    value: Any = None
    content: str | bytes | None = None  # bytes: stored as they are (a letter's own file, byte for byte)
    diagnostics: tuple[Diagnostic, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class LetterMeta:
    """The small results of one letter: what the main process keeps, and what the store keeps for the next run."""

    kind: str | None
    read: tuple[Diagnostic, ...] = ()  # reading the file
    diagnostics: tuple[tuple[str, tuple[Diagnostic, ...]], ...] = ()  # consumer -> its diagnostics
    values: tuple[tuple[str, Any], ...] = ()  # consumer -> its small value (JSON-ready: see `codec`)
    titles: tuple[tuple[str, str], ...] = ()
    contents: tuple[str, ...] = ()  # consumers whose large output is stored
    letter_id: tuple[str, int] | None = None
    used_ids: tuple[str, ...] = ()
    value_keys: tuple[tuple[str, str], ...] = ()  # consumer -> a hash of its small value (what outputs that
    # show only the records, like the registers and the CMIF file, are keyed on)

    def without_used_ids(self) -> LetterMeta:
        """The same results without the registry ids the letter uses (once the run has them: what is kept is small)."""
        return LetterMeta(kind=self.kind, read=self.read, diagnostics=self.diagnostics, values=self.values,
                          titles=self.titles, contents=self.contents, letter_id=self.letter_id, value_keys=self.value_keys)

    def value_key(self, consumer: str) -> str:
        return next((k for name, k in self.value_keys if name == consumer), "")

    def diagnostics_of(self, consumer: str) -> tuple[Diagnostic, ...]:
        return next((d for name, d in self.diagnostics if name == consumer), ())

    def value(self, consumer: str) -> Any:
        found = next((v for name, v in self.values if name == consumer), None)
        return found.decoded() if isinstance(found, codec.Late) else found

    def title(self, consumer: str) -> str:
        return next((t for name, t in self.titles if name == consumer), "")


@dataclass(frozen=True)
class ValuesOf:
    """The value of `consumer` for each outcome that has one, in order, decoded as each is reached: iterated as often
    as wanted, and the values kept as JSON text (`codec.Late`) are never all decoded at once."""

    outcomes: Sequence[LetterOutcome]
    consumer: str

    def __iter__(self) -> Iterator[Any]:
        for outcome in self.outcomes:
            value = outcome.meta.value(self.consumer)
            if value is not None:
                yield value


@dataclass
class LetterOutcome:
    """What the pass gives its caller for each file, in the order of the files."""

    path: str
    digest: str
    key: str
    lookups: tuple[str, ...]
    meta: LetterMeta
    parts: dict[str, bytes] = field(default_factory=dict)  # packed large outputs; empty when `cached`
    extra: dict[str, Any] = field(default_factory=dict)  # results not stored (the link report of `link`)
    cached: bool = False
    meta_json: str = ""  # `meta` as stored; what crosses from a worker to the main process

    def __getstate__(self) -> dict[str, Any]:
        # a worker sends its results as JSON, not as objects: the records name registry entries by id, and the
        # main process links them to its own registry (one Entity each, however many letters name it)
        state = dict(self.__dict__)
        state["meta_json"] = self.meta_json or meta_to_json(self.meta)
        state["meta"] = None
        return state

    def link(self, registry: Registry) -> None:
        """After the trip from a worker: the results as records again, naming this process's registry entries."""
        if self.meta is None:
            self.meta = meta_from_json(self.meta_json, registry)


def internal(path: str, what: str, exc: BaseException) -> Diagnostic:
    return Diagnostic(path, 0, 0, Severity.ERROR, "TT099", "internal-error", f"{what} failed: {type(exc).__name__}: {exc}")


def process_letter(run: Run, path: str, registry_key: str, data: bytes | None, read_diags: tuple[Diagnostic, ...]) -> LetterOutcome:
    """All of one file's work, in one task: parse, then every consumer of the run in turn; never raises."""
    from .consumers import CONSUMERS, MENTION_CONSUMERS, STORED_VALUES

    digest = hashlib.sha256(data).hexdigest() if data is not None else ""
    registry = run.registries[registry_key]
    if data is None:
        meta = LetterMeta(kind=None, read=read_diags)
        return LetterOutcome(path, digest, "", (), meta)
    with registry.recording() as lookups:
        try:
            parsed = parse_bytes(data, path)
        except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the other files
            parsed = Parsed(path, None, [internal(path, "reading", exc)])
        if parsed.tree is None:
            meta = LetterMeta(kind=None, read=tuple(parsed.diagnostics))
            return LetterOutcome(path, digest, run.letter_key(registry_key, digest, ()), (), meta)
        kind = document_kind(parsed.tree)
        try:
            names = bool(MENTION_CONSUMERS & set(run.options.consumers))
            # the letter's record, for the consumers that read it (validate's rules read the tree)
            wanted = kind == "letter" and not set(run.options.consumers) <= RECORDLESS_CONSUMERS
            letter = extract_letter(parsed.tree, path, mentions=names) if wanted else None
        except Exception as exc:  # noqa: BLE001
            meta = LetterMeta(kind=kind, read=(*parsed.diagnostics, internal(path, "reading the letter's record", exc)))
            return LetterOutcome(path, digest, "", (), meta)
        doc = LetterDoc(path, parsed, kind, letter, registry, run, data, registry_key)
        diagnostics: list[tuple[str, tuple[Diagnostic, ...]]] = []
        values: list[tuple[str, Any]] = []
        value_keys: list[tuple[str, str]] = []
        titles: list[tuple[str, str]] = []
        parts: dict[str, bytes] = {}
        extra: dict[str, Any] = {}
        for name in CONSUMERS:
            if name not in run.options.consumers:
                continue
            try:
                part = CONSUMERS[name](doc)
            except Exception as exc:  # noqa: BLE001 - one consumer's bug must not cost the others
                part = Part(diagnostics=(internal(path, f"{name}", exc),))
            if part.diagnostics:
                diagnostics.append((name, part.diagnostics))
            if name in STORED_VALUES and part.value is not None:
                values.append((name, part.value))
                value_keys.append((name, key_of(codec.dumps(part.value))))
            elif part.value is not None:
                extra[name] = part.value
            if part.title:
                titles.append((name, part.title))
            if part.content is not None:
                parts[name] = pack(part.content)
        root = parsed.tree.getroot()
        letter_id = root.get(XML_ID) if kind == "letter" else None
        # the registry ids the letter uses, for TT602 (unused registry entries): only a check needs them
        used = sorted(doc.refs.used_ids()) if kind == "letter" and "validate" in run.options.consumers else []
    meta = LetterMeta(
        kind=kind, read=tuple(parsed.diagnostics), diagnostics=tuple(diagnostics), values=tuple(values),
        titles=tuple(titles), contents=tuple(sorted(parts)),
        letter_id=(letter_id.strip(), line_of(root)) if letter_id and letter_id.strip() else None,
        used_ids=tuple(used),
        value_keys=tuple(value_keys),
    )
    found = tuple(sorted(lookups))
    return LetterOutcome(path, digest, run.letter_key(registry_key, digest, found), found, meta, parts, extra)


def process_batch(run: Run, batch: Sequence[Item]) -> list[LetterOutcome]:
    """One task: a few letters in a row (so a task is worth sending to a process)."""
    return [process_letter(run, *item) for item in batch]


def check_tree(
    run: Run, path: str, tree: Any, kind: str, registry: Registry, letter: Any, refs: References | None = None,
    used_registry_ids: frozenset[str] | None = None, source: bytes | None = None,
) -> list[Diagnostic]:
    """Schema (when asked) and every selected rule on one parsed file; never raises."""
    from .rules import RuleContext, all_rules

    check = run.options.check
    diags: list[Diagnostic] = []
    schema = run.schema()
    if schema is not None:
        try:
            diags.extend(schema.validate(tree, path, source))
        except Exception as exc:  # noqa: BLE001
            diags.append(internal(path, "schema validation", exc))
    schematron = run.schematron()
    if schematron is not None:
        try:
            diags.extend(d for d in schematron.validate(tree, path, source) if check.wants(d.code))
        except Exception as exc:  # noqa: BLE001
            diags.append(internal(path, "Schematron validation", exc))
    ctx = RuleContext(path, tree, kind, registry, letter, run.today, references=refs, used_registry_ids=used_registry_ids)
    for r in all_rules():
        if not check.wants(r.code):
            continue
        try:
            diags.extend(r.check(ctx))
        except Exception as exc:  # noqa: BLE001
            diags.append(internal(path, f"rule {r.code} {r.name}", exc))
    return diags


def meta_to_json(meta: LetterMeta) -> str:
    return codec.dumps(meta)


def meta_from_json(text: str, registry: Registry) -> LetterMeta:
    raw = json.loads(text)
    if raw[3]:  # the consumers' values, each by its own type (validate's results have none: nothing to import)
        from .consumers import LATE_VALUES, value_types

        types = value_types()
        raw[3] = [(name, codec.Late(types[name], codec.dumps(v)) if name in LATE_VALUES else codec.decode(types[name], v, registry))
                  for name, v in raw[3]]
    meta: LetterMeta = codec.decode(LetterMeta, raw, registry)
    return meta


# --- the run: files in, outcomes out ----------------------------------------------------------------------


@dataclass
class MainDoc:
    """A registry or edition file: parsed once in the main process (to load the registry or the edition), and
    checked there after the letters (unused-entry checks need the letters' results)."""

    path: str
    kind: str
    tree: Any
    registry_key: str
    digest: str = ""


@dataclass
class PassResult:
    """What the pass did: the outcome of each file in file order, and the corpus-wide diagnostics."""

    files: list[str]
    outcomes: list[LetterOutcome]
    corpus: dict[str, list[Diagnostic]]  # path -> diagnostics of checks across files (TT204) and of main docs
    lead: list[Diagnostic]  # missing paths, folders without files
    run: Run
    processed: int = 0  # letters whose results were made in this run (the others came from the store)
    extra: list[Diagnostic] = field(default_factory=list)  # registry-load problems of files not in the run
    main_registry: str = ""  # the key in `run.registries` of the edition's registry (what cross-letter pages list)
    root: Path | None = None  # the corpus root (edition.xml, registry/)


def _registry_folder(path: str, given: str | None, known: dict[str, str]) -> str:
    """--registry as given, else <corpus root>/registry (relative when `path` is), "" when there is none; `known`
    remembers the answer for each folder of letters."""
    if given is not None:
        return given
    folder_of = os.path.dirname(path)
    found = known.get(folder_of)
    if found is None:
        root = find_corpus_root(path)
        if root is None or not (root / REGISTRY_DIR).is_dir():
            found = ""
        else:
            folder = root / REGISTRY_DIR
            found = str(folder) if os.path.isabs(path) else os.path.relpath(folder)
        known[folder_of] = found
    return found


class CorpusPass:
    """Runs the pass over `paths`: discovery, registries, the cache, the tasks, the checks across files."""

    def __init__(
        self, paths: Sequence[str], options: PassOptions, *, registry_dir: str | None = None,
        store: Store | None = None, executor: Executor | None = None, edition_root: Path | None = None,
        sources: SourceLines | None = None,
    ) -> None:
        if registry_dir is not None and not Path(registry_dir).is_dir():
            raise UsageError(f"--registry {registry_dir}: not a folder")
        self.paths = list(paths)
        self.options = options
        self.registry_dir = registry_dir
        self.store = store
        self.executor = executor or LocalExecutor(1)
        self.edition_root = edition_root if edition_root is not None else (find_corpus_root(paths[0]) if paths else None)
        self.sources = sources  # where the lines the letters' diagnostics point at are kept (from the bytes read here)

    def run(
        self, progress: Callable[[int, int], None] | None = None, on_outcome: Callable[[LetterOutcome], None] | None = None,
    ) -> PassResult:
        """Run the pass. `on_outcome` sees each file's outcome in file order, as soon as it and those before it are
        done, with its parts (large outputs) still attached; they are dropped afterwards (the store has them)."""
        found, missing, empty = discover_files(self.paths)
        files = [f for f, _real in found]
        self._real = dict(found)
        lead = list(missing)
        for raw in empty:
            lead.append(Diagnostic(raw, 0, 0, Severity.WARNING, "TT006", "no-xml-files", "no *.xml files in this folder"))
        roots: dict[str, str] = {}
        folders = [_registry_folder(f, self.registry_dir, roots) for f in files]
        # the registry of the edition as a whole (what cross-letter pages list), then each file's
        main_folder = self.registry_dir
        if main_folder is None and self.edition_root is not None and (self.edition_root / REGISTRY_DIR).is_dir():
            main_folder = str(self.edition_root / REGISTRY_DIR)
            if files and not Path(files[0]).is_absolute():
                main_folder = os.path.relpath(main_folder)
        self.main_registry = main_folder or ""
        registries: dict[str, Registry] = {"": Registry()}
        main_docs: dict[str, MainDoc] = {}
        registry_diags: dict[str, list[Diagnostic]] = {}
        for folder in dict.fromkeys([self.main_registry, *folders]):
            if not folder or folder in registries:
                continue
            folder_real = os.path.realpath(folder)
            same = next((k for k in registries if k and os.path.realpath(k) == folder_real), None)
            if same is not None:  # one folder named two ways: loaded once
                registries[folder] = registries[same]
                continue
            registry, diags, parsed_files = load_registry_files(folder)
            registries[folder] = registry
            registry_diags[folder] = diags
            for path, parsed in parsed_files.items():
                assert parsed.tree is not None  # only the files that could be read are the registry's
                main_docs[os.path.realpath(path)] = MainDoc(path, document_kind(parsed.tree), parsed.tree, folder, parsed.digest)
        edition, edition_parsed = read_edition_file(self.edition_root)
        if edition_parsed is not None and edition_parsed.tree is not None:
            main_docs.setdefault(
                os.path.realpath(edition_parsed.path),
                MainDoc(edition_parsed.path, document_kind(edition_parsed.tree), edition_parsed.tree, self.main_registry,
                        edition_parsed.digest),
            )
        corpus_roots = self._roots()
        for registry in registries.values():
            registry.roots = corpus_roots  # pointers never open a file outside these (refs.PathCache.inside)
        run = Run(self.options, registries, edition, self.options.check.today or _dt.date.today().isoformat())
        if "validate" in self.options.consumers and self.options.check.schema_path:
            from .relaxng import schema_file

            shown = schema_file(self.options.check.schema_path) or ""
            run.schema_digest = hashlib.sha256(read_bytes(shown)[0] or b"").hexdigest()
        if "validate" in self.options.consumers and self.options.check.schematron_path:
            run.schematron_digest = hashlib.sha256(read_bytes(self.options.check.schematron_path)[0] or b"").hexdigest()
        outcomes = self._letters(run, files, [self._real[f] for f in files], folders, main_docs, progress, on_outcome)
        result = PassResult(files, outcomes, {f: [] for f in files}, lead, run, main_registry=self.main_registry, root=self.edition_root)
        result.processed = sum(1 for o in outcomes if not o.cached)
        self._registry_problems(result, files, registry_diags)
        self._main_docs(result, files, main_docs)
        if "validate" in self.options.consumers and self.options.check.wants(DUPLICATE_LETTER_ID):
            for d in duplicate_letter_ids([(o.path, o.meta.letter_id) for o in outcomes]):
                result.corpus[d.path].append(d)
        return result

    def _roots(self) -> tuple[str, ...]:
        """The corpus folders of the run: each path's corpus root (a folder with registry/ or edition.xml), else the
        folder given (a file's own folder): what a letter's pointers may lead into."""
        out: set[str] = set()
        for raw in self.paths:
            found = find_corpus_root(raw)
            base = found if found is not None else (Path(raw) if Path(raw).is_dir() else Path(raw).parent)
            out.add(os.path.realpath(base))
        return tuple(sorted(out))

    def _letters(
        self, run: Run, files: list[str], reals: list[str], folders: list[str], main_docs: dict[str, MainDoc],
        progress: Callable[[int, int], None] | None, on_outcome: Callable[[LetterOutcome], None] | None,
    ) -> list[LetterOutcome]:
        """Each file's outcome: from the store where its key is unchanged, else from a task (main docs: none)."""
        slots: list[LetterOutcome | None] = []
        self.used_ids: set[str] = set()  # the registry ids the letters point to (TT602)
        codec.forget_strings()  # the letters' records read back share their strings (`codec._STRINGS`)
        if self.store is not None:
            self.store.prefetch([p for p, r in zip(files, reals, strict=True) if r not in main_docs])
        done = 0  # files whose outcome is known
        read_all = False

        def to_process() -> Iterator[tuple[int, Item]]:
            """Each file read (once), hashed and looked up in the store, in order; a letter to process is handed out
            when the executor asks for it, so that the bytes of only a few batches of letters are held at a time."""
            nonlocal done, read_all
            for path, real_path, folder in zip(files, reals, folders, strict=True):
                if real_path in main_docs:
                    slots.append(LetterOutcome(path, "", "", (), LetterMeta(kind=main_docs[real_path].kind)))
                    done += 1
                    continue
                data, read_diags = read_bytes(path)
                hit = self._cached(run, path, folder, data) if data is not None else None
                slots.append(hit)
                if hit is not None:
                    self._keep_source(hit, data)
                    done += 1
                else:
                    yield len(slots) - 1, (path, folder, data, tuple(read_diags))
            read_all = True

        reading = to_process()
        ahead = list(itertools.islice(reading, LOOKAHEAD))
        executor = self.executor
        if ahead:
            run.schema()  # compiled here first, so that a schema that cannot be used stops the run before any work
            run.schematron()
            # lxml's compiled RELAX NG cannot be sent to a worker (it does not pickle, and workers are not forked): each
            # compiles its own. For a schema as large as tei_all (seconds) that is worth it only for many letters
            if isinstance(executor, LocalExecutor) and executor.jobs > 1 and run.schema_seconds >= SLOW_SCHEMA_SECONDS:
                enough = math.ceil(run.schema_seconds / LETTER_SECONDS)
                ahead += itertools.islice(reading, max(0, enough - len(ahead)))  # read on until it is clear
                if len(ahead) * LETTER_SECONDS < run.schema_seconds:
                    executor = LocalExecutor(1)
        if progress is not None:
            progress(done, len(files))
        flushed = 0

        def flush() -> None:
            nonlocal flushed
            while flushed < len(slots) and slots[flushed] is not None:
                outcome = slots[flushed]
                assert outcome is not None
                if on_outcome is not None:
                    on_outcome(outcome)
                # what is kept of a letter from here on is small: its parts are in the store (or were the
                # caller's), its lookups in its key, the registry ids it uses in the run's set
                outcome.parts = {}
                outcome.lookups = ()
                if outcome.meta.used_ids:
                    self.used_ids.update(outcome.meta.used_ids)
                    outcome.meta = outcome.meta.without_used_ids()
                flushed += 1

        flush()
        todo = itertools.chain(ahead, reading)
        given: deque[tuple[int, Item]] = deque()  # (slot, item) of the letters handed out, in order

        def batches() -> Iterator[list[Item]]:
            while batch := list(itertools.islice(todo, BATCH)):
                given.extend(batch)
                yield [item for _, item in batch]

        # how many batches there are at most: the workers worth starting (all of them, unless every file is read)
        size = math.ceil(len(ahead) / BATCH) if read_all else math.ceil(len(files) / BATCH)
        for batch in executor.map(process_batch, run, batches(), size=size):
            for outcome in batch:
                slot, item = given.popleft()
                registry = run.registries[item[1]]
                here = outcome.meta is not None  # made in this process, not read back from a worker's JSON
                outcome.link(registry)
                slots[slot] = outcome
                self._keep_source(outcome, item[2])
                stored = outcome.meta_json or (meta_to_json(outcome.meta) if self.store is not None or outcome.meta.values else "")
                if self.store is not None and outcome.key:
                    self.store.put(outcome.path, outcome.digest, outcome.key, codec.dumps(outcome.lookups),
                                   stored, outcome.parts, run.context_key(item[1]))
                if here and outcome.meta.values:  # kept to the end of the run: read back (its strings shared, its
                    # late values kept as JSON text), as a worker's results and a cached letter's are
                    outcome.meta = meta_from_json(stored, registry)
                outcome.meta_json = ""
                done += 1
                if progress is not None:
                    progress(done, len(files))
            flush()
        if progress is not None:
            progress(done, len(files))
        flush()  # the files read after the last letter processed
        codec.forget_strings()  # the records hold each string once: the table of them is no longer needed
        return [s for s in slots if s is not None]

    def _keep_source(self, outcome: LetterOutcome, data: bytes | None) -> None:
        """Keep the lines the letter's diagnostics point at (and its id's, where TT204 may point), from its bytes."""
        if self.sources is None or data is None:
            return
        meta = outcome.meta
        found = [*meta.read, *(d for _, diags in meta.diagnostics for d in diags)]
        report = outcome.extra.get("link")  # `link`'s report carries its diagnostics
        found.extend(getattr(report, "diagnostics", ()))
        self.sources.keep(outcome.path, data, found, (meta.letter_id[1],) if meta.letter_id else ())

    def _cached(self, run: Run, path: str, folder: str, data: bytes) -> LetterOutcome | None:
        if self.store is None:
            return None
        found = self.store.cached(path)
        if found is None:
            return None
        digest, key, lookups_json, meta_json, context = found
        if digest != hashlib.sha256(data).hexdigest():
            return None
        now = run.context_key(folder)
        # (a lookup of a file is stored as the JSON string "@file:…": where there is none and the context is the
        # same, the key is too, and the lookups need not be decoded)
        if context != now or '"@file:' in lookups_json:
            if run.letter_key(folder, digest, tuple(json.loads(lookups_json))) != key:
                return None
            self.store.confirm(path, now)
        try:
            meta = meta_from_json(meta_json, run.registries[folder])
        except (ValueError, TypeError, KeyError, IndexError):
            return None  # a store of another version: the letter is processed again
        if not self.store.has_parts(path, meta.contents):
            return None
        return LetterOutcome(path, digest, key, (), meta, cached=True)  # its lookups are not needed again

    def _registry_problems(self, result: PassResult, files: list[str], registry_diags: dict[str, list[Diagnostic]]) -> None:
        """Problems of loading a registry, under the path the user gave where the file is part of the run."""
        as_given = {self._real[f]: f for f in files}
        wants = self.options.check.wants if "validate" in self.options.consumers else (lambda code: code.startswith("TT0"))
        for folder, diags in registry_diags.items():
            registry = result.run.registries[folder]
            for d in diags:
                given = as_given.get(os.path.realpath(d.path))
                within_file = d.code == "TT601" and (d.path, d.line) in registry.repeats_within_file
                if given is not None and within_file and wants("TT201") and "validate" in self.options.consumers:
                    continue  # the registry file is checked, so TT201 reports this repeat
                if given is not None:
                    result.corpus[given].append(dataclasses.replace(d, path=given))
                else:
                    result.extra.append(d)

    def _main_docs(self, result: PassResult, files: list[str], main_docs: dict[str, MainDoc]) -> None:
        """Check the registry and edition files of the run, with what the letters used (TT602)."""
        if "validate" not in self.options.consumers:
            return
        letters = [o for o in result.outcomes if o.meta.kind == "letter"]
        used: frozenset[str] | None = None
        if letters:
            from .rules.registry import registry_edges, with_reached

            ids = self.used_ids
            used = frozenset()
            if ids:
                for folder, registry in result.run.registries.items():
                    trees = {d.path: d.tree for d in main_docs.values() if d.registry_key == folder and d.kind == "registry"}
                    used = used | with_reached(ids, registry_edges(trees, registry))
        # a main doc's results depend on its bytes, the registry's files (they point into each other) and what is used
        registry_state = sorted(d.digest for d in main_docs.values())
        for path in files:
            doc = main_docs.get(self._real[path])
            if doc is None:
                continue
            registry = result.run.registries.get(doc.registry_key) or result.run.registries[""]
            key = key_of(result.run.common_key(doc.registry_key), doc.digest, registry_state, sorted(used or ()), used is None)
            found = self.store.cached(path) if self.store is not None else None
            if found is not None and found[:2] == (doc.digest, key):
                diags = meta_from_json(found[3], registry).diagnostics_of("validate")
            else:
                diags = tuple(check_tree(result.run, path, doc.tree, doc.kind, registry, None, used_registry_ids=used))
                if self.store is not None:
                    meta = LetterMeta(kind=doc.kind, diagnostics=(("validate", diags),))
                    self.store.put(path, doc.digest, key, "[]", meta_to_json(meta), {})
            result.corpus[path].extend(diags)


def duplicate_letter_ids(found: Sequence[tuple[str, tuple[str, int] | None]]) -> list[Diagnostic]:
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


