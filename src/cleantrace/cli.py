"""The `cleantrace` command: parses arguments, calls the library, renders with rich."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from cleantrace.errors import CleantraceError
from cleantrace.sandbox.backends import BACKENDS
from cleantrace.spec import DEFAULT_BACKEND, DEFAULT_CHANGE_FPS, DEFAULT_FPS, EPISODE_TIMEOUT_S, HEARTBEAT_TIMEOUT_S

console = Console()
err_console = Console(stderr=True)

SHOWN_PROBLEMS = 3  # per task in `tasks check`; the count of the rest is printed
OUTCOME_STYLE = {"success": "green", "failure": "red", "incomplete": "yellow", "running": "yellow"}


def existing(path: Path, what: str, folder: bool = False) -> Path:
    """`path` when it exists (a folder if `folder`), else a one-line error saying what was expected."""
    if not path.exists():
        raise CleantraceError(f"{path} does not exist", f"give {what} (e.g. runs/run-…; ls runs)")
    if folder and not path.is_dir():
        raise CleantraceError(f"{path} is not a folder", f"give {what} (e.g. runs/run-…)")
    return path


def id_column(header: str, ids: list[str]) -> Column:
    """A table column that shows ids whole (they are what other commands take), even in a narrow terminal."""
    return Column(header, no_wrap=True, min_width=max([len(header), *map(len, ids)]))


@click.group()
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="cleantrace")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Verified computer-use demonstrations, recorded in disposable sandboxes with fake data."""
    ctx.obj = {"debug": debug}


@cli.command()
@click.argument("tasks", nargs=-1)
@click.option("--episodes", "-n", default=1, show_default=True, help="Seeds per task.")
@click.option("--seed", default=0, show_default=True, help="First seed.")
@click.option("--seeds", default=None, help="Seeds instead of --seed/--episodes: 0-9, 1,5,7 or 0-3,10.")
@click.option("--out", default="runs", show_default=True, help="Folder, or an fsspec URL like s3://bucket/prefix.")
@click.option("--run-id", default=None, help="Name of the run folder (default: run-<time>).")
@click.option("--persona", default="default", show_default=True,
              help="default, fast, careful, sampled-<seed>, or fitted:FILE (personas fitted by `personas fit`).")
@click.option("--personas", default=None, help="Several personas, comma-separated (e.g. default,fast,fitted:p.json).")
@click.option("--motion", default="model", show_default=True,
              help="Pointer paths: model, or library:RUN (recorded movements of RUN, retargeted).")
@click.option("--skill", "skills", multiple=True, help="Only tasks with this skill (repeatable).")
@click.option("--app", "apps", multiple=True, help="Only tasks of this app (repeatable).")
@click.option("--workers", "-j", type=int, default=None, help="Episodes at once (default: what the machine holds).")
@click.option("--resume", is_flag=True, help="Continue the run --run-id (default: the latest in --out).")
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", default=None, help="Ray cluster address for --executor ray (default: $RAY_ADDRESS).")
@click.option("--staging", type=click.Path(path_type=Path), default=None,
              help="Local folder where episodes wait for their upload to a URL --out.")
@click.option("--timeout", default=EPISODE_TIMEOUT_S, show_default=True, help="Seconds before an episode is killed.")
@click.option("--fps", default=DEFAULT_FPS, show_default=True, help="Interval frames per second (0: only on actions).")
@click.option("--change-fps", default=DEFAULT_CHANGE_FPS, show_default=True,
              help="At most this many frames per second on visual change (0: none).")
@click.option("--frame-format", type=click.Choice(["png", "webp"]), default="png", show_default=True,
              help="How frames are stored: png (fast) or webp (lossless, about a third of the size, slower).")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None, help="Folder of task packs.")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default=DEFAULT_BACKEND, show_default=True,
              help="local: bubblewrap namespaces; docker: a container of the docker/ image per episode.")
@click.option("--image", default=None, help="Docker image for --backend docker (default cleantrace/sandbox:latest).")
@click.option("--view/--no-view", default=True, show_default=True, help="Write the HTML report.")
@click.option("--appearance", default="random", show_default=True,
              help="default (today's look), random (drawn from each seed) or a YAML/JSON file of axes.")
