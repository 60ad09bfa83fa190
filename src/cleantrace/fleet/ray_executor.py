"""Episodes as Ray tasks: the same episode function, a sandbox per episode on whichever node runs it.

Each task asks for one CPU (and the memory of one sandbox), so Ray places as many episodes on a
node as it has cores. At most `workers` tasks are in flight (default: the cluster's CPUs), so a
stopped run leaves little queued. A stop (Ctrl-C, an error) reaches running tasks through a small
actor that each task polls about once a second: they kill their sandbox, seal the episode as
interrupted, publish it and return its row, as local workers do.
"""

from __future__ import annotations

import time
from collections import deque

from cleantrace.errors import CleantraceError
from cleantrace.fleet.executors import Outcome, Stop
from cleantrace.fleet.output import OutputSpec
from cleantrace.fleet.sizing import MB_PER_SANDBOX
from cleantrace.spec import EpisodeSpec

STOP_POLL_S = 1.0


def require_ray():
    """The ray module, or a one-line error naming the extra to install."""
    try:
        import ray
    except ImportError:
        raise CleantraceError(
            "--executor ray needs Ray", 'install the fleet extra: pip install "cleantrace[fleet]"'
        ) from None
    return ray


class RayExecutor:
    """Episodes as Ray tasks on a cluster (`address`), or a local Ray instance when none is given."""

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        ray = require_ray()
        self._owned = not ray.is_initialized()  # a local instance started here is shut down by close()
        if self._owned:
            try:
                ray.init(address=address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise CleantraceError(
                    f"cannot reach the Ray cluster at {address or 'RAY_ADDRESS / a new local instance'} ({exc})",
                    "start it (`ray start --head`) or check --address",
                ) from None
        self._ray = ray
        self.cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = workers or self.cpus
        self._queue: deque[EpisodeSpec] = deque()
        self._running: dict = {}
        self._flag = None
        self._stop: Stop | None = None
        self._task = None

    def describe(self) -> str:
        return f"{self.workers} tasks in flight on a cluster of {self.cpus} CPUs (one CPU per episode)"

    def start(self, specs: list[EpisodeSpec], output: OutputSpec, timeout: float, image: str | None,
              stop: Stop) -> None:
        ray = self._ray
        self._flag = ray.remote(num_cpus=0)(StopFlag).remote()
        self._stop = stop
        self._task = ray.remote(num_cpus=1, memory=MB_PER_SANDBOX * 2**20, max_retries=1)(_episode_task)
        self._args = (output, timeout, image)
        self._queue.extend(specs)
        self._fill()

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._running)

    def wait(self, timeout: float) -> list[tuple[EpisodeSpec, Outcome]]:
        ray = self._ray
        if self._stop():  # pass the stop on to the running tasks; nothing more is started
            self._flag.set.remote(self._stop())
            self._queue.clear()
        if not self._running:
            return []
        ready, _ = ray.wait(list(self._running), num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(list(self._running), num_returns=len(self._running), timeout=0)
        finished = []
        for ref in ready:
            spec = self._running.pop(ref)
            try:
                finished.append((spec, ray.get(ref)))
            except ray.exceptions.RayTaskError as exc:  # the episode function raised: pass on its error
                cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else exc
                finished.append((spec, cause))
            except ray.exceptions.RayError as exc:  # the worker or node was lost (after Ray's retry)
                finished.append((spec, CleantraceError(
                    f"the Ray task of {spec.episode_id} failed ({type(exc).__name__})",
                    "see the Ray logs; --resume runs the episode again",
                )))
        self._fill()
        return finished

    def close(self) -> None:
        if self._flag is not None:
            self._ray.kill(self._flag)
            self._flag = None
        if self._owned:
            self._ray.shutdown()

    def _fill(self) -> None:
        while self._queue and len(self._running) < self.workers and not self._stop():
            spec = self._queue.popleft()
            self._running[self._task.remote(spec, *self._args, self._flag)] = spec


class StopFlag:
    """The run's stop reason, shared with its Ray tasks."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def set(self, reason: str) -> None:
        self.reason = self.reason or reason

    def get(self) -> str | None:
        return self.reason


def _episode_task(spec: EpisodeSpec, output: OutputSpec, timeout: float, image: str | None, flag):
    """A Ray task: `execute_episode` with a stop signal read from the run's StopFlag actor."""
    import ray

    from cleantrace.fleet.episodes import execute_episode

    last = {"t": 0.0, "reason": None}

    def stop() -> str | None:
        if last["reason"] is None and time.monotonic() - last["t"] >= STOP_POLL_S:
            last["t"] = time.monotonic()
            last["reason"] = ray.get(flag.get.remote())
        return last["reason"]

    return execute_episode(spec, output, timeout, image, stop)
