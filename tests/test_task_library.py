"""Every shipped task keeps the library's promises (issue 4), checked without a sandbox."""

from __future__ import annotations

from functools import cache

import pytest

from cleantrace.tasks import load_registry
from cleantrace.tasks.lint import lint_tasks
from cleantrace.tasks.skills import REQUIRED_SKILLS

REGISTRY = load_registry()
TASK_IDS = sorted(REGISTRY.tasks)


def test_the_library_loads_cleanly_and_is_big_enough():
    assert REGISTRY.problems == []
    assert len(REGISTRY.tasks) >= 30
    assert {"crm", "mail"} <= set(REGISTRY.packs) and len(REGISTRY.packs) >= 3


def test_the_library_covers_the_skills_agents_fail_at():
    covered = {s for t in REGISTRY.tasks.values() for s in t.skills}
    assert set(REQUIRED_SKILLS) <= covered, f"missing: {sorted(set(REQUIRED_SKILLS) - covered)}"
    assert sum("multi-step" in t.skills for t in REGISTRY.tasks.values()) >= 5


@cache
def library_lint():
    """The whole library linted once (tasks lint: declarations, setup on 20 seeds, check, wrong_params, effect)."""
    return lint_tasks(REGISTRY, seeds=20)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_every_task_lints_clean(task_id):
    """Skills, difficulty, >= 3 templates, every field from setup on 20 seeds, variety, JSON parameters, the
    same seed giving the same parameters, check False on the fresh world, wrong_params different; and, for a
    task with an effect, check True after it and False after the wrong one (docs/authoring.md)."""
    assert [str(p) for p in library_lint().of(task_id)] == []


def test_lint_of_the_whole_library_reports_no_load_problems():
    assert library_lint().problems == [] and len(library_lint().tasks) == len(TASK_IDS)


@cache
def seeded_worlds():
    """Each pack populated once per seed, copied per use (the lint's worlds), for the whole module."""
    from cleantrace.tasks.lint import SeededWorlds

    return SeededWorlds(REGISTRY)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_no_instruction_doubles_its_stop(task_id):
    """A quoted sentence keeps its own stop: no `."."`, `.".` or `..` in any template of any of 3 seeds."""
    import re

    from cleantrace.tasks.lint import close_world

    task_cls = REGISTRY.get(task_id)
    params_of = []
    for seed in range(3):
        world = seeded_worlds().for_task(task_cls, seed)  # a desktop task's world has its home and web apps too
        params_of.append(task_cls().setup(world))
        close_world(world)
    for params in params_of:
        for template in task_cls().templates():
            text = template.format(**params)
            assert not re.search(r'[.!?]["\u201d][.!?]|[.!?]\.(?!\.)', text), f"doubled stop in {text!r}"