def run(tasks, episodes, seed, seeds, out, run_id, persona, personas, motion, skills, apps, workers, resume, executor,
        address, staging, timeout, fps, change_fps, frame_format, tasks_dir, backend, image, view,
        appearance) -> None:
    """Run TASKS (ids or globs like 'crm/*'; default every task) on --episodes seeds, each in a fresh sandbox,
    --workers at once."""
    from cleantrace.fleet import run as run_tasks
    from cleantrace.fleet.progress import RunProgress

    with RunProgress(console) as progress:
        result = run_tasks(
            list(tasks), episodes=episodes, seed=seed, out=out, run_id=run_id, persona=persona,
            tasks_dir=tasks_dir, timeout=timeout, fps=fps, change_fps=change_fps, backend=backend, image=image,
            frame_format=frame_format,
            on_episode=progress.on_episode, on_start=progress.on_start, seeds=seeds,
            personas=personas.split(",") if personas else None, skills=list(skills), apps=list(apps),
            workers=workers, resume=resume, executor=executor, address=address, staging=staging, motion=motion,
            appearance=appearance,
        )
    console.print(f"run: {result.location}  ({result.successes}/{len(result.rows)} successful)")
    if view and result.run_dir.is_dir() and result.location == str(result.run_dir):
        from cleantrace.view import write_report

        console.print(f"report: {write_report(result.run_dir)}")
    if result.successes < len(result.rows):
        sys.exit(3)


def station_options(f):
    """The options `cleantrace station` and `cleantrace record` share."""
    for option in reversed([
        click.option("--host", default="127.0.0.1", show_default=True,
                     help="Address to listen on (keep loopback behind a TLS reverse proxy; see docs/volunteer.md)."),
        click.option("--port", default=8600, show_default=True, help="Port of the station (0: any free one)."),
        click.option("--public-url", default=None,
                     help="The URL volunteers open, e.g. https://station.example.com/ behind a TLS proxy "
                          "(its origin is the only one the screen's websocket accepts)."),
        click.option("--seed", default=0, show_default=True, help="Seed of the first episode (then +1 each)."),
        click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True),
        click.option("--run-id", default=None, help="Name of the run folder (default: station-<time>)."),
        click.option("--tasks-dir", type=click.Path(path_type=Path), default=None, help="Folder of task packs."),
        click.option("--heartbeat-timeout", default=HEARTBEAT_TIMEOUT_S, show_default=True,
                     type=click.FloatRange(min=0, min_open=True),
                     help="Seconds without the volunteer's page before their episode is kept as incomplete."),
        click.option("--max-volunteers", default=4, show_default=True, type=click.IntRange(min=1),
                     help="Sandboxes at once (one per volunteer)."),
        click.option("--max-per-ip", default=2, show_default=True, type=click.IntRange(min=1),
                     help="Open tasks at once from one address."),
        click.option("--db", default=None,
                     help="SQLAlchemy URL of the station's database (default: sqlite:///<out>/station.sqlite)."),
        click.option("--retention-hours", default=24.0, show_default=True, type=click.FloatRange(min=0),
                     help="Blocked, abandoned and rejected episodes are deleted after this long."),
        click.option("--backend", type=click.Choice(sorted(BACKENDS)), default=DEFAULT_BACKEND, show_default=True,
                     help="Where each volunteer's sandbox runs (docker: a container of --image)."),
        click.option("--image", default=None,
                     help="Container image for --backend docker (default cleantrace/sandbox:latest)."),
    ]):
        f = option(f)
    return f


def require_station() -> None:
    """A one-line error naming the extra when the station's libraries are missing (a lean install)."""
    try:
        import alembic  # noqa: F401
        import simple_websocket  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        raise CleantraceError(
            f"the volunteer station needs {exc.name or 'the station extra'}, which is not installed",
            'install the station extra: pip install "cleantrace[station]"',
        ) from None


def _serve(task, host, port, public_url, seed, out, run_id, tasks_dir, heartbeat_timeout, max_volunteers, max_per_ip,
           db, retention_hours, backend, image, campaign=None) -> None:
    require_station()
    from cleantrace.station.app import StationConfig, serve_station
    from cleantrace.station.campaign import load_campaign

    config = StationConfig(task=task, out=out, seed=seed, run_id=run_id, tasks_dir=tasks_dir, public_url=public_url,
                           heartbeat_timeout=heartbeat_timeout, max_booths=max_volunteers, max_per_ip=max_per_ip,
                           db_url=db, retention_hours=retention_hours, backend=backend, image=image,
                           campaign=load_campaign(campaign) if campaign else None)

    def ready(url, station) -> None:
        shown = f"{url}  public: {public_url}" if public_url else url
        console.print(f"station: {shown}  (traces in {station.run_dir}; Ctrl-C or SIGTERM stops)", soft_wrap=True)
        if station.campaign is not None:
            base = (public_url or url).rstrip("/")
            console.print(f"crowd link: {base}/c/{station.campaign.id}?workerId=<worker id>", soft_wrap=True)

    reason = serve_station(config, port, on_ready=ready, host=host)
    err_console.print(f"stopped: {reason or 'the station shut down'}; live episodes were kept as incomplete")


@cli.group(invoke_without_command=True)
@click.option("--task", default=None, help="The task volunteers perform (or --campaign).")
@click.option("--campaign", type=click.Path(path_type=Path), default=None,
              help="A campaign file (TOML: tasks × seeds × quota, pay; see docs/volunteer.md#campaigns).")
