"""Where the per-letter work runs: this process, local worker processes, or a Dask cluster; results in input order.

Every executor has one method, `map(fn, context, items)`: `fn(context, item)` for each item, in input order, with a
bounded number of items in flight (results never pile up faster than the caller consumes them). The context (the
run: options, registry, edition) is sent to each worker once, not with every item.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .errors import UsageError

if TYPE_CHECKING:  # the process machinery is imported where it is used: a run with nothing to do needs none of it
    import multiprocessing.context
    from concurrent.futures import Executor as FuturesExecutor
    from concurrent.futures import Future

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

_CONTEXT: Any = None


def _init(context: Any) -> None:
    global _CONTEXT
    _CONTEXT = context  # it arrives pickled, once per process


def _call(fn: Callable[[Any, Any], Any], item: Any) -> Any:
    return fn(_CONTEXT, item)


def process_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: "forkserver" where the platform has it, else "spawn"; never a plain fork.

    A fork copies a process whose other threads (rich's progress refresh) may hold locks; Python 3.12+ warns about
    it and 3.14 no longer forks by default. Workers get their state pickled, through the pool's initializer.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    wanted = os.environ.get("TROTSKY_TEI_START_METHOD")  # the benchmarks ask for "spawn": workers are then our children
    if wanted in methods and wanted != "fork":
        return multiprocessing.get_context(wanted)
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def default_jobs(jobs: int | None) -> int:
    """`--jobs` as given, else every core."""
    return max(1, jobs if jobs is not None else (os.cpu_count() or 1))


class Executor(Protocol):
    """Runs `fn(context, item)` for each item and yields the results in input order. `items` may be a generator
    (taken from as the work goes on); `size` then says how many items there are at most (how many workers to start)."""

    def map(self, fn: Callable[[C, T], R], context: C, items: Iterable[T], size: int | None = None) -> Iterator[R]: ...


def _size(items: Iterable[Any], size: int | None) -> int:
    """How many items there are at most: `size`, else the length of `items` (a sequence)."""
    if size is not None:
        return size
    assert isinstance(items, Sequence), "a generator of items needs its size"
    return len(items)


def _ordered(pool: FuturesExecutor, submit: Callable[[T], Future[R]], items: Iterable[T], window: int) -> Iterator[R]:
    pending: deque[Future[R]] = deque()
    source = iter(items)
    for item in source:
        pending.append(submit(item))
        if len(pending) >= window:
            break
    while pending:
        result = pending.popleft().result()
        for item in source:
            pending.append(submit(item))
            break
        yield result


class _Made:
    """A result this process made itself, queued among the pool's futures."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def done(self) -> bool:
        return True

    def result(self) -> Any:
        return self.value


def _ordered_with_here(
    submit: Callable[[T], Future[R]], here: Callable[[T], R], items: Iterable[T], window: int,
) -> Iterator[R]:
    """`_ordered`, with this process as one more worker: whenever the next result is not ready (the workers are
    starting, or busy), this process does an item itself: the earliest one no worker has started (taken back from
    the pool), else the next one not given out. At most `window` items wait in the pool, and at most 4 × `window`
    results wait for the one before them."""
    pending: deque[tuple[T, Future[R] | _Made]] = deque()
    source = iter(items)
    left = True  # items not yet given out

    def take() -> tuple[bool, Any]:
        nonlocal left
        for item in source:
            return True, item
        left = False
        return False, None

    def fill() -> None:
        while left and sum(1 for _, f in pending if not f.done()) < window:
            got, item = take()
            if got:
                pending.append((item, submit(item)))

    fill()
    while pending or left:
        if pending and pending[0][1].done():
            yield pending.popleft()[1].result()
            fill()
            continue
        room = len(pending) < 4 * window
        # an item the pool has not started (a cancelled future is one no worker will run) ...
        waiting = next((i for i, (_, f) in enumerate(pending) if not isinstance(f, _Made) and f.cancel()), None) if room else None
        if waiting is not None:
            item = pending[waiting][0]
            pending[waiting] = (item, _Made(here(item)))
        elif room and left:  # ... else one not given out yet ...
            got, item = take()
            if got:
                pending.append((item, _Made(here(item))))
        elif pending:  # ... else wait for the next result
            yield pending.popleft()[1].result()
        fill()


class LocalExecutor:
    """`jobs` local processes: this one and `jobs` - 1 workers (1: this process alone), started by forkserver or
    spawn. This process works on items too, whenever no worker has a result ready: it is ready at once (the context
    is its own), while a worker takes a while to start (its imports, the schema compiled again), and there is one
    worker fewer to start."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = default_jobs(jobs)

    def map(self, fn: Callable[[C, T], R], context: C, items: Iterable[T], size: int | None = None) -> Iterator[R]:
        n = min(self.jobs, _size(items, size))
        if n <= 1:
            yield from (fn(context, item) for item in items)
            return
        from concurrent.futures import ProcessPoolExecutor

        workers = n - 1
        with ProcessPoolExecutor(max_workers=workers, mp_context=process_context(), initializer=_init, initargs=(context,)) as pool:
            yield from _ordered_with_here(lambda item: pool.submit(_call, fn, item), lambda item: fn(context, item), items, 4 * workers)


def spreads(executor: Executor) -> bool:
    """Whether `executor` runs work outside this process: local workers (more than one job) or a cluster."""
    return not isinstance(executor, LocalExecutor) or executor.jobs > 1


class DaskExecutor:
    """The tasks of a run on a Dask cluster (`distributed`): `address` is the scheduler's, e.g. tcp://host:8786.

    Workers must see the corpus at the same paths as this process (a shared file system): a letter's bytes are
    sent with its task, but pointers into other files are checked where the task runs.
    """

    def __init__(self, address: str) -> None:
        try:
            import distributed  # noqa: F401
        except ImportError as exc:
            raise UsageError(
                "--executor dask://… needs the optional Dask support: pip install 'trotsky-tei[dask]'"
            ) from exc
        self.address = address

    def map(self, fn: Callable[[C, T], R], context: C, items: Iterable[T], size: int | None = None) -> Iterator[R]:
        import distributed

        if not _size(items, size):
            return
        connect: Any = distributed.Client  # untyped: the results are checked where they are used
        try:
            client = connect(self.address, timeout="20s")
        except OSError as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from exc
        try:
            shared = client.scatter(context, broadcast=True)  # sent to each worker once
            pool = client.get_executor(pure=False)
            workers = max(1, sum(client.nthreads().values()))
            yield from _ordered(pool, lambda item: pool.submit(fn, shared, item), items, 4 * workers)
        finally:
            client.close()


def make_executor(jobs: int | None = None, executor: str | None = None) -> Executor:
    """`--executor` (dask://HOST:PORT, or "local") and `--jobs` as an executor."""
    if executor is None or executor == "local":
        return LocalExecutor(jobs)
    if executor.startswith("dask://"):
        return DaskExecutor("tcp://" + executor.removeprefix("dask://"))
    if executor.startswith(("tcp://", "tls://", "ws://", "wss://")):
        return DaskExecutor(executor)
    raise UsageError(f"--executor {executor}: expected 'local' or dask://HOST:PORT")
