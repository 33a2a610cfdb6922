"""The one hardened XML parser, TEI namespaces, typed accessors for parsed elements, and atomic file writing."""

from __future__ import annotations

import contextlib
import errno
import functools
import glob
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from lxml import etree

from .errors import Diagnostic, OutputError, Severity

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NS = {"tei": TEI_NS, "xml": XML_NS}
XML_ID = f"{{{XML_NS}}}id"
XML_LANG = f"{{{XML_NS}}}lang"
_TEI_PREFIX = f"{{{TEI_NS}}}"
_TEI_PREFIX_LEN = len(_TEI_PREFIX)

MAX_FILE_BYTES = 64 * 1024 * 1024


def tei(local: str) -> str:
    """Clark name of a TEI element: tei("p") -> "{http://www.tei-c.org/ns/1.0}p"."""
    return f"{{{TEI_NS}}}{local}"


def local_name(el: etree._Element) -> str:
    """Local name of an element ("" for comments and processing instructions)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def first_children(el: etree._Element) -> dict[str, etree._Element]:
    """The first child of each TEI name, by local name: what `el.find("tei:NAME", NS)` finds for each NAME, in one
    look at the children (each find goes through the path machinery: a few microseconds, a dozen of them a letter)."""
    out: dict[str, etree._Element] = {}
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag.startswith(_TEI_PREFIX):
            out.setdefault(tag[_TEI_PREFIX_LEN:], child)
    return out


def line_of(el: etree._Element) -> int:
    """The element's line in its file; 0 when unknown (an element built in memory)."""
    # lxml-stubs declares sourceline as `...` (meaning Optional[int]), so mypy sees EllipsisType without the cast
    return cast("int | None", el.sourceline) or 0


# lxml-stubs types text and attribute names and values as str | bytes; lxml gives str for a parsed document
def all_text(el: etree._Element) -> str:
    """Every piece of text inside the element, joined (itertext())."""
    return "".join(cast("Iterator[str]", el.itertext()))


def attributes(el: etree._Element) -> list[tuple[str, str]]:
    """The element's attributes as (Clark name, value) pairs, in document order."""
    return cast("list[tuple[str, str]]", el.attrib.items())


_GROUP_REF = re.compile(r"\$(\d+)")


MAX_PATTERN = 500  # characters of a document's matchPattern
MAX_POINTER = 2000  # characters of the part of a pointer a pattern is matched against


@functools.lru_cache(maxsize=1024)
def document_pattern(pattern: str) -> tuple[Any, str]:
    """A regular expression a document supplies (`prefixDef/@matchPattern`), compiled to run in linear time, or why
    it is not run: (compiled or None, reason). RE2 (google-re2) matches in time linear in the input whatever the
    pattern; it has no back-references or look-arounds, which no prefixDef needs. Without RE2, Python's engine runs
    only patterns with no repetition inside a repeated group (the shape of catastrophic backtracking)."""
    if len(pattern) > MAX_PATTERN:
        return None, f"the pattern is longer than {MAX_PATTERN} characters"
    try:
        import re2
    except ImportError:  # pragma: no cover - google-re2 is a dependency; this is for a platform without its wheel
        if _NESTED_REPEAT.search(pattern):
            return None, "a repetition inside a repeated group could take exponential time (install google-re2 to run it)"
        try:
            return re.compile(pattern), ""
        except re.error as exc:
            return None, f"not a regular expression: {exc}"
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options), ""
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        return None, f"not a regular expression the toolkit runs (linear-time RE2 syntax): {detail}"


_NESTED_REPEAT = re.compile(r"\([^()]*[*+}][^()]*\)[*+{]")


@functools.lru_cache(maxsize=4096)
def _expand_one(match: str, replacement: str, rest: str) -> str | None:
    compiled, _why = document_pattern(match)
    if compiled is None or len(rest) > MAX_POINTER:  # an editor's broken or unsafe matchPattern matches nothing
        return None
    m = compiled.fullmatch(rest)
    if m is None:
        return None
    groups = (m.group(0), *m.groups())
    return _GROUP_REF.sub(lambda ref: (groups[int(ref.group(1))] or "") if int(ref.group(1)) < len(groups) else "", replacement)