@station_options
@click.pass_context
def station(ctx, task, campaign, **options) -> None:
    """Serve the volunteer station (a long-running service) until SIGTERM or Ctrl-C."""
    if ctx.invoked_subcommand is not None:
        return
    if (task is None) == (campaign is None):
        raise CleantraceError("a station serves one task or one campaign", "pass --task TASK or --campaign FILE")
    _serve(task, campaign=campaign, **options)


def _store(out: Path, db: str | None):
    require_station()
    from cleantrace.station.store import Store, default_url

    return Store(db or default_url(out))


db_options = [
    click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True,
                 help="The station's output folder (its database is <out>/station.sqlite)."),
    click.option("--db", default=None, help="SQLAlchemy URL of the station's database instead."),
]


def with_db(f):
    for option in reversed(db_options):
        f = option(f)
    return f


@station.command("ledger")
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to standard output (default: a table).")
@with_db
def station_ledger(as_csv: bool, out: Path, db: str | None) -> None:
    """What each volunteer is owed: worker id, time on task, accepted and rejected episodes, amount."""
    rows = _store(out, db).ledger()
    columns = ["worker_id", "volunteer_id", "seconds_on_task", "episodes", "accepted", "rejected", "amount_owed",
               "currency"]
    if as_csv:
        import csv

        writer = csv.DictWriter(sys.stdout, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)


@station.command("nginx-conf")
@click.option("--listen", default="443", show_default=True, help="nginx's listen address (port, or host:port).")
@click.option("--cert", type=click.Path(path_type=Path), required=True, help="TLS certificate (PEM).")
@click.option("--key", type=click.Path(path_type=Path), required=True, help="Its private key (PEM).")
@click.option("--upstream", default="127.0.0.1:8600", show_default=True, help="Where the station listens.")
def station_nginx_conf(listen: str, cert: Path, key: Path, upstream: str) -> None:
    """Print an nginx server block (for /etc/nginx/conf.d/) that puts the station behind TLS."""
    from cleantrace.station.proxy import server_block

    click.echo(server_block(listen, cert.resolve(), key.resolve(), upstream), nl=False)


@station.command("invite")
@click.option("--campaign", "campaign_file", type=click.Path(path_type=Path), required=True, help="The campaign file.")
@click.option("--worker", "workers", multiple=True, required=True, help="A worker id to invite (repeatable).")
@click.option("--public-url", required=True, help="The station's public URL, e.g. https://station.example.com/")
@with_db
def station_invite(campaign_file: Path, workers: tuple[str, ...], public_url: str, out: Path, db: str | None) -> None:
    """Print a signed invitation link per worker (valid 72 h; the station's key signs it)."""
    from cleantrace.station.campaign import check_worker_id, invite_token, load_campaign
    from cleantrace.station.viewer import check_public_url

    check_public_url(public_url)
    for worker in workers:  # every id checked before any link is printed
        check_worker_id(worker)
    campaign = load_campaign(campaign_file)
    key = _store(out, db).signing_key()
    for worker in workers:
        click.echo(f"{worker}\t{public_url.rstrip('/')}/i/{invite_token(key, campaign.id, worker)}")


@station.command("reviewer")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The reviewer's password (asked when not given).")
@with_db
def station_reviewer(name: str, password: str, out: Path, db: str | None) -> None:
    """Add a reviewer who signs in at /admin (or set their password)."""
    if len(password) < 8:
        raise CleantraceError("the password is too short", "use at least 8 characters")
    _store(out, db).set_reviewer(name, password)
    console.print(f"reviewer {name} can sign in at /admin/login")


@cli.command()
@click.argument("task")
@station_options
def record(task, **options) -> None:
    """Serve a volunteer station for TASK: consent, the sandbox's screen, review, submit (`station --task TASK`)."""
    _serve(task, **options)


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--no-pixels", is_flag=True, help="Skip checking frame files against their hashes.")
def validate(path: Path, no_pixels: bool) -> None:
    """Check a run (or one episode folder) against the trace schema and its invariants."""
    from cleantrace.trace.validate import validate_run

    reports = validate_run(existing(path, "a run or episode folder"), check_pixels=not no_pixels)
    if not reports:
        raise CleantraceError(
            f"{path} is not a run or an episode: it holds no meta.json, catalog.jsonl or episode folder",
            "give a folder written by `cleantrace run` (runs/run-…) or one of its episode folders",
        )
    bad = [r for r in reports if not r.ok]
    for r in reports:
        mark = "[green]valid[/]" if r.ok else "[red]invalid[/]"
        console.print(f"{mark}  {r.folder.name}  ({r.status})")
        for problem in r.problems:
            console.print(f"    {problem}", markup=False)
        for note in r.notes:
            console.print(f"    note: {note}", markup=False)
    console.print(f"{len(reports) - len(bad)}/{len(reports)} valid")
    if bad or not reports:
        sys.exit(1)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write to a file instead of stdout.")
