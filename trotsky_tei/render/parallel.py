"""An ordered map over worker processes: bounded work in flight, results yielded in input order."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_WORKER: Callable[[Any], Any] | None = None


def _init(worker: Callable[[Any], Any]) -> None:
    global _WORKER
    _WORKER = worker  # with fork it is inherited; otherwise it arrives pickled, once per process


def _call(item: Any) -> Any:
    assert _WORKER is not None
    return _WORKER(item)


def default_jobs(jobs: int | None) -> int:
    """`--jobs` as given, else every core."""
    return max(1, jobs if jobs is not None else (os.cpu_count() or 1))


def ordered_map(worker: Callable[[T], R], items: Sequence[T], jobs: int | None = None, window: int = 0) -> Iterator[R]:
    """`worker(item)` for each item, in input order, in `jobs` processes (1: in this process).

    At most `window` items (default 4 per process) are in flight, so results never pile up in memory faster than
    the caller consumes them; the caller writes each result before the next one is fetched. `worker` must be
    picklable (a module-level function or an object whose state is plain data).
    """
    n = min(default_jobs(jobs), len(items))
    if n <= 1:
        yield from map(worker, items)
        return
    window = window or 4 * n
    with ProcessPoolExecutor(max_workers=n, initializer=_init, initargs=(worker,)) as pool:
        pending: deque[Future[Any]] = deque()
        source = iter(items)
        for item in source:
            pending.append(pool.submit(_call, item))
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            for item in source:
                pending.append(pool.submit(_call, item))
                break
            yield result
