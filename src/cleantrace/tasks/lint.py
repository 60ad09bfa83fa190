"""`cleantrace tasks lint`: a task's promises checked on the host, without a sandbox, in milliseconds.

What a task declares (skills, difficulty, templates) and what its code does on seeded worlds:
`setup` runs on N seeds (every template field provided, parameters JSON, variety, same seed → same
parameters), `check` is False on the fresh world, `wrong_params` differs, and when the task has an
`effect` (its outcome done through the app's own HTTP API), `check` is True after the effect and
False after the wrong effect. Every problem is one line `file:line: task: what — fix`.
"""

from __future__ import annotations

import inspect
import json
import os
import random
import shutil
import sqlite3
import string
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleantrace.tasks.loader import TaskRegistry
from cleantrace.tasks.skills import DIFFICULTIES, SKILLS
from cleantrace.tasks.spec import Task

MIN_TEMPLATES = 3
VARIETY = 0.75  # share of distinct parameter sets over the seeds
EFFECT_SEEDS = 2  # seeds on which check, wrong_params and the effect are proved


@dataclass(frozen=True)
class LintProblem:
    """One thing wrong with a task: where (file:line), what, and how to fix it."""

    task: str
    where: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.task}: {self.what} — {self.fix}"


@dataclass
class LintReport:
    """The problems of the tasks linted (every one of them) and how long it took."""

    tasks: list[str] = field(default_factory=list)
    problems: list[LintProblem] = field(default_factory=list)
    seconds: float = 0.0
    with_effect: int = 0  # tasks whose check was proved through their effect

    @property
    def ok(self) -> bool:
        return not self.problems

    def of(self, task_id: str) -> list[LintProblem]:
        return [p for p in self.problems if p.task == task_id]


def lint_tasks(registry: TaskRegistry, ids: list[str] | None = None, seeds: int = 20,
               include_load_problems: bool | None = None) -> LintReport:
    """Lint the tasks `ids` (ids or globs; default all). Load problems of the registry (modules that do
    not import, classes that are not tasks) are included when every task is linted."""
    started = time.monotonic()
    report = LintReport()
    chosen = registry.select(ids) if ids else [registry.tasks[t] for t in sorted(registry.tasks)]
    if include_load_problems is None:
        include_load_problems = not ids
    if include_load_problems:
        report.problems += [LintProblem("", *_split_load_problem(p)) for p in registry.problems]
    with SeededWorlds(registry) as worlds:
        for task_cls in chosen:
            report.tasks.append(task_cls.id)
            report.with_effect += _defines(task_cls, "effect")
            report.problems += TaskLinter(registry, task_cls, worlds, seeds).run()
    report.seconds = time.monotonic() - started
    return report


def _split_load_problem(line: str) -> tuple[str, str, str]:
    where, _, rest = line.partition(": ")
    what, _, fix = rest.rpartition(" — ")
    return (where, what, fix) if what else (where, rest, "fix the module")