def schema(out: Path | None) -> None:
    """Print the trace schema (all records) as JSON Schema."""
    from cleantrace.trace.jsonschema import dumps_trace_json_schema

    text = dumps_trace_json_schema()
    if out:
        out.write_text(text)
        console.print(f"schema: {out}")
    else:
        click.echo(text, nl=False)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Default: RUN_DIR/report.html")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None, help="Task packs (for the skills).")
def view(run_dir: Path, out: Path | None, tasks_dir: Path | None) -> None:
    """Write a static HTML report of a run: a summary page and one page per episode (timeline, frames, actions)."""
    from cleantrace.view import write_report

    console.print(f"report: {write_report(existing(run_dir, 'a run folder', folder=True), out, tasks_dir)}")


@cli.command()
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--run-id", default=None, help="Name of the replay run folder (default: replay-<time>).")
@click.option("--timeout", default=EPISODE_TIMEOUT_S, show_default=True, help="Seconds before a replay is killed.")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None, help="Folder of task packs.")
@click.option("--view/--no-view", default=True, show_default=True, help="Write the HTML report of the replays.")
@click.option("--backend", type=click.Choice(sorted(BACKENDS)), default=DEFAULT_BACKEND, show_default=True,
              help="Where each replay runs (as for `run`).")
@click.option("--image", default=None, help="Container image for --backend docker (default cleantrace/sandbox:latest).")
def replay(source: Path, out: Path, run_id: str | None, timeout: float, tasks_dir: Path | None, view: bool,
           backend: str, image: str | None) -> None:
    """Re-execute an episode (or every successful scripted episode of a run) in fresh sandboxes and re-check it."""
    from cleantrace.fleet.replay import replay as replay_episodes

    def on_episode(done) -> None:
        row = done.row
        console.print(f"[{OUTCOME_STYLE.get(row.status, '')}]{row.status:<10}[/] {row.episode_id}  {row.message}")

    result = replay_episodes(source, out=out, run_id=run_id, tasks_dir=tasks_dir, timeout=timeout,
                             on_episode=on_episode, backend=backend, image=image)
    per_task = result.per_task()
    table = Table(id_column("task", list(per_task)), "replayed", "successful", "rate")
    for task_id, (ok, n) in per_task.items():
        table.add_row(task_id, str(n), str(ok), f"{100 * ok / n:.0f} %")
    console.print(table)
    console.print(f"replay success rate: {result.successes}/{len(result.replays)} ({100 * result.rate:.1f} %)")
    console.print(f"run: {result.run_dir}")
    if view:
        from cleantrace.view import write_report

        console.print(f"report: {write_report(result.run_dir, tasks_dir=tasks_dir)}")
    if result.successes < len(result.replays):
        sys.exit(3)


@cli.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-ocr", is_flag=True, help="Do not read the frames with OCR (tesseract).")
@click.option("--canary", "canaries", multiple=True, help="Extra text that must not appear (repeatable).")
def scan(path: Path, no_ocr: bool, canaries: tuple[str, ...]) -> None:
    """Privacy scan of a run (or one episode): identifiers outside the reserved fake ranges, host canaries."""
    from cleantrace.privacy import record_scan, scan_episode, scan_run

    if (path / "meta.json").exists():
        scans = [scan_episode(path, ocr=not no_ocr, canaries=canaries)]
        record_scan(path, scans[0])
    else:
        scans = scan_run(path, ocr=not no_ocr, canaries=canaries)
    table = Table("episode", "record", "kind", "text")
    for s in scans:
        ocr = f", OCR {s.ocr_frames} frames, {1000 * s.ocr_seconds / max(s.ocr_frames, 1):.0f} ms/frame"
        mark = "[green]clean[/]" if s.clean else f"[red]{len(s.findings)} findings[/]"
        console.print(f"{mark}  {s.episode_id}{ocr if s.ocr_frames else ''}")
        for note in s.notes:
            console.print(f"    note: {note}", markup=False)
        for line in s.review:
            console.print(f"    review: {line}", markup=False)
        for f in s.findings:  # masked: a log must not become a copy of what the scan blocks
            table.add_row(f.episode_id, f.record, f.kind, f.masked)
    if table.rows:
        console.print(table)
    bad = sum(not s.clean for s in scans)
    console.print(f"{len(scans) - bad}/{len(scans)} clean")
    if bad or not scans:
        sys.exit(1)


