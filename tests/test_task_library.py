"""Every shipped task keeps the library's promises (issue 4), checked without a sandbox."""

from __future__ import annotations

import json
import random
from functools import cache

import pytest

from cleantrace.tasks import load_registry
from cleantrace.tasks.skills import DIFFICULTIES, REQUIRED_SKILLS, SKILLS
from cleantrace.world import World

REGISTRY = load_registry()
TASK_IDS = sorted(REGISTRY.tasks)


@cache
def _app(pack: str):
    return REGISTRY.packs[pack].load_app_module()


def episode_world(task_id: str, seed: int, tmp_path):
    """A freshly seeded world and the task's parameters for it, as an episode starts."""
    task_cls = REGISTRY.get(task_id)
    world = World(seed, tmp_path / f"{task_id.replace('/', '-')}-{seed}.sqlite")
    _app(task_cls.app).populate(world)
    task = task_cls()
    return task, world, task.setup(world)


def test_the_library_loads_cleanly_and_is_big_enough():
    assert REGISTRY.problems == []
    assert len(REGISTRY.tasks) >= 30
    assert {"crm", "mail"} <= set(REGISTRY.packs) and len(REGISTRY.packs) >= 3


def test_the_library_covers_the_skills_agents_fail_at():
    covered = {s for t in REGISTRY.tasks.values() for s in t.skills}
    assert set(REQUIRED_SKILLS) <= covered, f"missing: {sorted(set(REQUIRED_SKILLS) - covered)}"
    assert sum("multi-step" in t.skills for t in REGISTRY.tasks.values()) >= 5


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_declared_skills_difficulty_and_templates(task_id):
    task = REGISTRY.get(task_id)
    assert task.skills and set(task.skills) <= set(SKILLS), set(task.skills) - set(SKILLS)
    assert task.difficulty in DIFFICULTIES
    assert len(set(task.templates())) >= 3


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_parameters_come_from_the_seeded_world_and_vary(task_id, tmp_path):
    seen = set()
    for seed in range(20):
        task, world, params = episode_world(task_id, seed, tmp_path)
        world.close()
        assert task.template_fields() <= set(params), "every {field} of the instruction comes from setup()"
        seen.add(json.dumps(params, sort_keys=True))  # also proves the parameters are JSON
        if seed == 0:
            instruction = task.render_instruction(params, random.Random(seed))
            assert "{" not in instruction and "}" not in instruction
    assert len(seen) >= 15, f"only {len(seen)} distinct parameter sets in 20 seeds"
    (tmp_path / "again").mkdir()
    _, world, again = episode_world(task_id, 0, tmp_path / "again")
    world.close()
    assert json.dumps(again, sort_keys=True) in seen, "the same seed gives the same parameters"


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_check_fails_before_anything_is_done_and_a_wrong_attempt_differs(task_id, tmp_path):
    for seed in range(3):
        task, world, params = episode_world(task_id, seed, tmp_path)
        assert not task.verdict(world, params)[0], "check passes before anything was done"
        wrong = task.wrong_params(world, params)
        assert wrong != params and json.dumps(wrong)
        world.close()
