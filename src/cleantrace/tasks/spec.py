"""The task API: the only class a task author subclasses."""

from __future__ import annotations

import random
import string
from typing import TYPE_CHECKING, Any, ClassVar

from cleantrace.errors import CheckFailed
from cleantrace.spec import seed_for

if TYPE_CHECKING:
    from cleantrace.perform.actor import Actor
    from cleantrace.world import World


def expect(condition: object, reason: str) -> bool:
    """In a `check`: True when `condition` holds, else raise CheckFailed(`reason`)."""
    if not condition:
        raise CheckFailed(reason)
    return True


class Task:
    """A task. Subclass it, set the class attributes and write `setup`, `solve` and `check`.

    `id` is "<app>/<name>"; `instruction` is a template (or a tuple of paraphrases) whose
    `{fields}` come from the parameters `setup` returns. `skills` come from the vocabulary in
    `cleantrace.tasks.skills`; `difficulty` is easy, medium or hard.
    """

    id: ClassVar[str]
    app: ClassVar[str]
    instruction: ClassVar[str | tuple[str, ...]]
    skills: ClassVar[tuple[str, ...]] = ()
    difficulty: ClassVar[str] = "easy"
    # a task's version changes when the same seed gives other params or steps; 2: every task, when
    # the seed was split into one random stream per consumer (cleantrace.spec.seed_stream)
    version: ClassVar[int] = 2
    start_path: ClassVar[str] = "/"
    # the sandbox it runs in: "kiosk" (one full-screen browser page of the task's app, the default) or
    # "desktop" (a window manager, a panel, Chromium with its own UI, native apps: docs/desktop.md)
    profile: ClassVar[str] = "kiosk"
    # desktop only: the library's web apps (pack names) the task uses, each served at http://<name>.test/
    # with its own database seeded by its pack's `populate`; `world.app(name)` is that app's world
    web_apps: ClassVar[tuple[str, ...]] = ()

    def home_files(self, p: dict[str, Any]) -> dict[str, bytes]:
        """Desktop only: the documents the episode's home folder starts with, path relative to the home →
        content (made from `p` and the seeded world in `setup`). Written before the task's windows open;
        the check reads them back under `world.home`."""
        return {}

    def open_at_start(self, p: dict[str, Any]) -> list[tuple[str, str | None]]:
        """Desktop only: the windows open when the performer starts, in order (the last is in front), as
        (app, argument): `("browser", "http://crm.test/leads")`, `("calc", "report.xlsx")` (a path
        relative to the home), `("files", None)`. Apps: `cleantrace.sandbox.desktop.APPS`."""
        return []

    def setup(self, world: World) -> dict[str, Any]:
        """Choose this episode's parameters from the seeded world (and change it if needed)."""
        raise NotImplementedError

    def solve(self, actor: Actor, p: dict[str, Any]) -> None:
        """Perform the task through the Actor API: the scripted demonstration."""
        raise NotImplementedError

    def check(self, world: World, p: dict[str, Any]) -> bool | str:
        """True when the app's state shows the task done; never looks at the trace.

        To say why it is not done, return the reason as a string or raise `CheckFailed(reason)`
        (`expect(condition, reason)` does that): the reason reaches meta.json, the report, the
        station's review and `tasks check`. A bare False reads "the app state is not as asked".
        """
        raise NotImplementedError

    def verdict(self, world: World, p: dict[str, Any]) -> tuple[bool, str]:
        """(passed, reason): `check` with its failure reason ("" when it gave none); an error of the
        check itself (anything but CheckFailed) propagates."""
        try:
            result = self.check(world, p)
        except CheckFailed as failed:
            return False, " ".join(failed.reason.split())
        if isinstance(result, str):
            return False, " ".join(result.split())
        return bool(result), ""

    def wrong_params(self, world: World, p: dict[str, Any]) -> dict[str, Any]:
        """Parameters of a plausible wrong attempt (another row, option or date): solving with them
        must leave `check(world, p)` False. Tests use it to prove the check is honest."""
        raise NotImplementedError

    def effect(self, app: Any, world: World, p: dict[str, Any]) -> None:
        """Optional: do the task's outcome through the app's own HTTP API (`app` is a test client of
        the pack's app on this world's database), as `solve` would through the page. `tasks lint`
        then proves `check` True after it, and False after the effect of `wrong_params`."""
        raise NotImplementedError

    @classmethod
    def sandbox_fields(cls) -> dict[str, Any]:
        """What the episode spec carries of the task's sandbox: its profile and, on a desktop, its web apps."""
        return {"profile": cls.profile, "web_apps": tuple(cls.web_apps)}

    @classmethod
    def templates(cls) -> tuple[str, ...]:
        return (cls.instruction,) if isinstance(cls.instruction, str) else tuple(cls.instruction)

    @classmethod
    def template_fields(cls) -> set[str]:
        """The `{fields}` the instruction templates need from `setup`."""
        formatter = string.Formatter()
        return {f for t in cls.templates() for _, f, _, _ in formatter.parse(t) if f}

    def render_instruction(self, params: dict[str, Any], rng: random.Random) -> str:
        """One of the instruction templates, chosen by `rng`, filled with `params`."""
        return rng.choice(self.templates()).format(**params)

    def instruction_for(self, params: dict[str, Any], seed: int) -> str:
        """The episode's instruction: its wording chosen by the seed's "instruction" stream."""
        return self.render_instruction(params, random.Random(seed_for(seed, "instruction")))