@cli.command("export")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt",
              type=click.Choice(["hf", "webdataset", "pyautogui", "mind2web", "agentnet", "grounding"]),
              required=True, help="hf: parquet dataset; webdataset: tar shards; pyautogui: code trajectories "
              "(normalised and absolute); mind2web: web tasks; agentnet: tasks with per-step instructions; "
              "grounding: screenshot, element description and box.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="A new (or empty) folder.")
@click.option("--only-success", is_flag=True, help="Only episodes whose check passed.")
@click.option("--task", "task_glob", default=None, help="Task id or glob, e.g. 'crm/*'.")
@click.option("--skill", default=None, help="Only tasks with this skill.")
@click.option("--performer", type=click.Choice(["script", "volunteer"]), default=None)
@click.option("--include-unreviewed", is_flag=True,
              help="Also volunteer episodes the station's reviewers have not accepted (default: accepted only).")
@click.option("--skip-invalid", is_flag=True, help="Exit 0 even when invalid episodes were left out.")
@click.option("--frame-format", type=click.Choice(["png", "webp"]), default=None,
              help="Re-encode frames (both lossless; default: as recorded).")
@click.option("--cursor", is_flag=True, help="Draw the pointer into the frames (screenshots do not show it).")
def export_cmd(run_dir: Path, fmt: str, out: Path, only_success: bool, task_glob: str | None, skill: str | None,
               performer: str | None, include_unreviewed: bool, skip_invalid: bool, frame_format: str | None,
               cursor: bool) -> None:
    """Export a run as training data, one step per action (docs/export.md)."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from cleantrace.export import ImageOptions, StepFilter, export_run, exporter_for, plan_export
    from cleantrace.export.layout import empty_out_dir

    exporter_for(fmt)  # a missing extra is named before anything is read or written
    plan = plan_export(run_dir, StepFilter(only_success, task_glob, skill, performer, include_unreviewed))
    empty_out_dir(out)
    for invalid in plan.invalid:
        err_console.print(f"[yellow]warning:[/] skipped invalid episode {escape(invalid)}", highlight=False,
                          soft_wrap=True)
    for note in plan.notes:
        err_console.print(f"[yellow]note:[/] {escape(str(note))}", highlight=False, soft_wrap=True)
    with Progress(
        TextColumn("[bold]steps"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
    ) as progress:
        bar = progress.add_task("", total=plan.steps)
        result = export_run(run_dir, fmt, out, plan=plan, on_step=lambda _: progress.advance(bar),
                            images=ImageOptions(frame_format, cursor))
    console.print(
        f"{fmt}: {result.out}  ({result.episodes} episodes, {result.steps} steps, {result.written} written, "
        f"{len(result.invalid)} invalid skipped)",
        soft_wrap=True,
    )
    if result.invalid and not skip_invalid:
        err_console.print(f"error: {len(result.invalid)} invalid episode(s) left out — see the warnings above; "
                          "--skip-invalid exports the rest with exit 0", highlight=False, soft_wrap=True, markup=False)
        sys.exit(1)


@cli.group()
def tasks() -> None:
    """List, inspect, check and create tasks."""


@tasks.command("list")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def tasks_list(tasks_dir: Path | None) -> None:
    """All tasks: id, app, skills, difficulty."""
    from cleantrace.tasks import load_registry

    registry = load_registry(tasks_dir)
    table = Table(id_column("id", list(registry.tasks)), "app", "skills", "difficulty")
    for task_id, task in sorted(registry.tasks.items()):
        table.add_row(task_id, task.app, ", ".join(task.skills), task.difficulty)
    console.print(table)
    for problem in registry.problems:
        err_console.print(f"[yellow]warning:[/] {escape(str(problem))}", highlight=False)


@tasks.command("show")
@click.argument("task_id")
@click.option("--seed", default=0, show_default=True)
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def tasks_show(task_id: str, seed: int, tasks_dir: Path | None) -> None:
    """One task: an example instruction and parameters for --seed, its skills."""

    from cleantrace.tasks import load_registry
    from cleantrace.tasks.lint import setup_on_host

    registry = load_registry(tasks_dir)
    task_cls = registry.get(task_id)
    task = task_cls()
    params = setup_on_host(registry, task_cls, seed)
    console.print(f"[bold]{task_id}[/]  app {task.app} · {task.difficulty} · skills: {', '.join(task.skills)}")
    console.print(f"instruction (seed {seed}): {task.instruction_for(params, seed)}")
    console.print(f"parameters: {params}")
    console.print("templates:")
    for template in task.templates():
        console.print(f"  - {template}", markup=False)


@tasks.command("check")
@click.argument("task_ids", nargs=-1)
@click.option("--seeds", default=10, show_default=True, help="Seeds per task.")
@click.option("--first-seed", default=0, show_default=True)
@click.option("--wrong", is_flag=True, help="Solve with each task's wrong_params: an honest check must fail.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Keep the runs here (default: discard).")
@click.option("--timeout", default=EPISODE_TIMEOUT_S, show_default=True, help="Seconds before an episode is killed.")
@click.option("--json", "json_out", type=click.Path(path_type=Path), default=None, help="Also write the results here.")
@click.option("--workers", "-j", type=int, default=None, help="Episodes at once (default: what the machine holds).")
@click.option("--personas", default=None,
              help="Personas, comma-separated; keyboard,mouse runs both branches of every prefers_keyboard().")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
@click.option("--appearance", default="random", show_default=True,
              help="default (today's look), random (drawn from each seed) or a YAML/JSON file of axes.")
def tasks_check(task_ids, seeds, first_seed, wrong, out, timeout, json_out, workers, personas, tasks_dir,
                appearance) -> None:
    """Lint TASK_IDS (ids or globs; default all), then run their scripted solutions in sandboxes; report success
    rates."""
    from cleantrace.fleet.verify import check_tasks
    from cleantrace.tasks import load_registry

    report = _lint_and_print(load_registry(tasks_dir), list(task_ids))
    if not report.ok:
        console.print("no sandbox started: fix the problems above (`cleantrace tasks lint` lists them again)")
        sys.exit(1)
    with console.status("running episodes") as status:
        done = 0

        def on_episode(row) -> None:
            nonlocal done
            done += 1
            status.update(f"{done} episodes done; last: {row.episode_id} {row.status}")

        checks = check_tasks(list(task_ids), seeds=seeds, first_seed=first_seed, wrong=wrong, out=out,
                             tasks_dir=tasks_dir, timeout=timeout, on_episode=on_episode, workers=workers,
                             personas=personas.split(",") if personas else None, appearance=appearance)
    table = Table(id_column("task", [c.task for c in checks]), "episodes", "success", "failure", "incomplete",
                  "success rate")
    for c in checks:
        style = "green" if c.ok else "red"
        incomplete = c.episodes - c.successes - c.failures
        table.add_row(c.task, str(c.episodes), str(c.successes), str(c.failures), str(incomplete),
                      f"[{style}]{c.rate:.0%}[/]")
    console.print(table)
    if json_out:
        from cleantrace.fleet.verify import write_checks_json

        written = write_checks_json(checks, json_out, seeds=seeds, first_seed=first_seed, appearance=str(appearance))
        console.print(f"results: {written}")
    if wrong:  # how each check caught the mistake, in its own words
        for c in checks:
            for reason in c.reasons[:1]:
                console.print(f"  {c.task}: caught: {reason}", markup=False, soft_wrap=True)
    failing = [c for c in checks if not c.ok]
    for c in failing:
        for problem in c.problems[:SHOWN_PROBLEMS]:
            console.print(f"  {c.task}: {problem}", markup=False, soft_wrap=True)
        if len(c.problems) > SHOWN_PROBLEMS:
            console.print(f"  {c.task}: … and {len(c.problems) - SHOWN_PROBLEMS} more problem(s) not shown "
                          f"(--json FILE keeps them all)", markup=False, soft_wrap=True)
    if failing:
        what = "a wrong solution did not fail its check" if wrong else "not every episode succeeded"
        console.print(f"{len(failing)} task(s): {what}")
        sys.exit(3)


@tasks.command("lint")
@click.argument("task_ids", nargs=-1)
@click.option("--seeds", default=20, show_default=True, help="Seeds on which setup() runs.")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def tasks_lint(task_ids, seeds, tasks_dir) -> None:
    """Check TASK_IDS (default all) without a sandbox: declarations, setup on --seeds seeds, check, wrong_params,
    effect. Every problem is one line `file:line: task: what — fix`."""
    from cleantrace.tasks import load_registry

    report = _lint_and_print(load_registry(tasks_dir), list(task_ids), seeds=seeds)
    if not report.ok:
        sys.exit(1)


def _lint_and_print(registry, task_ids: list[str], seeds: int = 20):
    """Lint, print every problem (none cut) and a summary line; the report."""
    from cleantrace.tasks.lint import lint_tasks

    report = lint_tasks(registry, task_ids, seeds=seeds, include_load_problems=not task_ids)
    for problem in report.problems:
        err_console.print(f"problem: {problem}", highlight=False, soft_wrap=True, markup=False)
    n = len(report.problems)
    console.print(f"lint: {len(report.tasks)} task(s) ({report.with_effect} with an effect) in {report.seconds:.1f} s: "
                  f"{'no problems' if not n else f'{n} problem(s)'}")
    return report


@tasks.command("try")
@click.argument("task_id")
@click.option("--seed", default=0, show_default=True)
@click.option("--persona", default="default", show_default=True, help="e.g. keyboard or mouse to force a branch.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("runs"), show_default=True)
@click.option("--timeout", default=120.0, show_default=True)
@click.option("--keep", is_flag=True,
              help="After the episode, keep the sandbox and its browser's DevTools on a loopback URL until Ctrl-C.")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def tasks_try(task_id: str, seed: int, persona: str, out: Path, timeout: float, keep: bool,
              tasks_dir: Path | None) -> None:
    """The inner loop: lint TASK_ID, run one episode on --seed, print each action's target and the outcome."""
    import time

    from cleantrace.fleet import run as run_tasks
    from cleantrace.tasks import load_registry

    report = _lint_and_print(load_registry(tasks_dir), [task_id])
    if not report.ok:
        sys.exit(1)
    run_id = f"try-{task_id.replace('/', '-')}-{seed}-{time.strftime('%H%M%S')}"
    options = dict(seed=seed, persona=persona, out=out, tasks_dir=tasks_dir, timeout=timeout, run_id=run_id)
    if keep:
        result = _try_kept(task_id, options)
    else:
        result = run_tasks([task_id], **options)
        _print_tried(result.run_dir / result.rows[0].episode_id)
    row = result.rows[0]
    style = OUTCOME_STYLE.get(row.status, "")
    console.print(f"[{style}]{row.status}[/]: {row.message}", soft_wrap=True, highlight=False)
    from cleantrace.view import write_report

    console.print(f"episode: {result.run_dir / row.episode_id}\nreport: {write_report(result.run_dir)}")
    if row.status != "success":
        sys.exit(3)


