"""Work spread over processes: how workers start, and an ordered map with bounded work in flight."""

from __future__ import annotations

import multiprocessing
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
    _WORKER = worker  # it arrives pickled, once per process


def _call(item: Any) -> Any:
    assert _WORKER is not None
    return _WORKER(item)


def process_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: "forkserver" where the platform has it, else "spawn"; never a plain fork.

    A fork copies a process whose other threads (rich's progress refresh) may hold locks; Python 3.12+ warns about
    it and 3.14 no longer forks by default. Workers get their state pickled, through the pool's initializer.
    """
    methods = multiprocessing.get_all_start_methods()
    wanted = os.environ.get("TROTSKY_TEI_START_METHOD")  # the benchmarks ask for "spawn": workers are then our children
    if wanted in methods and wanted != "fork":
        return multiprocessing.get_context(wanted)
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


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
    with ProcessPoolExecutor(max_workers=n, mp_context=process_context(), initializer=_init, initargs=(worker,)) as pool:
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
