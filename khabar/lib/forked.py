"""One helper process beside a batch pipeline: it prepares the next batch while this process
writes the current one (the archive import's reader, the reindex's analyser)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any


@contextmanager
def helper_process(enabled: bool) -> Iterator[Callable[..., Future[Any]]]:
    """``submit(fn, *args)``: run in a second process (forked, so it has this one's code
    loaded; ``fn`` must use no database connection), or, not ``enabled``, here at once."""
    if not enabled:

        def here(fn: Callable[..., Any], *args: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(fn(*args))
            return future

        yield here
        return
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool.submit
    finally:
        pool.shutdown(cancel_futures=True)