def _print_tried(folder: Path) -> None:
    """Each recorded action of the episode in `folder`: kind, target, text or keys."""
    import json as _json

    actions = folder / "actions.jsonl"
    for line in (actions.read_text().splitlines() if actions.exists() else []):
        a = _json.loads(line)
        t = a.get("target") or {}
        what = f"{t.get('role') or t.get('tag') or ''} {t.get('name') or ''!r}" if t else ""
        extra = a.get("text") or " ".join(a.get("keys") or [])
        console.print(f"  {a['i']:>3} {a['kind']:<12} {what}" + (f" {extra!r}" if extra else ""), markup=False,
                      highlight=False)


def _try_kept(task_id: str, options: dict):
    """`tasks try --keep`: the episode runs in a thread; once it is sealed, its sandbox's browser is served on a
    loopback port until Ctrl-C, then the sandbox tears down and the run finishes as usual."""
    import shutil
    import tempfile
    import threading

    from cleantrace.fleet import run as run_tasks
    from cleantrace.sandbox.keep import KeptBrowser

    folder = Path(tempfile.mkdtemp(prefix="cleantrace-keep-"))
    kept = KeptBrowser(folder)
    box: dict = {}
    done = threading.Event()  # waited on, not the thread: a join() cut by Ctrl-C can leave it half-joined

    def episode() -> None:
        try:
            box["result"] = run_tasks([task_id], keep_dir=folder, **options)
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=episode, name="try-episode", daemon=True).start()
    try:
        if kept.wait_ready(lambda: not done.is_set()):
            url = kept.open()
            run_dir = Path(options["out"]) / options["run_id"]
            _print_tried(next(run_dir.glob("*/meta.json")).parent)
            console.print(f"kept: the sandbox's browser is at {url} (DevTools: {url}/json/list; Playwright: "
                          f"chromium.connect_over_cdp({url!r})). Ctrl-C ends it.", soft_wrap=True, highlight=False)
            try:
                while not done.wait(0.5):
                    pass
            except KeyboardInterrupt:
                console.print("tearing the sandbox down…")
        kept.stop()
        done.wait()
    finally:
        kept.close()
        shutil.rmtree(folder, ignore_errors=True)
    if "error" in box:
        raise box["error"]
    if "result" in box and not kept.url:  # the episode ended before its browser could be kept
        _print_tried(box["result"].run_dir / box["result"].rows[0].episode_id)
    return box["result"]


