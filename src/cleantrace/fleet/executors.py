"""Executors run the episode function for many episodes at once and hand back their outcomes.

`LocalExecutor` uses threads of this process, one sandbox each. Threads, not a process pool: the
host side of an episode only waits for its sandbox and seals its files, the sandbox does the
work in its own processes; this process is the child subreaper of every sandbox and each call of
`run_in_sandbox` reaps only its own sandbox's processes (through pidfds), so sandboxes do not
race for each other's exits; bubblewrap's --die-with-parent follows the thread that started it,
and pool threads outlive their sandboxes; and the catalog has one writer, the driver thread.
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from cleantrace.fleet.output import OutputSpec
from cleantrace.spec import EpisodeSpec
from cleantrace.trace.schema import CatalogRow

Outcome = CatalogRow | BaseException | None  # a row; the error the episode raised; None: never started


class Stop:
    """A run's stop signal with its reason (the first reason given wins); callable: the reason or None."""

    def __init__(self) -> None:
        self._reason: str | None = None
        self._lock = threading.Lock()

    def set(self, reason: str) -> None:
        with self._lock:
            self._reason = self._reason or reason

    def __call__(self) -> str | None:
        return self._reason


class LocalExecutor:
    """Episodes on this machine, `workers` at a time, each in its own worker thread and sandbox."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="episode")
        self._futures: dict[Future, EpisodeSpec] = {}

    def start(self, specs: list[EpisodeSpec], output: OutputSpec, timeout: float, image: str | None,
              stop: Stop) -> None:
        from cleantrace.fleet.episodes import execute_episode

        for spec in specs:
            self._futures[self._pool.submit(execute_episode, spec, output, timeout, image, stop)] = spec

    @property
    def pending(self) -> int:
        return len(self._futures)

    def wait(self, timeout: float) -> list[tuple[EpisodeSpec, Outcome]]:
        """The episodes that ended within `timeout` seconds, with their outcomes."""
        done, _ = wait(list(self._futures), timeout, return_when=FIRST_COMPLETED)
        finished = []
        for future in done:
            spec = self._futures.pop(future)
            exc = future.exception()
            finished.append((spec, exc if exc is not None else future.result()))
        return finished

    def close(self) -> None:
        self._pool.shutdown(wait=True)
