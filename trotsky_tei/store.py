"""What a pass keeps of each letter, on disk (sqlite, from the standard library), so memory stays flat.

Three tables: `letter` (per file: its bytes' hash, the key of its results, the results as JSON), `part` (the rendered
outputs of a letter: page fragment, text, EPUB chapter) and `output` (each file a build wrote: the
key it was made from and its size and modification time, so an unchanged output is neither made nor written again).

A build keeps its store in its output folder, so the next build reuses what did not change; `validate` keeps one
beside the corpus (results by content hash, as ruff and mypy do); one-off exports use a temporary one. A store that
cannot be opened or read (damaged, locked, from an older version) is replaced by an empty one: it only costs time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

STORE_FORMAT = "3"
COMMIT_EVERY = 256  # letters stored between two commits
SCHEMA = """
CREATE TABLE IF NOT EXISTS info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS letter (path TEXT PRIMARY KEY, digest TEXT NOT NULL, key TEXT NOT NULL,
                                   lookups TEXT NOT NULL, meta TEXT NOT NULL, context TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS part (path TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (path, name));
CREATE TABLE IF NOT EXISTS output (rel TEXT PRIMARY KEY, key TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL);
"""


class Store:
    """Per-letter results and parts by file path, and the outputs of the last build; `path` None: a temporary store."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, reset: bool = False) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="trotsky-tei-")
            path = Path(self._tmp.name) / "store.sqlite"
        self.path = Path(path)
        self.db = self._open(reset)
        self._puts = 0  # letters stored by this run (`_commit_now_and_then`)

    def _open(self, reset: bool) -> sqlite3.Connection:
        if reset:  # everything is made again; the list of files the last build wrote is kept (what prune may remove)
            written = self._written()
            self._remove()
            db = self._open(False)
            db.executemany("INSERT OR REPLACE INTO output VALUES (?, '', -1, -1)", [(r,) for r in written])
            return db
        try:
            db = self._connect()
            fmt = db.execute("SELECT value FROM info WHERE name = 'format'").fetchone()
            if fmt is None or fmt[0] != STORE_FORMAT:
                if fmt is not None:  # another version's store: start afresh
                    db.close()
                    self._remove()
                    db = self._connect()
                db.execute("INSERT OR REPLACE INTO info VALUES ('format', ?)", (STORE_FORMAT,))
            return db
        except sqlite3.Error:  # damaged or not a database: an empty store costs a full run, nothing else
            self._remove()
            return self._connect()

    def _written(self) -> list[str]:
        """The outputs an existing store records (none where there is no readable store)."""
        if not self.path.is_file():
            return []
        try:
            db = sqlite3.connect(self.path, timeout=30)
            try:
                return [r for (r,) in db.execute("SELECT rel FROM output")]
            finally:
                db.close()
        except sqlite3.Error:
            return []

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous = OFF")  # a cache: losing it to a crash only costs time
        # the rollback journal in a file (removed at each commit), not in memory: it holds the old version of every
        # page a transaction changes, which for a build that makes every letter again is the whole store (hundreds
        # of MB at 10,000 letters); and a run that is killed leaves a store sqlite rolls back, not a damaged one
        db.execute("PRAGMA journal_mode = DELETE")
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        return db

    def _commit_now_and_then(self) -> None:
        """Commit every `COMMIT_EVERY` letters stored: the journal (and what a killed run loses) stays small."""
        self._puts += 1
        if self._puts % COMMIT_EVERY == 0:
            self.db.execute("COMMIT")
            self.db.execute("BEGIN")

    def _remove(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")

    def close(self) -> None:
        """Commit and close; a temporary store is deleted."""
        with contextlib.suppress(sqlite3.Error):
            self.db.execute("COMMIT")
        self.db.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- letters ---------------------------------------------------------------------------------------

    def prefetch(self, paths: Sequence[str], window: int = 256) -> None:
        """`cached` and `has_parts` will be asked about `paths` in this order: read their rows `window` at a time,
        two queries a window instead of two a letter (a run with nothing changed is mostly these lookups)."""
        self._order = {p: i for i, p in enumerate(paths)}
        self._paths = list(paths)
        self._window = window
        self._rows: dict[str, tuple[str, str, str, str, str] | None] = {}
        self._names: dict[str, set[str]] = {}

    def _read_ahead(self, at: int) -> None:
        chunk = self._paths[at:at + self._window]
        marks = ",".join("?" * len(chunk))
        self._rows.update(dict.fromkeys(chunk))
        for row in self.db.execute(f"SELECT path, digest, key, lookups, meta, context FROM letter WHERE path IN ({marks})", chunk):
            self._rows[row[0]] = (row[1], row[2], row[3], row[4], row[5])
        for p in chunk:
            self._names[p] = set()
        for path, name in self.db.execute(f"SELECT path, name FROM part WHERE path IN ({marks})", chunk):
            self._names[path].add(name)

    def cached(self, path: str) -> tuple[str, str, str, str, str] | None:
        """(digest, key, lookups, meta JSON, context) of the last results for `path`, or None."""
        order: dict[str, int] = self.__dict__.get("_order", {})
        if path in order:  # read ahead (`prefetch`); each row is used once, before the letter can be stored again
            if path not in self._rows:
                self._read_ahead(order.pop(path))
            else:
                del order[path]
            self._asked = (path, self._names.pop(path, set()))  # for `has_parts`, asked next (if at all)
            return self._rows.pop(path, None)
        row = self.db.execute("SELECT digest, key, lookups, meta, context FROM letter WHERE path = ?", (path,)).fetchone()
        return (row[0], row[1], row[2], row[3], row[4]) if row else None

    def put(self, path: str, digest: str, key: str, lookups: str, meta: str, parts: dict[str, bytes], context: str = "") -> None:
        """Record a letter's results and replace its parts (see `pack`); `context`: what its key was checked against."""
        self.db.execute("INSERT OR REPLACE INTO letter VALUES (?, ?, ?, ?, ?, ?)", (path, digest, key, lookups, meta, context))
        self.db.execute("DELETE FROM part WHERE path = ?", (path,))
        self.db.executemany("INSERT INTO part VALUES (?, ?, ?)", [(path, name, data) for name, data in parts.items()])
        self._commit_now_and_then()

    def confirm(self, path: str, context: str) -> None:
        """Note that `path`'s key still holds in `context` (checked again in this run)."""
        self.db.execute("UPDATE letter SET context = ? WHERE path = ?", (context, path))

    def part(self, path: str, name: str) -> str | None:
        """One rendered part of a letter, as text."""
        row = self.db.execute("SELECT data FROM part WHERE path = ? AND name = ?", (path, name)).fetchone()
        return unpack(row[0]) if row else None

    def part_bytes(self, path: str, name: str) -> bytes | None:
        """One stored part of a letter, as the bytes it was stored as."""
        row = self.db.execute("SELECT data FROM part WHERE path = ? AND name = ?", (path, name)).fetchone()
        return bytes(row[0]) if row else None

    def has_parts(self, path: str, names: Iterable[str]) -> bool:
        wanted = set(names)
        asked: tuple[str, set[str]] | None = self.__dict__.get("_asked")
        if asked is not None and asked[0] == path:  # read ahead with the row `cached` gave
            return wanted <= asked[1]
        rows = self.db.execute("SELECT name FROM part WHERE path = ?", (path,)).fetchall()
        return wanted <= {r[0] for r in rows}

    def keep_letters(self, paths: Iterable[str]) -> None:
        """Forget the letters not in `paths` (files that were deleted or are no longer part of the corpus)."""
        keep = set(paths)
        gone = [(p,) for (p,) in self.db.execute("SELECT path FROM letter") if p not in keep]
        self.db.executemany("DELETE FROM letter WHERE path = ?", gone)
        self.db.executemany("DELETE FROM part WHERE path = ?", gone)

    # --- outputs of a build ----------------------------------------------------------------------------

    def outputs(self) -> dict[str, tuple[str, int, int]]:
        """rel -> (key, size, mtime_ns) of every output the last build recorded."""
        return {rel: (key, size, mtime) for rel, key, size, mtime in self.db.execute("SELECT rel, key, size, mtime FROM output")}

    def record_output(self, rel: str, key: str, size: int, mtime: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO output VALUES (?, ?, ?, ?)", (rel, key, size, mtime))

    def forget_outputs(self, rels: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM output WHERE rel = ?", [(r,) for r in rels])


def pack(text: str | bytes) -> bytes:
    """A part as stored: UTF-8, or bytes as they are (not compressed: a part is written once and read once or
    twice, and compressing it would cost more time than the disk space it saves is worth)."""
    return text if isinstance(text, bytes) else text.encode("utf-8")


def unpack(data: bytes) -> str:
    return data.decode("utf-8")
