"""The build manifest: which output came from which inputs (a key per page), so unchanged pages are not rendered again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Diagnostic, Severity
from ..xmlfile import atomic_write

MANIFEST_FORMAT = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_hash(path: str | Path) -> str:
    """The hash of a file's bytes; "" when it cannot be read (a missing file is a different input, not an error)."""
    try:
        return sha256(Path(path).read_bytes())
    except OSError:
        return ""


def key_of(*parts: object) -> str:
    """One key for a rendering input: the hash of the parts' reprs (dataclasses, tuples and strings repr stably)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


_CODE_HASH: str | None = None


def code_hash() -> str:
    """The tool version and every source file and bundled template of the package: new code renders anew."""
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256(__version__.encode("utf-8"))
        root = Path(str(resources.files("trotsky_tei")))
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix not in (".pyc", ".pyo")):
            h.update(str(path.relative_to(root)).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH


def diagnostic_from(d: dict[str, Any]) -> Diagnostic:
    return Diagnostic(d["path"], d["line"], d["column"], Severity(d["severity"]), d["code"], d["name"], d["message"])


@dataclass
class Entry:
    """One output: the key of its inputs, the hash of the bytes written, the render warnings, and a title if any."""

    key: str
    sha256: str
    warnings: tuple[Diagnostic, ...] = ()
    title: str = ""
    probes: tuple[str, ...] = ()  # names the output's key looked up in the set of book files

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "sha256": self.sha256, "title": self.title, "probes": list(self.probes),
            "warnings": [d.as_dict() for d in self.warnings],
        }


@dataclass
class Manifest:
    """Entries by output path (relative to `root`); loaded from and saved to `root`/`name` as sorted JSON."""

    root: Path
    name: str
    entries: dict[str, Entry] = field(default_factory=dict)
    current: dict[str, Entry] = field(default_factory=dict)  # what this run produced or kept

    @classmethod
    def load(cls, root: Path, name: str, *, use: bool = True) -> Manifest:
        """The manifest of the last run; empty when `use` is false or the file is missing, unreadable or old."""
        manifest = cls(root, name)
        if not use:
            return manifest
        try:
            raw = json.loads((root / name).read_text(encoding="utf-8"))
            if raw.get("format") == MANIFEST_FORMAT:
                for rel, e in raw["entries"].items():
                    manifest.entries[rel] = Entry(
                        str(e["key"]), str(e["sha256"]), tuple(diagnostic_from(d) for d in e["warnings"]),
                        str(e.get("title", "")), tuple(str(n) for n in e.get("probes", ())),
                    )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            manifest.entries.clear()  # a damaged manifest only costs a full build
        return manifest

    def fresh(self, rel: str, key: str) -> Entry | None:
        """The entry of `rel` when its key is `key` and the file on disk still has the bytes recorded."""
        entry = self.entries.get(rel)
        if entry is None or entry.key != key or file_hash(self.root / rel) != entry.sha256:
            return None
        return entry

    def record(self, rel: str, entry: Entry) -> None:
        self.current[rel] = entry

    def save(self) -> None:
        """Write this run's entries (only those), sorted, so identical builds give identical manifests."""
        doc = {"format": MANIFEST_FORMAT, "entries": {rel: self.current[rel].as_json() for rel in sorted(self.current)}}
        atomic_write(self.root / self.name, (json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