@tasks.command("draft")
@click.argument("task_id")
@click.option("--from", "episode", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True,
              help="A recorded episode folder (<run>/<episode_id>), scripted or volunteer.")
@click.option("--no-probe", is_flag=True, help="Do not run the transcribed solution in a sandbox (no check).")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def tasks_draft(task_id: str, episode: Path, no_probe: bool, tasks_dir: Path | None) -> None:
    """Draft a task APP/NAME from a recorded episode: solve() from its grounded actions, check() from the database
    difference, literals lifted into parameters, templates from the instruction; then lint it."""
    from cleantrace.fleet.draft import draft_task
    from cleantrace.tasks import load_registry

    drafted = draft_task(load_registry(tasks_dir), episode, task_id, probe=not no_probe)
    console.print(f"wrote {drafted.path} ({len(drafted.changes)} database change(s) seen); linting it:")
    report = _lint_and_print(load_registry(tasks_dir), [task_id])
    if not report.ok:
        sys.exit(1)


@tasks.command("new")
@click.argument("task_id")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def tasks_new(task_id: str, tasks_dir: Path | None) -> None:
    """Write a skeleton module for a new task APP/NAME in the app's pack."""
    from cleantrace.tasks import load_registry
    from cleantrace.tasks.skeleton import write_skeleton

    path = write_skeleton(load_registry(tasks_dir), task_id)
    console.print(f"wrote {path}: fill in setup, solve, check and wrong_params (see docs/authoring.md), then "
                  f"`cleantrace tasks show {task_id}` and `cleantrace tasks check {task_id}`")


