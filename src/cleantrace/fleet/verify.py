"""`cleantrace tasks check`: run tasks' scripted solutions in real sandboxes and report success rates.

With `wrong=True` every task is solved with its `wrong_params` instead (a plausible mistake), and
an honest check must then say failure: the rate reported is how often the check was fooled.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cleantrace.spec import EPISODE_TIMEOUT_S
from cleantrace.tasks.loader import TaskRegistry, load_registry

WRONG_SUFFIX = "--wrong"
WRONG_MODULE = "zz_wrong_solutions.py"  # loads after the pack's own modules, whose tasks it imports
_RUNS = itertools.count()


@dataclass
class TaskCheck:
    """How a task's episodes ended: `successes` of `episodes`, and why the others did not succeed."""

    task: str
    wrong: bool = False
    episodes: int = 0
    successes: int = 0
    failures: int = 0
    problems: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # why the check failed, per failed episode

    @property
    def rate(self) -> float:
        return self.successes / self.episodes if self.episodes else 0.0

    @property
    def ok(self) -> bool:
        """Every episode succeeded; or, for wrong solutions, every one ran through and failed its check."""
        return self.failures == self.episodes if self.wrong else self.successes == self.episodes


def check_tasks(
    patterns: list[str], seeds: int = 10, first_seed: int = 0, wrong: bool = False, out: Path | None = None,
    tasks_dir: Path | None = None, timeout: float = EPISODE_TIMEOUT_S, on_episode=None, **run_options,
) -> list[TaskCheck]:
    """Run each selected task on `seeds` seeds in fresh sandboxes; one TaskCheck per task."""
    from cleantrace.fleet.runner import run

    registry = load_registry(tasks_dir)
    selected = [t.id for t in registry.select(patterns or ["*"])]
    with tempfile.TemporaryDirectory(prefix="cleantrace-check-") as scratch:
        run_dir_parent = Path(out) if out else Path(scratch) / "runs"
        folder, ids = registry.root, selected
        if wrong:
            folder = write_wrong_pack(registry, selected, Path(scratch) / "tasks")
            ids = [t + WRONG_SUFFIX for t in selected]
        run_id = f"check{'-wrong' if wrong else ''}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{next(_RUNS)}"
        result = run(ids, episodes=seeds, seed=first_seed, out=run_dir_parent, run_id=run_id, tasks_dir=folder,
                     timeout=timeout, on_episode=on_episode, **run_options)
    checks = {t: TaskCheck(t, wrong) for t in selected}
    for row in result.rows:
        check = checks[row.task.removesuffix(WRONG_SUFFIX)]
        check.episodes += 1
        check.successes += row.status == "success"
        check.failures += row.status == "failure"
        if row.status == "failure":
            check.reasons.append(f"seed {row.seed}: {row.message}")
        if row.status != ("failure" if wrong else "success"):
            check.problems.append(f"seed {row.seed} ({row.episode_id}): {row.status}: {row.message}")
    return list(checks.values())


def write_wrong_pack(registry: TaskRegistry, task_ids: list[str], root: Path) -> Path:
    """A tasks folder mirroring the packs of `task_ids` and the packs whose web apps their tasks
    serve (a desktop task's `web_apps`: a pack does not load without them), plus for each task one
    solved with its wrong_params."""
    by_pack: dict[str, list[str]] = defaultdict(list)
    for task_id in task_ids:
        by_pack[registry.get(task_id).app].append(task_id)
    served = {app for task in registry.select(["*"]) if task.app in by_pack for app in task.web_apps}
    for pack_name in sorted(served - set(by_pack)):
        mirror_pack(registry, pack_name, root)
    for pack_name, ids in by_pack.items():
        mirror = mirror_pack(registry, pack_name, root) / pack_name
        lines = ["from cleantrace.tasks import Task  # noqa: F401", ""]
        for n, task_id in enumerate(ids):
            task = registry.get(task_id)
            module = registry.origins[task_id].stem
            lines += [
                f"from .{module} import {task.__name__} as _Right{n}", "",
                f"class Wrong{n}(_Right{n}):",
                f"    id = {task_id + WRONG_SUFFIX!r}",
                "    def setup(self, world):",
                "        p = super().setup(world)",
                "        self._wrong = super().wrong_params(world, p)",
                "        return p",
                "    def solve(self, actor, p):",
                "        super().solve(actor, self._wrong)", "",
            ]
        (mirror / WRONG_MODULE).write_text("\n".join(lines))
    return root


def mirror_pack(registry: TaskRegistry, pack_name: str, root: Path) -> Path:
    """A tasks folder `root` holding a mirror of one pack (its app and modules, as symlinks), to which
    extra modules can be added without touching the pack."""
    pack = registry.packs[pack_name]
    mirror = root / pack_name
    mirror.mkdir(parents=True)
    (mirror / "app").symlink_to(pack.app_dir.resolve())
    for module in pack.root.glob("*.py"):
        (mirror / module.name).symlink_to(module.resolve())
    return root


def write_checks_json(checks: list[TaskCheck], path: Path, **settings) -> Path:
    """Write the checks (and the settings they ran with) as JSON, for the record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(c), "rate": c.rate, "ok": c.ok} for c in checks]
    total = sum(c.episodes for c in checks)
    summary = {"tasks": len(checks), "episodes": total, "all_ok": all(c.ok for c in checks),
               "successes": sum(c.successes for c in checks), "failures": sum(c.failures for c in checks)}
    path.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **settings,
                                "summary": summary, "tasks": rows}, indent=2) + "\n")
    return path
