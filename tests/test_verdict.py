"""A check's verdict: success, failure with the check's own reason, incomplete when the check broke."""

from __future__ import annotations

import pytest

from cleantrace.episode import _verdict
from cleantrace.tasks import CheckFailed, Task, expect


class Probe(Task):
    id = "crm/probe"
    app = "crm"
    instruction = "x"

    def __init__(self, result) -> None:
        self.result = result

    def check(self, world, p):
        if isinstance(self.result, BaseException):
            raise self.result
        return self.result() if callable(self.result) else self.result


@pytest.mark.parametrize(("result", "status", "message"), [
    (True, "success", "check passed"),
    (False, "failure", "check failed: the app state is not as asked"),
    ("Ada's status is New, not Won", "failure", "check failed: Ada's status is New, not Won"),
    (CheckFailed("the note\nis missing"), "failure", "check failed: the note is missing"),
    (lambda: expect(1 == 2, "one is not two"), "failure", "check failed: one is not two"),
    (lambda: expect(1 == 1, "never said"), "success", "check passed"),
    (KeyError("nope"), "incomplete", "check() raised KeyError: 'nope'"),
])
def test_the_verdict_carries_the_checks_reason(result, status, message):
    outcome = _verdict(Probe(result), world=None, params={})
    assert (outcome.status, outcome.message) == (status, message)
    assert outcome.success is {"success": True, "failure": False}.get(status)


def test_an_error_names_the_task_file_within_the_library_not_on_the_host(tmp_path):
    """A host path in an incomplete episode's message was a privacy finding (the library's location)."""
    from cleantrace.episode import _describe
    from cleantrace.fleet.episodes import without_host_paths
    from cleantrace.spec import EpisodeSpec

    origin = tmp_path / "tasks" / "desktop" / "crossapp.py"
    origin.parent.mkdir(parents=True)
    origin.write_text("def solve():\n    raise ValueError('the target kept moving')\n")
    namespace: dict = {}
    exec(compile(origin.read_text(), str(origin), "exec"), namespace)
    try:
        namespace["solve"]()
    except ValueError as exc:
        message = _describe(exc, "desktop/x", origin, tmp_path / "tasks")
    assert message == "ValueError (task desktop/x, desktop/crossapp.py:2): the target kept moving"
    spec = EpisodeSpec.model_validate({"run_id": "r", "episode_id": "e", "task": "desktop/x", "seed": 0,
                                       "tasks_dir": str(tmp_path / "tasks")})
    assert without_host_paths(f"timed out after 8 s; last action: click() at {origin}:2", spec) == \
        "timed out after 8 s; last action: click() at desktop/crossapp.py:2"
