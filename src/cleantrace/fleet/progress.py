"""The run's live display (rich): episodes done/total, success rate, episodes per minute, ETA."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cleantrace.fleet.runner import RunStart
from cleantrace.trace.schema import CatalogRow

OUTCOME_STYLE = {"success": "green", "failure": "red", "incomplete": "yellow", "running": "yellow"}


def rate_and_eta(done: int, total: int, elapsed_s: float) -> tuple[float, float | None]:
    """Episodes per minute so far, and the seconds left at that rate (None before the first episode)."""
    if done == 0 or elapsed_s <= 0:
        return 0.0, None
    per_minute = done / elapsed_s * 60
    return per_minute, (total - done) / per_minute * 60


class RunProgress:
    """`on_start` and `on_episode` callbacks of `fleet.run` that draw a progress bar and log each episode."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]episodes"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(), console=console, refresh_per_second=2,
        )
        self.bar = None
        self.done = 0
        self.ok = 0
        self.total = 0
        self.started = time.monotonic()

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def on_start(self, start: RunStart) -> None:
        self.total = start.to_run
        self.started = time.monotonic()
        self.console.print(f"run: {start.location}")
        self.console.print(f"workers: {start.workers}")
        if start.already_done:
            self.console.print(f"resume: {start.already_done} of {start.planned} episodes already done")
        self.bar = self.progress.add_task("", total=self.total, stats=self.stats())

    def on_episode(self, row: CatalogRow) -> None:
        self.done += 1
        self.ok += bool(row.success)
        style = OUTCOME_STYLE.get(row.status, "")
        line = f"[{style}]{row.status:<10}[/] {row.episode_id}  {escape(row.message)}"
        if not self.console.is_terminal:  # no live bar in a log: each line says how far the run is
            line = f"{self.done}/{self.total} {line}  ({self.stats()})"
        self.console.print(line, highlight=False, soft_wrap=True)
        self.progress.update(self.bar, advance=1, stats=self.stats())

    def stats(self) -> str:
        per_minute, eta = rate_and_eta(self.done, self.total, time.monotonic() - self.started)
        success = f"{self.ok / self.done:.0%}" if self.done else "–"
        left = "–" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
        return f"{success} successful · {per_minute:.1f}/min · ETA {left}"
