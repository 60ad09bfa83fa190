"""One episode, inside its sandbox: up → record → perform → check → seal.

The host starts it as `python -m cleantrace.episode SPEC_JSON PATHS_JSON` inside the sandbox (see
`cleantrace.sandbox.local`): the episode contract (`cleantrace.spec.EpisodeSpec`) and where the
backend put the episode's folders inside (`cleantrace.spec.SandboxPaths`); it writes the trace to `paths.out` and
nothing else.
"""

from __future__ import annotations

from cleantrace.stages import stage  # isort: skip - first: the stage clock starts with the process

import os
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

from cleantrace.errors import CleantraceError
from cleantrace.perform.performer import Performer as PerformerType
from cleantrace.perform.performer import TaskScript
from cleantrace.spec import SEED_DERIVATION, EpisodeSpec, ReplayPerformer, SandboxPaths, VolunteerPerformer
from cleantrace.trace.schema import Clock, Meta, Outcome, Performer, SandboxInfo, Screen

SCRATCH = Path("/tmp/cleantrace")
APP_PORT = 8000


__all__ = ["EpisodeSpec", "SandboxPaths", "main", "run_inside"]


def run_inside(spec: EpisodeSpec, paths: SandboxPaths) -> Meta:
    """Run the episode in the current (sandboxed) environment and seal its trace."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    pack_name = spec.task.split("/", 1)[0]  # a task's id starts with its app (the loader checks it)
    hidden = [p for p in (paths.out, paths.control, paths.replay_source, paths.keep) if p]  # out of the browser's sight
    if spec.profile == "desktop":
        from cleantrace.sandbox.desktop_session import DesktopSession

        session = DesktopSession(Path(paths.tasks), tuple(spec.web_apps), SCRATCH, spec.look, spec.seed, hidden)
        db_path = session.db_path(pack_name)
    else:
        from cleantrace.sandbox.session import SandboxSession

        db_path = SCRATCH / "world.sqlite"
        session = SandboxSession(Path(paths.tasks), pack_name, db_path, SCRATCH, spec.look, APP_PORT, hidden)
    try:
        session.launch()  # first: the processes come up while this one imports and seeds the world
    except CleantraceError as exc:
        session.close()
        if spec.profile != "desktop":
            raise
        return _seal_unstarted(spec, paths, f"SandboxError: {exc}")  # a desktop part did not come up
    stage("launched")
    try:
        meta = _record_episode(spec, paths, session, db_path)
        if paths.keep and session.devtools_url and not session.fault():  # `tasks try --keep`: sealed, then kept
            from cleantrace.sandbox.keep import keep_browser

            keep_browser(session.devtools_url, Path(paths.keep))
        return meta
    finally:
        session.close()
        stage("torn down")


def _seal_unstarted(spec: EpisodeSpec, paths: SandboxPaths, message: str) -> Meta:
    """The meta of an episode whose sandbox did not come up: incomplete, with the part that failed."""
    from cleantrace.spec import placeholder_meta
    from cleantrace.trace.seal import meta_from_placeholder
    from cleantrace.trace.writer import TraceWriter

    writer = TraceWriter(Path(paths.out))
    meta = meta_from_placeholder(placeholder_meta(spec)).model_copy(
        update={"outcome": Outcome(status="incomplete", message=message)})
    writer.write_meta(meta)
    writer.close()
    print(f"error: {message}", file=sys.stderr, flush=True)
    return meta


def _record_episode(spec: EpisodeSpec, paths: SandboxPaths, session, db_path: Path) -> Meta:
    # heavy imports here, while the sandbox's processes come up (run_inside launched them first)
    from cleantrace.perform.persona import persona_named
    from cleantrace.perform.xinput import XTestInput
    from cleantrace.record.atspi_grounding import screen_grounding
    from cleantrace.record.clock import EpisodeClock
    from cleantrace.record.recorder import Recorder
    from cleantrace.tasks import load_registry
    from cleantrace.trace.reduce import REDUCTION
    from cleantrace.trace.writer import TraceWriter
    from cleantrace.world import World

    started = time.monotonic()
    stage("imported")
    look = session.appearance
    desktop = spec.profile == "desktop"

    def seed() -> tuple:
        registry = load_registry(Path(paths.tasks))
        task_cls = registry.get(spec.task)
        pack = registry.pack_of(task_cls)
        task = task_cls()
        world = World(spec.seed, db_path, locale=look.locale, home=session.home if desktop else None)
        _populate(pack.load_app_module(), world, pack.name)
        if desktop:
            for name in spec.web_apps:
                app_world = world if name == pack.name else World(spec.seed, session.db_path(name), look.locale,
                                                                  session.home)
                if app_world is not world:
                    _populate(registry.packs[name].load_app_module(), app_world, name)
                world.apps[name] = app_world
        params = task.setup(world)
        if desktop:
            session.write_home(task.home_files(params),
                               f"{_shown(registry.origins.get(task.id), Path(paths.tasks))} (task {task.id})")
        return registry, task, world, params

    # the world is seeded in a thread while this one attaches Playwright to the browser (its driver is a
    # process of its own, mostly waited for): the two were the longest serial steps before the first frame
    attached: Exception | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="seeding") as pool:
        seeding = pool.submit(seed)
        try:
            session.attach()
            stage("browser attached")
        except Exception as exc:  # noqa: BLE001 - raised in the recording's try below, once the meta is written
            attached = exc
        registry, task, world, params = seeding.result()  # raises what seeding raised
    persona = persona_named(spec.persona, spec.persona_params)
    script = TaskScript(task, params, spec.seed, persona, look.screen, spec.settings.motion, paths.motion_library,
                        look.device_scale_factor)
    performer = _performer(spec, paths, script, session.display.name)
    writer = TraceWriter(Path(paths.out))
    clock = EpisodeClock()
    meta = Meta(
        run_id=spec.run_id, episode_id=spec.episode_id, task=task.id, task_version=task.version,
        seed=spec.seed, seed_derivation=SEED_DERIVATION, params=params,
        instruction=task.instruction_for(params, spec.seed),
        performer=Performer(kind="script", id=f"script:{task.id}", persona=persona.name),
        sandbox=SandboxInfo(backend=spec.backend, screen=Screen(w=look.screen[0], h=look.screen[1],
                                                                device_scale_factor=look.device_scale_factor),
                            **(session.describe() if desktop else {})),
        clock=Clock(start=clock.wall_start), outcome=Outcome(status="running"), appearance=look,
    )
    meta = performer.describe(meta)
    writer.write_meta(meta)
    stage("world seeded")

    outcome = Outcome(status="incomplete", message="the episode did not finish")
    recorder: Recorder | None = None
    inputs: XTestInput | None = None
    try:
        if attached is not None:
            raise attached
        page = session.connect(task.open_at_start(params) if desktop else task.start_path)
        stage("page loaded")
        inputs = XTestInput(session.display.name)
        settings = spec.settings
        # the kiosk's page through CDP; a desktop's native windows through AT-SPI too (docs/native.md)
        resolver, labeller = screen_grounding(spec.profile, page, look.device_scale_factor)
        recorder = Recorder(writer, session.display.name, clock, resolver, settings.fps,
                            settings.change_fps, labeller, settings.frame_format)
        if desktop:
            _show_windows_the_pointer(session, inputs)
        recorder.start()
        stage("recording")
        performer.perform(page, inputs, recorder)
        inputs.sync()
        fault = session.fault()
        broken = recorder.failure()
        if fault:
            outcome = _incomplete(f"SandboxError: {fault}")
        elif broken:
            outcome = _incomplete(f"TraceError: the recording is not whole: {broken}")
        else:
            if getattr(world, "home", None) is not None:  # an app may still be writing what was saved
                from cleantrace.world.documents import settle

                settle(world.home)
            outcome = _verdict(task, world, params)
    except Exception as exc:  # a task's solve() may raise anything; the trace must survive it
        outcome = _incomplete(_describe(exc, task.id, registry.origins.get(task.id), Path(paths.tasks)),
                              session.fault())
    finally:
        if getattr(world, "home", None) is not None:
            _record_home(world.home, Path(paths.out))
        if recorder is not None:
            with suppress(Exception):  # the display may be gone: keep what was recorded
                recorder.observe("final")
            recorder.stop(done=outcome.status == "success")
        if inputs is not None:
            with suppress(Exception):
                inputs.close()
        writer.close()
        if writer.error is not None and outcome.status != "incomplete":
            outcome = _incomplete(f"TraceError: {writer.error}")
        meta = meta.model_copy(update={
            "outcome": outcome, "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "reduction": REDUCTION if recorder is not None else None,  # the recorder reduced the actions
            "decisions": len(recorder.notes) if recorder is not None and recorder.notes else None,
        })
        try:
            writer.write_meta(meta)
        except OSError:  # nothing more can be written: the host seals the episode from its log
            print(f"error: {writer.error or 'cannot write meta.json'}", file=sys.stderr)
        stage("sealed")
        world.close()
    return meta


def _record_home(home: Path, out: Path) -> None:
    """The text of the documents left in a desktop episode's home, into the trace for the privacy scan."""
    from cleantrace.privacy.documents import record_home_documents

    try:
        record_home_documents(home, out)
    except OSError as exc:  # the home or the trace folder went away: the scan says what it could not read
        print(f"error: the home folder's documents were not recorded: {exc}", file=sys.stderr)


