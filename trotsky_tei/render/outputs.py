"""The files an export writes: atomically (a temporary file, then a rename; no fsync: outputs can be made again),
each only when what it is made from changed, and the files of the last run that were not written again removed.

With a store (a build), each output's key and the size and modification time of the file written are recorded: an
output whose key is unchanged and whose file is still as written is neither made nor written again. Without one (a
one-off export), an output is written unless the file already holds exactly its bytes.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..store import Store
from ..xmlfile import atomic_write, read_bytes, umask


class Outputs:
    """Writes the outputs under `root`; `store` (optional) remembers what they were made from."""

    def __init__(self, root: Path, store: Store | None = None) -> None:
        self.root = root
        self.store = store
        self.last = store.outputs() if store is not None else {}
        self.written: list[str] = []  # made and written in this run
        self.kept: list[str] = []  # up to date: not made again
        self.seen: set[str] = set()

    def fresh(self, rel: str, key: str) -> bool:
        """Whether `rel` was made from `key` by the last run and its file is still as that run wrote it."""
        last = self.last.get(rel)
        if last is None or last[0] != key:
            return False
        try:
            st = os.stat(os.path.join(self.root, rel))  # (asked of every output of a rebuild: no Path made)
        except OSError:
            return False
        return (st.st_size, st.st_mtime_ns) == (last[1], last[2])

    def fresh_file(self, rel: str) -> bool:
        """Whether `rel` is still the file the last run wrote (whatever it was made from)."""
        last = self.last.get(rel)
        return last is not None and self.fresh(rel, last[0])

    def note(self, part: str, key: str) -> None:
        """Record what a part of an output (`book.epub#chapter.xhtml`) was made from, for the next run."""
        self.seen.add(part)
        if self.store is not None:
            self.store.record_output(part, key, 0, 0)

    def write_file(self, rel: str, key: str | None, make: Callable[[Path], None]) -> bool:
        """`write` for a large output that `make(path)` writes to a file itself (the book): never held in memory."""
        if not self.to_make(rel, key):
            return False
        return self._write_made(rel, key, make)

    def _write_made(self, rel: str, key: str | None, make: Callable[[Path], None]) -> bool:
        path = self.root / rel
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            make(tmp)
            same = path.is_file() and filecmp.cmp(tmp, path, shallow=False)
            if not same:
                os.chmod(tmp, 0o666 & ~umask())
                os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        if self.store is not None and key is not None:
            st = os.stat(path)
            self.store.record_output(rel, key, st.st_size, st.st_mtime_ns)
        (self.kept if same else self.written).append(rel)
        return not same

    def write(self, rel: str, key: str | None, make: Callable[[], str | bytes | Iterator[str]]) -> bool:
        """Write `rel` from `make()` unless it is fresh for `key` (None: always made); True when it was written.
        `make` may give the text in pieces (a large page): they are written as they come, never held whole."""
        if not self.to_make(rel, key):
            return False
        data = make()
        if not isinstance(data, (str, bytes)):
            return self._write_made(rel, key, lambda tmp: _write_pieces(tmp, data))
        written, size, mtime = write_output(self.root / rel, data.encode("utf-8") if isinstance(data, str) else data)
        self.record(rel, key, written, size, mtime)
        return written

    def to_make(self, rel: str, key: str | None) -> bool:
        """Whether `rel` must be made (it is not fresh for `key`; None: always); a fresh one is counted as kept. An
        output made elsewhere (`write_output` in a worker) is then `record`ed."""
        self.seen.add(rel)
        if key is not None and self.fresh(rel, key):
            self.kept.append(rel)
            return False
        return True

    def record(self, rel: str, key: str | None, written: bool, size: int, mtime: int) -> None:
        """Note an output `to_make` asked for, which `write_output` wrote (or found as it is: `written` False)."""
        if self.store is not None and key is not None:
            self.store.record_output(rel, key, size, mtime)
        (self.written if written else self.kept).append(rel)

    def prune(self, folders: Iterable[str]) -> None:
        """Remove the files under `folders` that an earlier run wrote (the store's manifest) and this run neither
        wrote nor kept, then the folders they leave empty: a file trotsky-tei did not write is never removed.
        Without a store, every file under `folders` that this run neither wrote nor kept goes.

        The store forgets every output of the last run that this run did not write or keep."""
        root = str(self.root)
        folders = list(folders)
        if self.store is None:
            self._prune_all(root, folders)
            return
        tops = {os.path.join(root, name) for name in folders}
        under = tuple(f"{name}/" for name in folders)
        emptied: set[str] = set()
        for rel in self.last:  # what the last run wrote: no need to look at every file there is
            if rel in self.seen or not rel.startswith(under):
                continue
            path = os.path.join(root, rel)
            if os.path.isdir(path) and not os.path.islink(path):
                continue  # a folder where the file was: not ours
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            emptied.add(os.path.dirname(path))
        for folder in sorted(emptied, key=len, reverse=True):  # deepest first, never the top folders themselves
            while folder not in tops and folder.startswith(root + os.sep) and _empty(folder):
                os.rmdir(folder)
                folder = os.path.dirname(folder)
        self.store.forget_outputs(rel for rel in self.last if rel not in self.seen)

    def _prune_all(self, root: str, folders: list[str]) -> None:
        for name in folders:
            folder = os.path.join(root, name)
            if not os.path.isdir(folder):
                continue
            for dirpath, _dirs, files in os.walk(folder, topdown=False):
                for f in files:
                    path = os.path.join(dirpath, f)
                    if os.path.relpath(path, root).replace(os.sep, "/") not in self.seen:
                        os.unlink(path)
                if dirpath != folder and not os.listdir(dirpath):
                    os.rmdir(dirpath)


def _empty(folder: str) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:  # gone already, or not a folder
        return False


def write_output(path: Path, raw: bytes) -> tuple[bool, int, int]:
    """Write `raw` to `path` (atomically, no sync) unless the file holds exactly these bytes already (it then keeps
    its modification time): (written, size, mtime_ns) of the file."""
    old, _why = read_bytes(path)  # never blocks on a FIFO someone left there (atomic_write then refuses it)
    same = old == raw
    if not same:
        atomic_write(path, raw, durable=False)
    st = os.stat(path)
    return not same, st.st_size, st.st_mtime_ns


def _write_pieces(path: Path, pieces: Iterator[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:  # the text as it is: no line endings translated
        for piece in pieces:
            f.write(piece)
