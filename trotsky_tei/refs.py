"""A letter's references, resolved once: each pointer token to a registry entry, a place in the file, or a problem.

One `References` per parsed file serves every consumer of the one pass: the editorial rules (TT202, TT203, TT403),
the link report, the `Letter`-derived records (senders, places, mentions) and the renderers' register links. Each
distinct token is resolved once per question asked of it, and what is the same for every letter of a run (the
registry files' real paths, the authority index, the ids in the registry files) is computed once per process.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from lxml import etree

from .model import Entity
from .registry import Registry, letter_entries, note_dependency
from .xmlfile import NS, XML_ID, expand_prefix

# pointer attributes the rules check (TT202/TT203)
POINTER_ATTRS = ("ref", "target", "corresp", "wit", "source", "who")
# pointer attributes that make a registry entry "used" (TT602)
USE_ATTRS = ("ref", "key", "corresp", "target", "who", "source", "sameAs")
USE_SET = frozenset(USE_ATTRS)
# every attribute a check reads off many elements: pointers, dates, ids (scanned once per file: `attribute_scan`)
DATE_ATTRS = ("when", "notBefore", "notAfter", "from", "to")
SCANNED = frozenset({*POINTER_ATTRS, *USE_ATTRS, *DATE_ATTRS, XML_ID})
# the conventional letter-to-registry prefixes (DESIGN: psn:, plc:, org:, arc:), used when a letter declares none
DEFAULT_PREFIXES = ("psn", "plc", "org", "arc")

# URI schemes that are never a TEI private prefix: pointers using them are absolute and not checked.
URI_SCHEMES = frozenset(
    ["http", "https", "mailto", "urn", "ftp", "ftps", "file", "data", "tel", "doi", "info", "tag", "geo", "news", "irc", "ark", "isbn", "issn", "hdl"]
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)\Z", re.DOTALL)
_URI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

# status values of a `Resolution`
LOCAL, REGISTRY, FILE, EXTERNAL, UNRESOLVED, UNDECLARED = (
    "local", "registry", "file", "external", "unresolved", "undeclared",
)


@dataclass(frozen=True)
class Resolution:
    """What one pointer token resolves to, and why not where it does not (the rules' view)."""

    status: str
    target: str
    message: str = ""
    entity: Entity | None = None


class PathCache:
    """File-system answers that are the same for every letter of a run (letters of one folder share their targets)."""

    def __init__(self, roots: tuple[str, ...] = ()) -> None:
        self.roots = roots  # the run's corpus folders (real paths)
        self._real: dict[tuple[str, str], str] = {}
        self._absolute: dict[tuple[str, str], str] = {}
        self._exists: dict[tuple[str, str], bool] = {}
        self._roots: dict[str, str] = {}

    def real(self, folder: str, target: str) -> str:
        key = (folder, target)
        found = self._real.get(key)
        if found is None:
            found = self._real[key] = os.path.realpath(os.path.join(folder, target))
        return found

    def absolute(self, folder: str, target: str) -> str:
        key = (folder, target)
        found = self._absolute.get(key)
        if found is None:
            found = self._absolute[key] = os.path.normpath(os.path.join(os.path.abspath(folder), target))
        return found

    def root_of(self, folder: str) -> str:
        """The real path of the corpus a file in `folder` belongs to (its nearest folder with registry/ or
        edition.xml, else `folder` itself): pointers never open a file outside it."""
        found = self._roots.get(folder)
        if found is None:
            from .reader import find_corpus_root

            root = find_corpus_root(folder)
            found = self._roots[folder] = os.path.realpath(root if root is not None else folder)
        return found

    def inside(self, folder: str, path: str) -> bool:
        """Whether `path` (a pointer's target) lies inside the corpus of a file in `folder` or a corpus folder of
        the run."""
        real = self.real("", path)
        for root in (self.root_of(folder), *self.roots):
            if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
                return True
        return False

    def exists(self, path: str, kind: str) -> bool:
        note_dependency(f"@file:{path}")
        key = (path, kind)
        found = self._exists.get(key)
        if found is None:
            found = self._exists[key] = os.path.isfile(path) if kind == "file" else os.path.exists(path)
        return found


def path_cache(registry: Registry) -> PathCache:
    """The run's path cache, kept with the run's registry (made again in each process)."""
    found: PathCache | None = registry.__dict__.get("_path_cache")
    if found is None:
        found = registry.__dict__["_path_cache"] = PathCache(registry.roots)
    return found


_IDS_CACHE: dict[tuple[str, int, int], frozenset[str]] = {}


def ids_of_file(path: str) -> frozenset[str]:
    """Every `xml:id` of a file another file points into (cached per path, modification time and size)."""
    from .xmlfile import parse_file

    note_dependency(f"@file:{path}")

    try:
        st = os.stat(path)
    except OSError:
        return frozenset()
    key = (path, st.st_mtime_ns, st.st_size)
    cached = _IDS_CACHE.get(key)
    if cached is None:
        parsed = parse_file(path, require_tei=False)
        cached = frozenset() if parsed.tree is None else ids_of_tree(parsed.tree)
        _IDS_CACHE[key] = cached
    return cached


def ids_of_tree(tree: etree._ElementTree | etree._Element) -> frozenset[str]:
    return frozenset(v for el in tree.iter() if isinstance(el.tag, str) and (v := el.get(XML_ID)) is not None)


def declared_prefixes(tree: etree._ElementTree | etree._Element) -> list[tuple[str, str, str]]:
    """The file's own `prefixDef`s in document order: (ident, matchPattern, replacementPattern)."""
    root = tree.getroot() if isinstance(tree, etree._ElementTree) else tree
    return [
        (pd.get("ident", ""), pd.get("matchPattern", ""), pd.get("replacementPattern", ""))
        for pd in root.iterfind("tei:teiHeader//tei:listPrefixDef/tei:prefixDef", NS)
    ]


class References:
    """The pointers of one parsed file against one registry, each resolved on first use and then remembered."""

    def __init__(self, tree: etree._ElementTree, path: str, registry: Registry) -> None:
        self.tree = tree
        self.path = path
        self.registry = registry
        self.prefix_list = declared_prefixes(tree)
        self.prefixes: dict[str, list[tuple[str, str]]] = {}
        for ident, match, repl in self.prefix_list:
            self.prefixes.setdefault(ident, []).append((match, repl))
        self.folder = os.path.dirname(path) or "."
        self.name = os.path.basename(path)
        self.paths = path_cache(registry)
        self._scan: list[tuple[etree._Element, dict[str, str]]] | None = None
        self._ids: frozenset[str] | None = None
        self._rules: dict[tuple[str, str | None], Resolution] = {}
        self._links: dict[str, tuple[str, str | None, str]] = {}
        self._entities: dict[str, Entity | None] = {}
        self._local: dict[str, Entity] | None = None

    @property
    def local(self) -> dict[str, Entity]:
        """The letter's own registry: the entries its `back` lists (`registry.letter_entries`), by id."""
        if self._local is None:
            root = self.tree.getroot() if isinstance(self.tree, etree._ElementTree) else self.tree
            self._local = letter_entries(root, self.path)
        return self._local

    @property
    def ids(self) -> frozenset[str]:
        """Every `xml:id` of the file."""
        if self._ids is None:
            self._ids = frozenset(v for _el, found in self.attribute_scan() if (v := found.get(XML_ID)) is not None)
        return self._ids

    def attribute_scan(self) -> list[tuple[etree._Element, dict[str, str]]]:
        """Every element with a pointer, date or id attribute, and those attributes, in document order (one walk
        over the tree that every rule and the used-entry check share)."""
        if self._scan is None:
            out: list[tuple[etree._Element, dict[str, str]]] = []
            unscanned = SCANNED.isdisjoint
            for el in self.tree.iter(etree.Element):
                names = el.keys()  # (most elements have none of these: their values are not read)
                if names and not unscanned(names):
                    items = cast("list[tuple[str, str]]", el.items())  # a parsed document's names and values are str
                    out.append((el, {k: v for k, v in items if k in SCANNED}))
            self._scan = out
        return self._scan

    def expand(self, pointer: str) -> str | None:
        """`prefix:rest` expanded by the file's own prefixDefs; None where the prefix is not declared or does not match."""
        prefix, sep, rest = pointer.partition(":")
        if not sep or prefix not in self.prefixes:
            return None
        return expand_prefix(self.prefixes[prefix], rest)

    # --- the entry a name stands for (records, registers, register links) --------------------------

    def entity(self, pointer: str | None) -> Entity | None:
        """The registry entry a (possibly prefixed, possibly multi-valued) pointer names; the first that resolves."""
        if not pointer:
            return None
        if pointer not in self._entities:
            self._entities[pointer] = self._entity(pointer)
        return self._entities[pointer]

    def _entity(self, pointer: str) -> Entity | None:
        registry = self.registry
        for ptr in pointer.split():
            if ptr.startswith("#") and ptr[1:] in self.local:
                return self.local[ptr[1:]]  # an entry of the letter's own list (its back)
            prefix, sep, rest = ptr.partition(":")
            if sep and prefix in self.prefixes:
                expanded = expand_prefix(self.prefixes[prefix], rest)
                found = registry.resolve(expanded) if expanded is not None else None
                if found is not None:
                    return found
            found = registry.resolve(ptr)
            if found is not None:
                return found
            if sep and prefix in DEFAULT_PREFIXES and rest in registry:
                return registry.get(rest)
        return None

    # --- the rules' view (TT202, TT203, TT403) -----------------------------------------------------

    def resolution(self, token: str, base: str | None = None) -> Resolution:
        """Resolve one pointer token (found on an element whose xml:base is `base`); see docs/validate.md."""
        key = (token, base)
        res = self._rules.get(key)
        if res is None:
            res = self._rules[key] = self._resolve(token, base)
        return res

    def _resolve(self, token: str, base: str | None) -> Resolution:
        if token.startswith("#"):
            return self._in_file(token, token[1:])
        m = _SCHEME.match(token)
        if m is None:
            if base and _SCHEME.match(base):  # relative to an absolute xml:base: an external URI
                return Resolution(EXTERNAL, token, entity=self.registry.by_authority(token))
            return self._expanded(token, token, self.folder)
        prefix, rest = m.group(1), m.group(2)
        letter_defs = self.prefixes.get(prefix)
        if letter_defs is not None:
            expanded = expand_prefix(letter_defs, rest)
            if expanded is None:
                return Resolution(UNRESOLVED, token, f"'{token}' does not match the prefixDef declared for '{prefix}:'")
            return self._expanded(token, expanded, self.folder)
        if prefix.lower() in URI_SCHEMES or rest.startswith("//"):
            return Resolution(EXTERNAL, token, entity=self.registry.by_authority(token))
        registry_defs = self.registry.prefixes.get(prefix)
        if registry_defs is not None:
            expanded = expand_prefix(registry_defs, rest)
            if expanded is None:
                return Resolution(UNRESOLVED, token, f"'{token}' does not match the registry's prefixDef for '{prefix}:'")
            base_dir = str(Path(self.registry.files[0]).parent) if self.registry.files else self.folder
            res = self._expanded(token, expanded, base_dir)
            if res.status == EXTERNAL and res.entity is None:
                return Resolution(EXTERNAL, expanded, entity=self.registry.by_authority(expanded, prefix, rest))
            return res
        return Resolution(UNDECLARED, token, f"prefix '{prefix}:' of '{token}' is not declared (listPrefixDef)")

    def _in_file(self, token: str, frag: str) -> Resolution:
        if not frag or frag in self.ids:
            return Resolution(LOCAL, token)
        return Resolution(UNRESOLVED, token, f"'{token}': no element with xml:id '{frag}' in this file")

    def _expanded(self, token: str, target: str, base: str) -> Resolution:
        """Resolve an expanded (or unprefixed) pointer: `#id`, `file#id`, `file`, or an absolute URI."""
        if _SCHEME.match(target):
            return Resolution(EXTERNAL, target, entity=self.registry.by_authority(target))
        file_part, _, frag = target.partition("#")
        shown = f"'{token}'" if token == target else f"'{token}' (= {target})"
        if not file_part:
            res = self._in_file(token, frag)
            return res if res.status == LOCAL else Resolution(UNRESOLVED, target, f"{shown}: no element with xml:id '{frag}' in this file")
        file_path = self.paths.absolute(base, file_part)
        if file_path == self.paths.absolute(self.folder, self.name):
            res = self._in_file(token, frag)
            return res if res.status == LOCAL else Resolution(UNRESOLVED, target, f"{shown}: no element with xml:id '{frag}' in this file")
        holders = self.registry.ids_in_files.get(frag) if frag else None
        if holders:  # an entry of the registry, by its file's name: nothing is opened
            name = os.path.basename(file_part)
            if name in self.registry.file_names() and name not in holders:
                return Resolution(UNRESOLVED, target, f"{shown}: '{frag}' is in the registry's {', '.join(holders)}, not in {name}")
            return Resolution(REGISTRY, target, entity=self.registry.get(frag))
        if not self.paths.inside(self.folder, file_path) and not self.registry_file(file_part):
            return Resolution(UNRESOLVED, target, f"{shown}: leads outside the corpus ({self.paths.root_of(self.folder)}): "
                              "not opened (a registry elsewhere: use --registry DIR)")
        if not frag:
            if self.paths.exists(file_path, "any"):
                return Resolution(FILE, target)
            return Resolution(UNRESOLVED, target, f"{shown}: file {file_part} does not exist")
        if self.paths.exists(file_path, "file"):
            if frag in ids_of_file(file_path):
                return Resolution(FILE, target)
            return Resolution(UNRESOLVED, target, f"{shown}: no xml:id '{frag}' in {file_part}")
        where = "the registry" if self.registry.files else "the registry (none found: use --registry DIR)"
        return Resolution(UNRESOLVED, target, f"{shown}: '{frag}' is not in this file or {where}")

    # --- the link report's view: linked, broken (into our registry, no such entry) or external ---------

    def link_status(self, pointer: str) -> tuple[str, str | None, str]:
        """(status, entity id, note) of one pointer token."""
        found = self._links.get(pointer)
        if found is None:
            found = self._links[pointer] = self._link(pointer)
        return found

    def registry_file(self, target: str) -> str | None:
        """The registry file a relative file reference points to (None if it is not one of ours)."""
        if _URI.match(target):
            return None
        return self.registry.real_files().get(self.paths.real(self.folder, target))

    def _link(self, pointer: str) -> tuple[str, str | None, str]:
        registry = self.registry
        expanded = self.expand(pointer)
        declared = expanded is not None
        target = expanded if expanded is not None else pointer
        if target.startswith("#"):
            frag = target[1:]
            if frag in registry:
                return "linked", frag, ""
            if frag in self.local:
                return "linked", frag, "an entry of this letter's own list"
            if frag in self.ids:
                return "external", None, f"points into this letter ({target})"
            return "external", None, "not in this letter or the registry"
        file_part, hash_, frag = target.partition("#")
        if hash_ and file_part:
            reg_file = self.registry_file(file_part)
            if reg_file is not None:
                ent = registry.get(frag)
                if ent is not None and self.paths.real("", ent.path) == self.paths.real("", reg_file):
                    return "linked", frag, ""
                where = f" (it is in {Path(ent.path).name})" if ent is not None else ""
                return "broken", None, f"no entry '{frag}' in {Path(reg_file).name}{where}"
            if not _URI.match(file_part) and declared:
                return "external", None, f"prefix points to {file_part}, not a registry file"
        ent = registry.resolve(target)
        if ent is None and target.startswith(("http://", "https://")):
            ent = registry.by_authority_uri(target)
        if ent is not None:
            return "linked", ent.id, ""
        if declared:
            return "external", None, f"{pointer} expands to {target}"
        return "external", None, "not in the registry"

    def used_ids(self, scope: etree._Element | None = None) -> set[str]:
        """The registry ids that pointer attributes in `scope` (default: the whole file) resolve to (TT602)."""
        out: set[str] = set()
        if scope is None:
            found_on = [found for _el, found in self.attribute_scan()]
        else:
            found_on = [dict(el.items()) for el in scope.iter(etree.Element)]  # type: ignore[arg-type]
        for found in found_on:
            for attr, value in found.items():
                if value and attr in USE_SET:
                    for token in value.split():
                        status, entity_id, _note = self.link_status(token)
                        if status == "linked" and entity_id:
                            out.add(entity_id)
        return out
