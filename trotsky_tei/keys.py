"""Keys of inputs: one hash for a set of values (what an output or a result was made from), and of the tool's code."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from . import __version__


def key_of(*parts: object) -> str:
    """One key for a rendering input: the hash of the parts' reprs (dataclasses, tuples and strings repr stably)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


_CODE_HASH: str | None = None


def code_hash() -> str:
    """The tool version and every source file and bundled template of the package: new code makes results anew."""
    global _CODE_HASH
    if _CODE_HASH is None:
        h = hashlib.sha256(__version__.encode("utf-8"))
        root = Path(str(resources.files("trotsky_tei")))
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            # not the bytecode Python writes beside the sources (nor its temporary files, `X.pyc.NNN`, which another
            # process may be writing and removing right now), nor hidden files: the same code has the same hash in
            # every process, whenever it starts
            if any(part == "__pycache__" or part.startswith(".") for part in rel.parts) or path.suffix in (".pyc", ".pyo"):
                continue
            if path.is_file():
                h.update(str(rel).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
        _CODE_HASH = h.hexdigest()
    return _CODE_HASH