class SeededWorlds:
    """Freshly seeded worlds, fast: each app is populated once per seed, then copied per use.

    A copy carries the database file and the random state populate left behind, so `setup` sees the
    world exactly as it would in a sandbox (same seed → same parameters)."""

    def __init__(self, registry: TaskRegistry) -> None:
        self.registry = registry
        self._snapshots: dict[tuple[str, int], tuple[Path, Any, Any, Any, Any]] = {}
        self._apps: dict[str, Any] = {}
        self._copies = 0
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
        self._tmp = tempfile.TemporaryDirectory(prefix="cleantrace-lint-", dir=base)
        self.folder = Path(self._tmp.name)

    def __enter__(self) -> SeededWorlds:
        return self

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()

    def app_module(self, pack: str):
        if pack not in self._apps:
            self._apps[pack] = self.registry.packs[pack].load_app_module()
        return self._apps[pack]

    def client(self, pack: str):
        """A test client of `pack`'s app on the database of `fresh(pack, seed, live=True)` worlds (one app
        per pack: creating a Flask app costs more than a whole lint of a task)."""
        key = f"client:{pack}"
        if key not in self._apps:
            self._apps[key] = self.app_module(pack).create_app(self.folder / f"{pack}-live.sqlite").test_client()
        return self._apps[key]

    def fresh(self, pack: str, seed: int, live: bool = False, locale: str = "en_US"):
        """A World of `pack`'s app seeded with `seed`, as an episode starts (before `setup`); `live`: the
        world whose database `client(pack)` serves; `locale`: of the fake data (an episode's appearance)."""
        from cleantrace.world import World
        from cleantrace.world.db import Database

        key = (pack, seed) if locale == "en_US" else (pack, seed, locale)
        if key not in self._snapshots:
            path = self.folder / f"{pack}-{seed}{'' if locale == 'en_US' else '-' + locale}.sqlite"
            world = World(seed, path, locale=locale)
            self.app_module(pack).populate(world)
            world.db.close()
            self._snapshots[key] = (path, world.fake, world.rng.getstate(), world.fake.rng.getstate(),
                                    world.fake.faker.random.getstate())
        path, fake, rng_state, fake_state, faker_state = self._snapshots[key]
        self._copies += 1
        if live:
            copy = self.folder / f"{pack}-live.sqlite"
            with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
                source.backup(target)  # in place, through SQLite: the app's open connection sees it
            source.close()
            target.close()
        else:
            copy = self.folder / f"{pack}-{seed}-{self._copies}.sqlite"
            shutil.copyfile(path, copy)
        world = World.__new__(World)
        world.seed = seed
        world.rng = random.Random()
        world.rng.setstate(rng_state)
        fake.rng.setstate(fake_state)
        fake.faker.random.setstate(faker_state)
        world.fake = fake
        world.db = Database(copy)
        world.home, world.apps = None, {}
        return world

    def for_task(self, task_cls: type[Task], seed: int, live: bool = False):
        """The world `task_cls`'s setup sees, as its episode starts: its pack's world; a desktop task's
        also with an empty home folder and the world of each of its `web_apps` (`live`: the worlds the
        `clients` serve)."""
        desktop = getattr(task_cls, "profile", "kiosk") == "desktop"
        world = self.fresh(task_cls.app, seed, live=live and not desktop)
        if desktop:
            self._copies += 1
            world.home = self.folder / f"home-{self._copies}"
            world.home.mkdir()
            world.apps = {name: world if name == task_cls.app else self.fresh(name, seed, live=live)
                          for name in task_cls.web_apps}
        return world

    def clients(self, task_cls: type[Task]):
        """What a task's `effect` gets as `app`: the test client of its pack's app; for a desktop task a
        dict of test clients, one per web app of `web_apps`."""
        if getattr(task_cls, "profile", "kiosk") == "desktop":
            return {name: self.client(name) for name in task_cls.web_apps}
        return self.client(task_cls.app)


