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
