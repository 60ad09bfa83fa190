"""Authoring at scale: lint time of the whole library; `tasks draft` + lint on recorded episodes; how many
drafts pass `tasks check` on their recorded seed without edits.

    .venv/bin/python bench/authoring.py [--run RUN_DIR] [--workers 2]

Without --run it first records one episode of each task in TASKS (seed 3). Writes
bench/results/authoring.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from cleantrace.errors import CleantraceError
from cleantrace.fleet.draft import draft_task
from cleantrace.fleet.verify import check_tasks, mirror_pack
from cleantrace.tasks import load_registry
from cleantrace.tasks.lint import lint_tasks

TASKS = [
    "crm/set-lead-status", "crm/set-lead-priority", "crm/add-lead-note", "crm/star-lead-scroll",
    "crm/search-account-set-industry", "crm/move-deal-stage", "mail/archive-with-keys", "mail/star-with-keys",
    "mail/search-and-label", "mail/compose-to-contact", "sheet/edit-quantity", "sheet/rename-sheet",
    "sheet/update-order-status",
]
OUT = Path(__file__).parent / "results" / "authoring.json"


def lint_library(repeats: int = 3) -> dict:
    """Wall and CPU seconds of linting the whole library (on a shared machine the wall time is mostly waiting
    for a core: the CPU time is what the lint costs), and the load it ran under."""
    times, cpu, problems = [], [], 0
    for _ in range(repeats):
        registry = load_registry()
        started, started_cpu = time.monotonic(), time.process_time()
        report = lint_tasks(registry, seeds=20)
        times.append(time.monotonic() - started)
        cpu.append(time.process_time() - started_cpu)
        problems = len(report.problems)
    return {"tasks": len(report.tasks), "with_effect": report.with_effect, "seeds": 20, "problems": problems,
            "seconds_median": round(statistics.median(times), 2), "seconds_min": round(min(times), 2),
            "cpu_seconds_median": round(statistics.median(cpu), 2), "load_average_1m": os.getloadavg()[0],
            "cores": os.cpu_count()}


def record(out: Path, workers: int) -> Path:
    from cleantrace.fleet import run

    result = run(TASKS, episodes=1, seed=3, out=out, run_id="recorded", workers=workers)
    return result.run_dir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", type=Path, default=None, help="A recorded run to draft from.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lint-only", action="store_true", help="Measure the lint only (keeps the drafts' numbers).")
    args = parser.parse_args()

    lint = lint_library()
    print(f"lint of the whole library: {lint['tasks']} tasks in {lint['seconds_median']} s wall, "
          f"{lint['cpu_seconds_median']} s CPU (medians of 3; load {lint['load_average_1m']:.0f} on {lint['cores']} "
          f"cores), {lint['problems']} problems")
    if args.lint_only:  # keep the drafts of the last full run
        old = json.loads(OUT.read_text()) if OUT.exists() else {}
        OUT.write_text(json.dumps({**old, "lint": lint}, indent=2) + "\n")
        return
    with tempfile.TemporaryDirectory(prefix="bench-authoring-") as tmp:
        run_dir = args.run or record(Path(tmp) / "runs", args.workers)
        base = load_registry()
        lib = Path(tmp) / "lib"
        for pack in base.packs:
            mirror_pack(base, pack, lib)
        catalog = [json.loads(line) for line in (run_dir / "catalog.jsonl").read_text().splitlines() if line]
        if not any(row["status"] == "success" for row in catalog):  # keep the last results rather than zeros
            raise SystemExit("error: no recorded episode succeeded — "
                             + "; ".join(f"{r['task']}: {r['message']}" for r in catalog)[:2000])
        drafts = []
        for row in catalog:
            if row["status"] != "success":
                continue
            app, name = row["task"].split("/")
            draft_id = f"{app}/draft-{name}"
            started = time.monotonic()
            drafted = draft_task(load_registry(lib), run_dir / row["episode_id"], draft_id)
            draft_s = time.monotonic() - started
            try:
                report = lint_tasks(load_registry(lib), [draft_id])
                problems, seconds = [str(p) for p in report.problems], report.seconds
            except CleantraceError as exc:  # the draft does not even load
                problems, seconds = [str(exc)], 0.0
            drafts.append({"from": row["task"], "draft": draft_id, "seed": row["seed"], "draft_s": round(draft_s, 1),
                           "lint_s": round(seconds, 2), "changes": len(drafted.changes), "effect": bool(drafted.effect),
                           "lint_clean": not problems, "lint_problems": problems})
            print(f"{draft_id}: drafted in {draft_s:.1f} s ({len(drafted.changes)} db changes), lint "
                  f"{problems or 'clean'} in {seconds:.2f} s")
        by_seed: dict[int, list[str]] = {}  # drafts that lint clean go on to tasks check (which lints first)
        checked = {}
        for d in drafts:
            if d["lint_clean"]:
                by_seed.setdefault(d["seed"], []).append(d["draft"])
        for seed, ids in by_seed.items():
            for c in check_tasks(ids, seeds=1, first_seed=seed, tasks_dir=lib, workers=args.workers):
                checked[c.task] = c
        for d in drafts:
            c = checked.get(d["draft"])
            d["check_ok"] = bool(c and c.ok)
            d["check_problems"] = c.problems if c else ["not checked: the draft does not lint clean"]
            verdict = "success" if d["check_ok"] else d["check_problems"]
            print(f"{d['draft']}: tasks check on seed {d['seed']}: {verdict}")
    summary = {
        "drafts": len(drafts), "tasks": len({d["from"] for d in drafts}),
        "lint_clean": sum(d["lint_clean"] for d in drafts),
        "pass_check_on_seed": sum(d["check_ok"] for d in drafts),
        "share_pass_check": round(sum(d["check_ok"] for d in drafts) / max(len(drafts), 1), 3),
        "draft_s_median": round(statistics.median(d["draft_s"] for d in drafts), 1) if drafts else None,
        "lint_s_median": round(statistics.median(d["lint_s"] for d in drafts), 2) if drafts else None,
    }
    print(f"drafts: {summary['drafts']} of {summary['tasks']} tasks, lint clean {summary['lint_clean']}, "
          f"pass tasks check on their seed {summary['pass_check_on_seed']} ({summary['share_pass_check']:.0%})")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "lint": lint,
                               "summary": summary, "drafts": drafts}, indent=2) + "\n")
    print(f"results: {OUT}")


if __name__ == "__main__":
    main()
