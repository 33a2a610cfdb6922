"""`build --watch` and `trotsky-tei serve`: build again when a file of the corpus changes, and preview the site on
this machine only (127.0.0.1).

Changes are found by polling the corpus's files (their size and modification time, twice a second): no dependency,
and the same on every system; a rebuild is incremental (only what changed is made again). The preview is the
standard library's HTTP server, bound to the loopback address: never reachable from another machine.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .reader import walk_xml

Snapshot = dict[str, tuple[int, int]]


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C (SIGINT) and SIGTERM end a long-running command cleanly (its temporary folder removed), as it says.

    Even where SIGINT came in ignored: a shell without job control starts `cmd &` so, and a script or a test that
    runs `serve` that way and sends it SIGINT expects it to end. Restored as they were at the end.
    """
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - only the main thread may
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    saved = signal.signal(signal.SIGINT, signal.default_int_handler), signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, saved[0])
        signal.signal(signal.SIGTERM, saved[1])


def snapshot(corpus: Path) -> Snapshot:
    """Every XML file of the corpus (letters, registry, edition) and its (size, modification time)."""
    out: Snapshot = {}
    for path in walk_xml(corpus):
        try:
            st = os.stat(path)
        except OSError:
            continue
        out[path] = (st.st_size, st.st_mtime_ns)
    return out


def watch(corpus: Path, rebuild: Callable[[], object], *, interval: float = 0.5, stop: threading.Event | None = None) -> None:
    """Call `rebuild()` whenever the corpus's files change, until `stop` is set (or Ctrl-C)."""
    last = snapshot(corpus)
    stop = stop or threading.Event()
    while not stop.wait(interval):
        now = snapshot(corpus)
        if now != last:
            time.sleep(interval)  # let an editor finish writing
            last = snapshot(corpus)
            rebuild()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the standard library's name
        pass


def serve_site(site: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server of `site` on 127.0.0.1:`port` (0: any free port), running in a thread of its own."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