@cli.command("inspect")
@click.argument("app")
@click.argument("pages", nargs=-1)
@click.option("--seed", default=0, show_default=True, help="Seed of the world shown.")
@click.option("--no-pages", is_flag=True, help="Only the database schema (no sandbox).")
@click.option("--snapshot", is_flag=True, help="Also print each page's full ARIA snapshot.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write the reference as markdown here.")
@click.option("--tasks-dir", type=click.Path(path_type=Path), default=None)
def inspect_cmd(app, pages, seed, no_pages, snapshot, out, tasks_dir) -> None:
    """What APP offers a task author: its database schema and, per page (PAGES, default: those linked from "/"),
    the roles and accessible names the Actor can target, read from a real sandbox."""
    from cleantrace.sandbox.inspect_app import inspect_app
    from cleantrace.tasks import load_registry

    found = inspect_app(load_registry(tasks_dir), app, seed, list(pages), with_pages=not no_pages)
    text = found.markdown()
    if out:
        Path(out).write_text(text)
        console.print(f"reference: {out}")
    else:
        click.echo(text, nl=False)
    if snapshot:
        for pattern, page in found.pages.items():
            click.echo(f"\n--- {pattern} ({page['path']})\n{page['snapshot']}")


@cli.command()
def doctor() -> None:
    """Check what a run needs and print the fix for each missing part."""
    from cleantrace.sandbox.doctor import run_checks

    table = Table("part", "status", "detail / fix")
    failed = False
    for check in run_checks():
        failed |= check.required and not check.ok
        status = "[green]ok[/]" if check.ok else "[red]missing[/]" if check.required else "[yellow]optional[/]"
        table.add_row(check.name, status, escape(check.detail))
    console.print(table)
    if failed:
        console.print("a run would fail: fix the parts marked missing")
        sys.exit(1)


@cli.group()
def personas() -> None:
    """Personas fitted to human recordings (used by `run --persona fitted:FILE`)."""


@personas.command("fit")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=Path("personas.json"), show_default=True)
@click.option("--seed", default=0, show_default=True, help="Seed of the simulations the fit compares with.")
def personas_fit(source: Path, out: Path, seed: int) -> None:
    """Fit a persona per person (and one pooled) to SOURCE: a run of volunteer episodes or a CSV of
    pointer/key logs (timestamp, x, y, button, state; timestamp, key, state)."""
    import json

    from cleantrace.perform.fit import fit_source

    fitted = fit_source(source, seed)
    out.write_text(json.dumps(fitted, indent=2) + "\n")
    table = Table(id_column("person", list(fitted["fit"])), "movements", "texts", "Fitts a, b (s)", "MT spread",
                  "first stroke", "short", "stops", "IKI (ms)", "hold (ms)")
    for person, report in fitted["fit"].items():
        p = fitted["personas"].get(person)
        if p is None:
            table.add_row(person, "", "", f"skipped: {report['skipped']}")
            continue
        table.add_row(person, str(report["movements"]), str(report["texts"]),
                      f"{p['fitts_a']:.3f}, {p['fitts_b']:.3f}", f"{p['mt_spread']:.2f}", f"{p['primary_share']:.2f}",
                      f"{p['primary_short']:.2f}", f"{p['stop_rate']:.2f}", f"{p['iki_mean'] * 1000:.0f}",
                      f"{p['hold_mean'] * 1000:.0f}")
    console.print(table)
    console.print(f"personas: {out}  (use: cleantrace run TASK --personas fitted:{out})", soft_wrap=True)


def main() -> None:
    debug = "--debug" in sys.argv
    try:
        cli.main(standalone_mode=False)
    except CleantraceError as exc:
        if debug:
            raise
        err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except (click.exceptions.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort
        err_console.print("interrupted: what was recorded is kept, the episode marked incomplete")
        sys.exit(130)
    except click.UsageError as exc:  # one line, like every other error
        names, ctx = [], exc.ctx  # the subcommands, e.g. station invite (not how Python was started)
        while ctx is not None and ctx.parent is not None:
            names.insert(0, ctx.info_name)
            ctx = ctx.parent
        command = " ".join(["cleantrace", *names])
        err_console.print(f"[red]error:[/] {escape(exc.format_message())} — see `{command} --help`",
                          highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