def _show_windows_the_pointer(session: Any, inputs: Any) -> None:
    """Before recording, pass the pointer over each LibreOffice start window and back. LibreOffice
    (GTK3) learns where the window manager put its window from the first pointer motion over it: until then AT-SPI
    gives its own widgets (tool bars) boxes ~27 px too high (measured on LibreOffice 7.4), so the labels of
    the screens before the first press there missed the buttons a press then found."""
    offices = [w for w in session.desktop.windows() if w.wm_class.lower().startswith("libreoffice")]
    if not offices:
        return  # the other apps give true boxes from the start
    home = inputs.position
    for again in (False, True):  # again once the app took in its place (a window just placed may move it back)
        if again:
            time.sleep(0.5)
        for window in offices:
            x, y = window.x + window.w // 2, window.y + window.h // 2
            for point in ((x, y), (x + 1, y + 1)):  # two points: a motion even if the pointer is at the first
                inputs.move(*point)
                time.sleep(0.05)
    inputs.move(*home)
    inputs.sync()


def _populate(app_module, world, name: str) -> None:
    """Seed `world` with its pack's fake data (a desktop pack's app may have no `populate`)."""
    populate = getattr(app_module, "populate", None)
    if populate is None:
        return
    populate(world)


def _performer(spec: EpisodeSpec, paths: SandboxPaths, script: TaskScript, display_name: str) -> PerformerType:
    """Who acts out the episode: the spec's performer (the task's script unless a volunteer or a replay)."""
    if isinstance(spec.performer, VolunteerPerformer):
        from cleantrace.perform.volunteer import VolunteerSession

        if not paths.control:
            raise CleantraceError("a volunteer needs the station's control folder", "the backend must mount it")
        return VolunteerSession(spec.performer, Path(paths.control), display_name)
    if isinstance(spec.performer, ReplayPerformer):
        from cleantrace.perform.replay import load_replay_source

        if not paths.replay_source:
            raise CleantraceError("a replay needs its source episode", "the backend must mount it (replay_source)")
        return load_replay_source(Path(paths.replay_source), spec.task, spec.seed, script.task.version)
    return script