def expand_prefix(defs: Iterable[tuple[str, str]], rest: str) -> str | None:
    """TEI `prefixDef` expansion of the part after `prefix:`: the first (matchPattern, replacementPattern) whose
    pattern matches `rest` whole gives the replacement with `$1`… filled in; None where none matches."""
    for match, replacement in defs:
        found = _expand_one(match, replacement, rest)
        if found is not None:
            return found
    return None


def make_parser() -> etree.XMLParser:
    """A parser that never expands entities, never loads a DTD, never touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=False,
        collect_ids=False,  # a duplicate xml:id is rule TT201's diagnostic, not a parse failure
    )


@dataclass
class Parsed:
    """The result of reading one file: a tree (or None when it could not be read) and what went wrong."""

    path: str
    tree: etree._ElementTree | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    digest: str = ""  # SHA-256 of the bytes read (parse_file), "" when unknown


def _diag(path: str, line: int, col: int, code: str, name: str, msg: str) -> Diagnostic:
    return Diagnostic(path, line, col, Severity.ERROR, code, name, msg)


def parse_bytes(data: bytes, path: str, *, require_tei: bool = True) -> Parsed:
    """Parse `data` (the bytes of `path`) with the hardened parser; never raises for bad input."""
    if not data or data.isspace():  # (not data.strip(): a copy of the whole file to see that it is not empty)
        return Parsed(path, None, [_diag(path, 0, 0, "TT001", "empty-file", "the file is empty")])
    head = data[:4096]
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:2] in (b"<\x00", b"\x00<")):
        return Parsed(path, None, [_diag(path, 0, 0, "TT002", "not-xml", "binary data, not an XML file")])
    try:
        root = etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as exc:
        line, col = (exc.position if exc.position else (exc.lineno or 0, 0))
        msg = re.sub(r",? line \d+, column \d+$", "", str(exc.msg or exc).strip())
        lowered = msg.lower()
        if "excessive depth" in lowered:
            msg = "elements are nested deeper than 256 levels; the file is not read (a generated or damaged file?)"
        if "amplification" in lowered or "entity reference loop" in lowered or "entities" in lowered:
            return Parsed(
                path,
                None,
                [_diag(path, line, col, "TT004", "entity-declaration", f"entity expansion refused (entity bomb?): {msg}")],
            )
        if "encoding" in lowered or "unsupported" in lowered or "input is not proper utf-8" in lowered or "bytes:" in lowered:
            return Parsed(path, None, [_diag(path, line, col, "TT003", "bad-encoding", msg)])
        return Parsed(path, None, [_diag(path, line, col, "TT002", "not-xml", msg)])
    except (LookupError, ValueError) as exc:  # unknown encoding name in the XML declaration
        return Parsed(path, None, [_diag(path, 1, 1, "TT003", "bad-encoding", str(exc))])
    tree = root.getroottree()
    diags: list[Diagnostic] = []
    dtd = tree.docinfo.internalDTD
    if dtd is not None:
        entities = list(dtd.iterentities())  # type: ignore[union-attr]  # lxml-stubs' DTD lacks iterentities()
        if entities:
            names = ", ".join(sorted({e.name or "" for e in entities}))
            external = [e for e in entities if e.system_url]
            kind = "an external entity" if external else "entities"
            diags.append(
                _diag(
                    path,
                    1,
                    1,
                    "TT004",
                    "entity-declaration",
                    f"the document declares {kind} ({names}); entities are refused for safety and the file is not checked further",
                )
            )
            return Parsed(path, None, diags)
    if require_tei and root.tag not in (tei("TEI"), tei("teiCorpus")):
        found = root.tag if isinstance(root.tag, str) else "?"
        found = found.replace(f"{{{TEI_NS}}}", "tei:")
        diags.append(
            _diag(
                path,
                line_of(root) or 1,
                1,
                "TT005",
                "not-tei",
                f"root element is <{found}>, expected <TEI> in the namespace {TEI_NS}",
            )
        )
        return Parsed(path, None, diags)
    if tree.docinfo.doctype:  # type: ignore[union-attr]  # a DTD that is never read may define entities
        undefined: dict[str, list[int]] = {}
        for ref in root.iter(etree.Entity):
            undefined.setdefault(ref.text or "&?;", []).append(line_of(ref))
        for name, lines in sorted(undefined.items()):
            more = f" ({len(lines)} references, first here)" if len(lines) > 1 else ""
            diags.append(_diag(path, lines[0], 0, "TT007", "undefined-entity",
                               f"the entity {name} is not defined in the document (its DTD is never read){more}: "
                               "the exports show the reference itself, not the text it was meant to stand for"))
    return Parsed(path, tree, diags)


_NOT_REGULAR = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def read_bytes(path: str | os.PathLike[str]) -> tuple[bytes | None, list[Diagnostic]]:
    """A regular file's bytes, or None and why not (missing, a folder, a FIFO, device or socket, a symbolic link
    loop or to nothing, too large, unreadable); never raises and never blocks: the file is opened without waiting
    (O_NONBLOCK) and read only when it is a regular file, at most MAX_FILE_BYTES of it."""
    sp = str(path)

    def why(text: str) -> tuple[None, list[Diagnostic]]:
        return None, [_diag(sp, 0, 0, "TT000", "unreadable", text)]

    try:
        fd = os.open(sp, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return why("a symbolic link to a file that does not exist" if os.path.islink(sp) else "no such file")
    except IsADirectoryError:
        return why("is a directory")
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return why("a loop of symbolic links: not read")
        if exc.errno == errno.ENXIO:
            return why("not a regular file but a socket or a device without a driver: not read")
        return why(exc.strerror or str(exc))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return why("is a directory")
        if not stat.S_ISREG(st.st_mode):
            what = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "not a regular file")
            return why(f"not a regular file but {what}: not read")
        if st.st_size > MAX_FILE_BYTES:
            return why(f"file too large ({st.st_size} bytes; the limit is {MAX_FILE_BYTES})")
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_FILE_BYTES:  # it grew while it was read
            return why(f"file too large (more than {MAX_FILE_BYTES} bytes)")
        return b"".join(chunks), []
    except OSError as exc:
        return why(exc.strerror or str(exc))
    finally:
        os.close(fd)


def parse_file(path: str | os.PathLike[str], *, require_tei: bool = True) -> Parsed:
    """Read and parse one file; a missing, unreadable or hostile file becomes a diagnostic, never an exception."""
    data, diags = read_bytes(path)
    if data is None:
        return Parsed(str(path), None, diags)
    parsed = parse_bytes(data, str(path), require_tei=require_tei)
    parsed.digest = hashlib.sha256(data).hexdigest()
    return parsed


_UMASK: int | None = None


def umask() -> int:
    """The process's umask, read once (reading it means setting it, which is not safe while threads write files)."""
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def refuse_special(path: str | os.PathLike[str], st: os.stat_result | None = None) -> None:
    """Raise OutputError (exit 2) when `path` exists and is not a regular file (a device, a FIFO, a socket): an output never
    replaces one (`-o /dev/full` must not become a regular file)."""
    if st is None:
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        what = next((name for test, name in _NOT_REGULAR if test(st.st_mode)), "not a regular file")
        raise OutputError(f"{path}: is {what}, not a regular file: it is not replaced (give a file or a folder)")


def atomic_write(path: str | os.PathLike[str], data: bytes | Iterable[bytes], *, durable: bool = True) -> None:
    """Replace `path` with `data` atomically (temp file in the same folder, rename), keeping its mode. `data` may be
    the bytes in pieces (a large file, written as they come: never held whole).

    `durable` (for a user's own files, `link --write`) also syncs the bytes to disk before the rename; outputs that
    can be made again skip the sync, which costs more than everything else of writing them.
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        mode = 0o666 & ~umask()  # a new file gets the mode any other new file would get, not mkstemp's 0600
    else:
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(p))
        refuse_special(p, st)
        mode = st.st_mode & 0o7777
    if durable:  # a user's own file (link --write): the temporary files an interrupted run left beside it go
        for stale in p.parent.glob(f".{glob.escape(p.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent))
    except FileNotFoundError:
        p.parent.mkdir(parents=True, exist_ok=True)  # an output file in a folder not made yet
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=str(p.parent))
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, (bytes, bytearray, memoryview)):
                fh.write(data)
            else:
                for piece in data:
                    fh.write(piece)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, p)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:  # e.g. a full disk: say which file
            raise OSError(exc.errno, exc.strerror or str(exc), str(p)) from exc
        raise
