"""One episode, inside its sandbox: up → record → perform → check → seal.

The host starts it as `python -m cleantrace.episode SPEC_JSON` inside the sandbox (see
`cleantrace.sandbox.local`); it writes the trace to `spec.out_dir` and nothing else.
"""

from __future__ import annotations

import random
import sys
import time
from contextlib import ExitStack, suppress
from pathlib import Path

from pydantic import BaseModel

from cleantrace.errors import CleantraceError, PerformError
from cleantrace.trace.schema import Clock, Meta, Outcome, Performer, SandboxInfo, Screen

SCRATCH = Path("/tmp/cleantrace")
APP_PORT = 8000


class EpisodeSpec(BaseModel):
    """Everything an episode needs to know; the same spec always gives the same episode."""

    run_id: str
    episode_id: str
    task: str
    seed: int
    persona: str = "default"
    tasks_dir: str
    out_dir: str
    screen: tuple[int, int] = (1280, 800)
    fps: float = 2.0
    backend: str = "local"


def run_inside(spec: EpisodeSpec) -> Meta:
    """Run the episode in the current (sandboxed) environment and seal its trace."""
    # heavy imports here: the host imports this module only for EpisodeSpec
    from playwright.sync_api import sync_playwright

    from cleantrace.perform.actor import Actor
    from cleantrace.perform.persona import persona_named
    from cleantrace.perform.xinput import XTestInput
    from cleantrace.record.clock import EpisodeClock
    from cleantrace.record.grounding import TargetResolver
    from cleantrace.record.recorder import Recorder
    from cleantrace.sandbox.app_server import AppServer
    from cleantrace.sandbox.browser import launch_browser
    from cleantrace.sandbox.display import VirtualDisplay
    from cleantrace.tasks import load_registry
    from cleantrace.trace.writer import TraceWriter
    from cleantrace.world import World

    started = time.monotonic()
    registry = load_registry(Path(spec.tasks_dir))
    task_cls = registry.get(spec.task)
    pack = registry.pack_of(task_cls)
    task = task_cls()
    persona = persona_named(spec.persona)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    db_path = SCRATCH / "world.sqlite"

    world = World(spec.seed, db_path)
    pack.load_app_module().populate(world)
    params = task.setup(world)
    writer = TraceWriter(Path(spec.out_dir))
    clock = EpisodeClock()
    meta = Meta(
        run_id=spec.run_id, episode_id=spec.episode_id, task=task.id, task_version=task.version,
        seed=spec.seed, params=params, instruction=task.render_instruction(params, random.Random(spec.seed)),
        performer=Performer(kind="script", id=f"script:{task.id}", persona=persona.name),
        sandbox=SandboxInfo(backend=spec.backend, screen=Screen(w=spec.screen[0], h=spec.screen[1])),
        clock=Clock(start=clock.wall_start), outcome=Outcome(status="running"),
    )
    writer.write_meta(meta)

    outcome = Outcome(status="incomplete", message="the episode did not finish")
    recorder: Recorder | None = None
    with ExitStack() as teardown:
        teardown.callback(writer.close)
        teardown.callback(world.close)
        try:
            display = VirtualDisplay(0, spec.screen)
            display.start()
            teardown.callback(display.stop)
            app = AppServer(Path(spec.tasks_dir), pack.name, db_path, APP_PORT)
            app.start()
            teardown.callback(app.stop)
            playwright = teardown.enter_context(sync_playwright())
            browser = launch_browser(playwright, SCRATCH / "profile", display.name, spec.screen)
            teardown.callback(browser.close)
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.goto(app.url + task.start_path, wait_until="load")
            inputs = XTestInput(display.name)
            teardown.callback(inputs.close)
            recorder = Recorder(writer, display.name, clock, TargetResolver(page), fps=spec.fps)
            recorder.start()
            actor = Actor(page, inputs, recorder, spec.seed, persona, spec.screen)
            task.solve(actor, params)
            inputs.sync()
            outcome = _verdict(task, world, params)
        except CleantraceError as exc:
            outcome = Outcome(status="incomplete", message=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a task's solve() may raise anything; the trace must survive it
            outcome = Outcome(status="incomplete", message=f"{type(exc).__name__}: {_one_line(exc)}")
        finally:
            if recorder is not None:
                with suppress(Exception):  # the display may be gone: keep what was recorded
                    recorder.observe("final")
                recorder.stop()
            meta = meta.model_copy(update={
                "outcome": outcome, "duration_ms": round((time.monotonic() - started) * 1000, 1),
            })
            writer.write_meta(meta)
    return meta


def _verdict(task, world, params) -> Outcome:
    try:
        success = bool(task.check(world, params))
    except Exception as exc:
        return Outcome(status="incomplete", message=f"check() raised {type(exc).__name__}: {_one_line(exc)}")
    if success:
        return Outcome(status="success", success=True, message="check passed")
    return Outcome(status="failure", success=False, message="check failed: the app state is not as asked")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def main(argv: list[str]) -> int:
    spec = EpisodeSpec.model_validate_json(argv[0])
    try:
        run_inside(spec)
    except CleantraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


__all__ = ["EpisodeSpec", "PerformError", "run_inside"]
