"""`cleantrace tasks new APP/NAME`: a task module to fill in, in the app's pack."""

from __future__ import annotations

import re
from pathlib import Path

from cleantrace.errors import TaskError
from cleantrace.tasks.loader import TaskRegistry

TEMPLATE = '''"""{task_id}: <one line saying what a person does in this task>."""

from __future__ import annotations

from cleantrace.tasks import Task


class {class_name}(Task):
    id = "{task_id}"
    app = "{app}"
    skills = ("click",)  # from cleantrace.tasks.skills.SKILLS
    difficulty = "easy"  # easy | medium | hard
    instruction = (  # three or more ways to say it; every {{field}} is a key that setup() returns
        "Do the thing to {{name}}.",
        "Please do the thing to {{name}}.",
        "Find {{name}} and do the thing.",
    )

    def setup(self, world):
        """Choose this episode's parameters from the seeded world."""
        raise NotImplementedError("{task_id}: write setup(), e.g. row = world.pick('<table>')")

    def solve(self, actor, p):
        """The scripted demonstration, through the Actor API (docs/authoring.md)."""
        raise NotImplementedError("{task_id}: write solve(), e.g. actor.click(role='link', name=p['name'])")

    def check(self, world, p):
        """True when the app's database shows the task done (False before it is)."""
        raise NotImplementedError("{task_id}: write check(), e.g. world.db.scalar('select ...') == p['...']")

    def wrong_params(self, world, p):
        """A plausible mistake (another row or option): solving with it must fail check(world, p)."""
        raise NotImplementedError("{task_id}: write wrong_params()")
'''


def write_skeleton(registry: TaskRegistry, task_id: str) -> Path:
    """Write `<pack>/<name>.py` with a task class to fill in; refuses to overwrite or to guess an app."""
    path = check_new_id(registry, task_id)
    name = task_id.partition("/")[2]
    class_name = "".join(part.capitalize() for part in name.split("-"))
    path.write_text(TEMPLATE.format(task_id=task_id, app=task_id.partition("/")[0], class_name=class_name))
    return path


def check_new_id(registry: TaskRegistry, task_id: str) -> Path:
    """The module path a new task APP/NAME goes to; a TaskError if the id is bad or taken."""
    app, _, name = task_id.partition("/")
    if not name or not re.fullmatch(r"[a-z][a-z0-9-]*", name):
        raise TaskError(f"bad task id {task_id!r}", "use APP/NAME with NAME in lower case, e.g. crm/merge-leads")
    if app not in registry.packs:
        known = ", ".join(sorted(registry.packs)) or "none"
        raise TaskError(f"there is no app {app!r} in {registry.root}", f"use one of: {known}")
    if task_id in registry.tasks:
        raise TaskError(f"task {task_id!r} already exists in {registry.origins[task_id]}", "choose another name")
    path = registry.packs[app].root / f"{name.replace('-', '_')}.py"
    if path.exists():
        raise TaskError(f"{path} already exists", "choose another name or edit that file")
    return path