def write_home(task: Task, world, p: dict) -> None:
    """A desktop task's `home_files(p)` written under `world.home` (as the episode does before apps start)."""
    if getattr(world, "home", None) is None:
        return
    for rel, content in task.home_files(p).items():
        target = (world.home / rel).resolve()
        if Path(rel).is_absolute() or not target.is_relative_to(world.home.resolve()):
            raise ValueError(f"home_files() path {rel!r} is not inside the home folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def close_world(world) -> None:
    for other in getattr(world, "apps", {}).values():
        if other is not world:
            other.db.close()
    world.db.close()


class TaskLinter:
    """The checks of one task; `run()` returns every problem found (never stops at the first)."""

    def __init__(self, registry: TaskRegistry, task_cls: type[Task], worlds: SeededWorlds, seeds: int) -> None:
        self.registry, self.task_cls, self.worlds, self.seeds = registry, task_cls, worlds, seeds
        self.origin = registry.origins.get(task_cls.id) or Path(inspect.getfile(task_cls))
        self.problems: list[LintProblem] = []

    # -- reporting ------------------------------------------------------------------------------
    def problem(self, line: int | None, what: str, fix: str) -> None:
        where = f"{_short(self.origin)}:{line or self.class_line()}"
        self.problems.append(LintProblem(self.task_cls.id, where, what, fix))

    def class_line(self) -> int:
        try:
            return inspect.getsourcelines(self.task_cls)[1]
        except (OSError, TypeError):
            return 0

    def attr_line(self, attr: str) -> int:
        """The line of `attr = …` in the class body (else the class line)."""
        try:
            lines, first = inspect.getsourcelines(self.task_cls)
        except (OSError, TypeError):
            return 0
        for n, text in enumerate(lines):
            stripped = text.strip()
            if stripped.startswith((f"{attr} =", f"{attr}=", f"{attr}:", f"def {attr}(")):
                return first + n
        return first

    def raised(self, method: str, exc: BaseException, fix: str) -> None:
        if isinstance(exc, NotImplementedError):
            fix = f"write {method}() (the skeleton's placeholder is still there)"
        line = _raise_line(exc, self.task_cls, method, self.registry.root)
        where_file, lineno = line if line else (self.origin, self.attr_line(method))
        self.problems.append(LintProblem(
            self.task_cls.id, f"{_short(where_file)}:{lineno}",
            f"{method}() raised {type(exc).__name__}: {_one_line(exc)}", fix))

    # -- the checks -----------------------------------------------------------------------------
    def run(self) -> list[LintProblem]:
        self.check_declarations()
        if self.task_cls.app not in self.registry.packs:
            return self.problems
        params = self.check_setup()
        if params is not None:
            self.check_verdicts()
        return self.problems

    def check_declarations(self) -> None:
        t = self.task_cls
        skills = t.skills
        if not isinstance(skills, tuple) or not all(isinstance(s, str) for s in skills):
            self.problem(self.attr_line("skills"), f"skills is a {type(skills).__name__}, not a tuple of names",
                         'write a tuple, e.g. skills = ("click", "form") (mind the comma in a 1-tuple)')
            skills = (skills,) if isinstance(skills, str) else tuple(skills or ())
        if not skills:
            self.problem(self.attr_line("skills"), "no skills declared",
                         "name what the task exercises, from cleantrace.tasks.skills.SKILLS")
        unknown = [s for s in skills if s not in SKILLS]
        if unknown:
            self.problem(self.attr_line("skills"), f"unknown skill(s) {', '.join(map(repr, unknown))}",
                         f"use names from cleantrace/tasks/skills.py ({_closest(unknown[0], SKILLS)})")
        if t.difficulty not in DIFFICULTIES:
            self.problem(self.attr_line("difficulty"), f"difficulty {t.difficulty!r} is not one of {DIFFICULTIES}",
                         f"set difficulty to {' | '.join(DIFFICULTIES)}")
        instruction = t.instruction
        if not isinstance(instruction, (str, tuple)) or not all(isinstance(s, str) for s in t.templates()):
            self.problem(self.attr_line("instruction"), f"instruction is a {type(instruction).__name__}",
                         "write a tuple of template strings")
        templates = [s for s in t.templates() if isinstance(s, str)]
        if len(set(templates)) < MIN_TEMPLATES:
            self.problem(self.attr_line("instruction"),
                         f"{len(set(templates))} distinct instruction template(s), at least {MIN_TEMPLATES} needed",
                         "add paraphrases to the instruction tuple, each naming the same {fields}")
        for template in templates:
            try:
                list(string.Formatter().parse(template))
            except ValueError as exc:
                self.problem(self.attr_line("instruction"), f"template {template!r} does not parse: {exc}",
                             "balance the braces; write {{ and }} for literal braces")

    def check_setup(self) -> dict | None:
        """setup on every seed: fields, JSON, variety, determinism; the parameters of seed 0."""
        task = self.task_cls()
        fields = self._fields()
        seen: set[str] = set()
        missing: dict[str, int] = {}
        first: dict | None = None
        for seed in range(self.seeds):
            world = self.worlds.for_task(self.task_cls, seed)
            try:
                params = task.setup(world)
            except Exception as exc:
                self.raised("setup", exc, "setup(world) must pick this episode's parameters from the seeded world")
                return None
            finally:
                close_world(world)
            if not isinstance(params, dict):
                self.problem(self.attr_line("setup"), f"setup() returned a {type(params).__name__}, not a dict",
                             "return a dict of parameters, e.g. {'lead': lead.name}")
                return None
            try:
                key = json.dumps(params, sort_keys=True)
            except (TypeError, ValueError) as exc:
                self.problem(self.attr_line("setup"), f"the parameters are not JSON on seed {seed}: {exc}",
                             "return plain values (str, int, float, bool, lists, dicts), e.g. row.name not row")
                return None
            seen.add(key)
            for name in sorted(fields - set(params)):
                missing.setdefault(name, seed)
            first = params if first is None else first
            if not missing:
                self._render_all(params, seed)
        for name, seed in missing.items():
            self.problem(self.attr_line("instruction"),
                         f"template field {{{name}}} is not returned by setup() (seed {seed})",
                         f"return {name!r} from setup() or fix the template's spelling"
                         f"{' (' + _closest(name, set().union(*map(json.loads, seen))) + ')' if seen else ''}")
        if self.seeds >= 4 and len(seen) < VARIETY * self.seeds:
            self.problem(self.attr_line("setup"),
                         f"only {len(seen)} distinct parameter sets over {self.seeds} seeds",
                         "pick rows and options with world.pick()/world.choice(), not constants")
        if first is not None:
            world = self.worlds.for_task(self.task_cls, 0)
            try:
                again = task.setup(world)
            finally:
                close_world(world)
            if json.dumps(again, sort_keys=True) != json.dumps(first, sort_keys=True):
                self.problem(self.attr_line("setup"), "the same seed gave different parameters",
                             "draw randomness only from world.rng / world.choice / world.pick")
        return first

    def _fields(self) -> set[str]:
        try:
            return self.task_cls.template_fields()
        except ValueError:
            return set()

    def _render_all(self, params: dict, seed: int) -> None:
        for template in self.task_cls.templates():
            try:
                template.format(**params)
            except (KeyError, IndexError, ValueError, AttributeError, TypeError) as exc:
                if not isinstance(exc, KeyError):
                    self.problem(self.attr_line("instruction"),
                                 f"template {template!r} fails on seed {seed}: {type(exc).__name__}: {exc}",
                                 "use plain {field} names that setup() returns")

    def check_verdicts(self) -> None:
        """check False on the fresh world; wrong_params differ; with an effect, True after it and
        False after the wrong one."""
        task = self.task_cls()
        has_wrong = _defines(self.task_cls, "wrong_params")
        has_effect = _defines(self.task_cls, "effect")
        if not has_wrong:
            self.problem(self.class_line(), "no wrong_params()",
                         "define wrong_params(world, p) returning the parameters of a plausible mistake")
        for seed in range(min(EFFECT_SEEDS, self.seeds)):
            runs = [("right", None)] + ([("wrong", None)] if has_wrong else [])
            for kind, _ in runs:
                world = self.worlds.for_task(self.task_cls, seed, live=has_effect)
                try:
                    if not self._verdict_run(task, world, seed, kind, has_effect):
                        return
                finally:
                    close_world(world)

    def _verdict_run(self, task: Task, world, seed: int, kind: str, has_effect: bool) -> bool:
        """One fresh world: setup, the fresh check, then (kind) the right or wrong effect. False: stop."""
        p = task.setup(world)
        try:
            write_home(task, world, p)
        except Exception as exc:
            self.raised("home_files", exc, "home_files(p) must map paths relative to the home to bytes")
            return False
        try:
            fresh = task.verdict(world, p)[0]  # a CheckFailed or a returned reason: not passed
        except Exception as exc:
            self.raised("check", exc, "check(world, p) must read the app's database and return True or a reason")
            return False
        if fresh:
            self.problem(self.attr_line("check"), f"check() is already True on the freshly seeded world (seed {seed})",
                         "check what the task changes (a value setup() chose that differs from the seeded one)")
            return False
        acted = p
        if kind == "wrong":
            try:
                acted = task.wrong_params(world, p)
            except Exception as exc:
                self.raised("wrong_params", exc, "wrong_params(world, p) must return the parameters of a mistake")
                return False
            if not isinstance(acted, dict) or json.dumps(acted, sort_keys=True, default=str) == json.dumps(
                    p, sort_keys=True, default=str):
                self.problem(self.attr_line("wrong_params"),
                             f"wrong_params() returned the right parameters (seed {seed})",
                             "change one parameter to a plausible mistake (another row, option or date)")
                return False
            try:
                json.dumps(acted)
            except (TypeError, ValueError) as exc:
                self.problem(self.attr_line("wrong_params"), f"wrong_params() are not JSON: {exc}",
                             "return plain values")
                return False
        if not has_effect:
            return True
        try:
            task.effect(self.worlds.clients(self.task_cls), world, acted)
        except Exception as exc:
            self.raised("effect", exc, "effect(app, world, p) must do the task's outcome through the app's HTTP API"
                        " (a desktop task's: on the files under world.home, with the document libraries)")
            return False
        try:
            done = task.verdict(world, p)[0]
        except Exception as exc:
            self.raised("check", exc, "check(world, p) must read the app's database and return True or a reason")
            return False
        if kind == "right" and not done:
            self.problem(self.attr_line("check"), f"check() is False after effect() (seed {seed})",
                         "make effect() do what solve() does, or check() read what the app stores")
            return False
        if kind == "wrong" and done:
            self.problem(self.attr_line("wrong_params"),
                         f"check() is True after the effect of wrong_params() (seed {seed})",
                         "make check() specific (the row, option and value asked for), or wrong_params a real mistake")
            return False
        return True


def _defines(task_cls: type[Task], method: str) -> bool:
    return getattr(task_cls, method, None) is not getattr(Task, method, None)


def _raise_line(exc: BaseException, task_cls: type[Task], method: str, root: Path) -> tuple[Path, int] | None:
    """Where in the task packs `exc` was raised: the innermost frame under the tasks folder."""
    root = root.resolve()
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).resolve().is_relative_to(root)]
    if frames:
        return Path(frames[-1].filename), frames[-1].lineno or 0
    return None


