"""Discovers task packs and tasks under a tasks folder.

Layout: `<tasks>/<pack>/app/` is the pack's fake app (a package exposing `create_app(db_path)` and
`populate(world)`); every other `<tasks>/<pack>/*.py` not starting with `_` is a task module whose
`Task` subclasses are the pack's tasks. A broken module is reported, never fatal to the others.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib.util
import inspect
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from cleantrace.errors import TaskError
from cleantrace.tasks.spec import Task

REQUIRED_METHODS = ("setup", "solve", "check")
PACKS_NAMESPACE = "cleantrace_packs"


def default_tasks_dir() -> Path:
    """$CLEANTRACE_TASKS, else ./tasks, else the tasks folder of this checkout."""
    if env := os.environ.get("CLEANTRACE_TASKS"):
        return Path(env)
    cwd_tasks = Path.cwd() / "tasks"
    if cwd_tasks.is_dir():
        return cwd_tasks
    return Path(__file__).resolve().parents[3] / "tasks"


@dataclass(frozen=True)
class Pack:
    """A task pack: a folder with a fake app and task modules."""

    name: str
    root: Path

    @property
    def app_dir(self) -> Path:
        return self.root / "app"

    @property
    def module_name(self) -> str:
        """Task modules of the pack import its app as `from .app import ...`."""
        return f"{PACKS_NAMESPACE}.{self.name}"

    def load_app_module(self) -> ModuleType:
        """Import the pack's app package."""
        _ensure_package(PACKS_NAMESPACE, None)
        _ensure_package(self.module_name, self.root)
        return importlib.import_module(f"{self.module_name}.app")


@dataclass
class TaskRegistry:
    """All tasks found, plus one line per module that could not be loaded."""

    root: Path
    packs: dict[str, Pack] = field(default_factory=dict)
    tasks: dict[str, type[Task]] = field(default_factory=dict)
    origins: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    broken: dict[Path, tuple[str, str]] = field(default_factory=dict)  # module or app → (pack, its problem)

    def get(self, task_id: str) -> type[Task]:
        """The task with this id; else a TaskError saying why it did not load (its module or its app
        failed, with file:line), or naming the closest ids of the same app."""
        if task_id in self.tasks:
            return self.tasks[task_id]
        app = task_id.partition("/")[0]
        failure = self.load_failure(task_id)
        if failure:
            what, _, fix = failure.rpartition(" — ")
            raise TaskError(f"task {task_id!r} did not load: {what or failure}", fix or "fix the module")
        same_app = [t for t in self.tasks if t.startswith(f"{app}/")]
        pool = same_app if same_app or app in self.packs else list(self.tasks)
        close = difflib.get_close_matches(task_id, pool, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else "see `cleantrace tasks list`"
        raise TaskError(f"unknown task {task_id!r}", hint)

    def load_failure(self, task_id: str) -> str:
        """The load problem of the module (or app) that defines `task_id`, if one failed: a module is
        named by the id written in its source; a pack whose app failed to import, by the id's app."""
        app = task_id.partition("/")[0]
        for path, (pack, problem) in self.broken.items():
            if path.name == "__init__.py" and pack == app:
                return problem
            try:
                source = path.read_text(errors="replace")
            except OSError:
                continue
            if f'"{task_id}"' in source or f"'{task_id}'" in source:
                return problem
        return ""

    def select(self, patterns: list[str]) -> list[type[Task]]:
        """Tasks matching ids or glob patterns (e.g. `crm/*`), in id order, each once."""
        chosen: dict[str, type[Task]] = {}
        for pattern in patterns:
            if any(ch in pattern for ch in "*?["):
                hits = sorted(t for t in self.tasks if fnmatch.fnmatchcase(t, pattern))
                if not hits:
                    raise TaskError(f"no task matches {pattern!r}", "see `cleantrace tasks list`")
                chosen.update((t, self.tasks[t]) for t in hits)
            else:
                chosen[pattern] = self.get(pattern)
        return list(chosen.values())

    def pack_of(self, task: type[Task]) -> Pack:
        if task.app not in self.packs:
            raise TaskError(
                f"task {task.id!r} ({self.origins.get(task.id)}) uses unknown app {task.app!r}",
                f"set `app` to one of: {', '.join(sorted(self.packs)) or 'none found'}",
            )
        return self.packs[task.app]


def load_registry(root: Path | None = None) -> TaskRegistry:
    """Load every pack and task under `root` (default: `default_tasks_dir()`)."""
    root = Path(root) if root else default_tasks_dir()
    if not root.is_dir():
        raise TaskError(f"tasks folder {root} does not exist", "pass --tasks-dir DIR or set CLEANTRACE_TASKS")
    registry = TaskRegistry(root=root)
    pack_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    for pack_dir in pack_dirs:
        if (pack_dir / "app" / "__init__.py").is_file():
            registry.packs[pack_dir.name] = Pack(pack_dir.name, pack_dir)
    for pack_dir in pack_dirs:
        pack = registry.packs.get(pack_dir.name)
        if pack is not None and not _load_app(registry, pack):
            continue  # its task modules would each fail on `from .app import …`: the app is named once
        for module_path in sorted(pack_dir.glob("*.py")):
            if not module_path.name.startswith("_"):
                _load_module_tasks(registry, pack_dir.name, module_path)
    return registry


def _load_app(registry: TaskRegistry, pack: Pack) -> bool:
    """Import the pack's app; on failure record one problem naming the app's own file and line."""
    try:
        pack.load_app_module()
    except Exception as exc:
        init = pack.app_dir / "__init__.py"
        where = _deepest_frame(exc, pack.app_dir) or (init, _error_line(exc, init))
        problem = (f"{where[0]}:{where[1]}: the app of pack {pack.name!r} cannot be imported: "
                   f"{type(exc).__name__}: {_one_line(exc)} — fix {pack.app_dir.name}/ (its tasks are not loaded)")
        registry.problems.append(problem)
        registry.broken[init] = (pack.name, problem)
        return False
    return True


def _deepest_frame(exc: BaseException, folder: Path) -> tuple[Path, int] | None:
    """The innermost file:line of `exc` inside `folder` (a SyntaxError: its own file and line)."""
    folder = folder.resolve()
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename).resolve().is_relative_to(folder):
        return Path(exc.filename), exc.lineno or 0
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(folder)]
    return (Path(frames[-1].filename), frames[-1].lineno or 0) if frames else None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def _load_module_tasks(registry: TaskRegistry, pack: str, path: Path) -> None:
    _ensure_package(PACKS_NAMESPACE, None)
    _ensure_package(f"{PACKS_NAMESPACE}.{pack}", path.parent)
    try:
        module = _import_path(f"{PACKS_NAMESPACE}.{pack}.{path.stem}", path)
    except Exception as exc:  # a task module may fail in any way; report it, keep the others
        where = _deepest_frame(exc, path.parent) or (path, _error_line(exc, path))
        problem = f"{where[0]}:{where[1]}: cannot import: {type(exc).__name__}: {_one_line(exc)} — fix the module"
        registry.problems.append(problem)
        registry.broken[path] = (pack, problem)
        return
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if obj.__module__ != module.__name__ or obj is Task:
            continue
        if not issubclass(obj, Task):
            if _looks_like_task(obj):
                problem = (f"{path}:{_class_line(obj)}: class {obj.__name__} looks like a task but is not derived "
                           f"from Task — write `class {obj.__name__}(Task):` (from cleantrace.tasks import Task)")
                registry.problems.append(problem)
                registry.broken.setdefault(path, (pack, problem))
            continue
        problem = _task_problem(obj, registry)
        if problem:
            registry.problems.append(f"{path}:{_class_line(obj)}: task {obj.__name__}: {problem}")
            registry.broken.setdefault(path, (pack, registry.problems[-1]))
        elif obj.id in registry.tasks:
            registry.problems.append(
                f"{path}: task id {obj.id!r} already defined in {registry.origins[obj.id]} — rename one"
            )
        else:
            registry.tasks[obj.id] = obj
            registry.origins[obj.id] = path