def _shown(origin: Path | None, tasks_root: Path | None) -> str:
    """A task module as the trace may name it: relative to the task library (a host path in a trace
    would tell where the library lives on the host; the privacy scan flags it)."""
    if origin is None:
        return "?"
    if tasks_root is not None and origin.is_relative_to(tasks_root):
        return str(origin.relative_to(tasks_root))
    return origin.name


def _describe(exc: BaseException, task_id: str = "", origin: Path | None = None, tasks_root: Path | None = None) -> str:
    """One line: the error, and where in the task module it was raised (file:line relative to the task
    library, task id)."""
    text = str(exc) if isinstance(exc, CleantraceError) else _one_line(exc)
    where = ""
    if origin is not None:
        lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(origin)]
        if lines:
            where = f" (task {task_id}, {_shown(origin, tasks_root)}:{lines[-1]})"
    return f"{type(exc).__name__}{where}: {text}"


def _incomplete(message: str, fault: str | None = None) -> Outcome:
    """An incomplete outcome; when a sandbox part died, that is the reason, the error its symptom."""
    if fault:
        message = f"SandboxError: {fault} ({message})"
    return Outcome(status="incomplete", message=message)


def _verdict(task, world, params) -> Outcome:
    """The check's verdict: success; failure with the check's reason (returned, or raised as
    CheckFailed); incomplete when the check itself broke."""
    try:
        passed, reason = task.verdict(world, params)
    except Exception as exc:
        return Outcome(status="incomplete", message=f"check() raised {type(exc).__name__}: {_one_line(exc)}")
    if passed:
        return Outcome(status="success", success=True, message="check passed")
    return Outcome(status="failure", success=False,
                   message=f"check failed: {reason or 'the app state is not as asked'}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def main(argv: list[str]) -> int:
    """`SPEC_JSON [PATHS_JSON]`; without paths, the folders named by $CLEANTRACE_OUT and $CLEANTRACE_TASKS
    (the container image sets them: a by-hand `docker run` passes the spec alone)."""
    if not argv:
        print("error: no episode spec given — pass the episode spec JSON (see cleantrace.spec)", file=sys.stderr)
        return 2
    spec = EpisodeSpec.model_validate_json(argv[0])
    if len(argv) > 1:
        paths = SandboxPaths.model_validate_json(argv[1])
    else:
        paths = SandboxPaths(out=os.environ.get("CLEANTRACE_OUT", "."),
                             tasks=os.environ.get("CLEANTRACE_TASKS", spec.tasks_dir))
    try:
        run_inside(spec, paths)
    except CleantraceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the trace is sealed and every part closed: skip the interpreter's slow teardown

