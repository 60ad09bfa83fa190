"""One exception family: every error a user can cause carries a hint on how to fix it."""

from __future__ import annotations


class CleantraceError(Exception):
    """An error with a one-line explanation and a hint; the CLI prints `error: <what> — <hint>`."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class TaskError(CleantraceError):
    """A task id that does not exist or a task module that cannot be used."""


class SandboxError(CleantraceError):
    """A sandbox part (Xvfb, Chromium, bubblewrap, the app) is missing or failed."""


class PerformError(CleantraceError):
    """The performer could not carry out an action (e.g. its target element is not on the page)."""


class TraceError(CleantraceError):
    """A trace that cannot be written or read."""


class GroundingError(CleantraceError):
    """The recorder could not find or describe the element of an action (kept as the reason)."""


class CheckFailed(Exception):  # noqa: N818 - it reads as what happened: the check failed
    """Raised by a task's `check` to fail the episode with a reason (what is not as asked).

    Not a CleantraceError: a failed check is an outcome (`failure`), not a fault of the tool or task."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