def _looks_like_task(cls: type) -> bool:
    """A class with a task's id and methods, but not a Task subclass (it would be skipped silently)."""
    return isinstance(getattr(cls, "id", None), str) and any(
        callable(getattr(cls, m, None)) for m in ("setup", "solve", "check"))


def _class_line(cls: type) -> int:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return 0


def _task_problem(task: type[Task], registry: TaskRegistry) -> str:
    for attr in ("id", "app", "instruction"):
        if not getattr(task, attr, None):
            return f"missing class attribute `{attr}` — set it (see docs/authoring.md)"
    if task.app not in registry.packs:
        close = difflib.get_close_matches(task.app, list(registry.packs), n=1, cutoff=0.5)
        known = ", ".join(sorted(registry.packs)) or "none found"
        fix = f"did you mean app = {close[0]!r}?" if close else f"set `app` to one of: {known}"
        return f"uses unknown app {task.app!r} (no folder {registry.root / task.app}/app) — {fix}"
    if "/" not in task.id or not task.id.startswith(f"{task.app}/"):
        return f"id {task.id!r} must look like '{task.app}/<name>' — rename it"
    for method in REQUIRED_METHODS:
        if getattr(task, method) is getattr(Task, method):
            return f"missing method `{method}` — define {method}() on the class"
    return _profile_problem(task, registry)


def _profile_problem(task: type[Task], registry: TaskRegistry) -> str:
    """An unknown `profile`, or `web_apps` that name no pack with an app (desktop tasks only)."""
    from cleantrace.spec import PROFILES

    if task.profile not in PROFILES:
        return f"unknown profile {task.profile!r} — set `profile` to one of: {', '.join(PROFILES)}"
    if task.web_apps and task.profile != "desktop":
        return "`web_apps` is for desktop tasks — set `profile = \"desktop\"` or drop `web_apps`"
    unknown = [name for name in task.web_apps if name not in registry.packs]
    if unknown:
        return (f"`web_apps` names unknown app {unknown[0]!r} — use packs with an app: "
                f"{', '.join(sorted(registry.packs)) or 'none found'}")
    return ""


def _import_path(name: str, path: Path) -> ModuleType:
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _ensure_package(name: str, folder: Path | None) -> None:
    """Register an importable package `name` whose submodules live in `folder`.

    A pack of the same name loaded before from another tasks folder is forgotten, with its modules,
    so that `from .app import …` in this pack's modules finds this pack's files.
    """
    path = [str(folder)] if folder else []
    existing = sys.modules.get(name)
    if existing is not None and (folder is None or getattr(existing, "__path__", None) == path):
        return
    # a snapshot: the episode seeds its worlds in a thread while the main thread imports (Playwright),
    # and iterating sys.modules itself raised "dictionary changed size during iteration"
    for module in [m for m in list(sys.modules) if m == name or m.startswith(name + ".")]:
        del sys.modules[module]
    package = ModuleType(name)
    package.__path__ = path
    sys.modules[name] = package


def _error_line(exc: Exception, path: Path) -> int:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
    return frames[-1].lineno or 0 if frames else 0