def _short(path: Path | str) -> str:
    """A path relative to the working folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def _closest(word: str, options) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else "see the list"


def setup_on_host(registry: TaskRegistry, task_cls: type[Task], seed: int,
                  worlds: SeededWorlds | None = None) -> dict:
    """The parameters `setup` returns for `seed`, worked out on the host; a TaskError naming the
    file:line when setup fails (before any sandbox is started)."""
    from cleantrace.errors import TaskError

    if worlds is None:
        with SeededWorlds(registry) as own:
            return setup_on_host(registry, task_cls, seed, own)
    registry.pack_of(task_cls)
    world = worlds.for_task(task_cls, seed)
    try:
        return task_cls().setup(world)
    except Exception as exc:
        found = _raise_line(exc, task_cls, "setup", registry.root)
        origin = registry.origins.get(task_cls.id) or Path(inspect.getfile(task_cls))
        where = f"{_short(found[0])}:{found[1]}" if found else _short(origin)
        hint = ("write setup() (the skeleton's placeholder is still there)" if isinstance(exc, NotImplementedError)
                else f"fix setup(); `cleantrace tasks lint {task_cls.id}` lists every problem")
        raise TaskError(f"{where}: setup() of {task_cls.id} on seed {seed} raised {type(exc).__name__}: "
                        f"{_one_line(exc)}", hint) from exc
    finally:
        close_world(world)


def check_setups(registry: TaskRegistry, episodes: list[tuple[str, int]]) -> None:
    """Run `setup` on the host for each (task, seed) about to be recorded; the first failure is a
    TaskError with its file:line (and how many others failed), before any sandbox starts."""
    from cleantrace.errors import TaskError

    failures: list[TaskError] = []
    with SeededWorlds(registry) as worlds:
        for task_id, seed in dict.fromkeys(episodes):
            task_cls = registry.tasks.get(task_id)
            if task_cls is None or task_cls.app not in registry.packs:
                continue  # the loader's error for it comes elsewhere
            try:
                setup_on_host(registry, task_cls, seed, worlds)
            except TaskError as exc:
                failures.append(exc)
    if failures:
        first = failures[0]
        more = f" (and {len(failures) - 1} more episode(s) whose setup fails)" if len(failures) > 1 else ""
        raise TaskError(f"{first.message}{more}", f"no sandbox was started: {first.hint}")
