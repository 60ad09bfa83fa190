"""The desktop task pack proved from its run folders: one seed of every task, its checks on wrong
parameters, the replay of the run, and how the run's pointer actions are grounded.

    .venv/bin/python bench/desktop_pack.py --run RUN [--rerun RUN ...] [--after RUN] [--wrong CHECK.json ...]
        [--replay RUN ...] [--load-log FILE] [--results FILE]

`--run`: a `cleantrace run 'desktop/*'` folder (the "before" numbers); `--rerun`: runs of the tasks
fixed after it (an episode of the same task and seed replaces the run's own in the "after"
numbers; their other seeds are listed apart); `--after`: the same run of the whole pack again after
the fixes (then the "after" numbers and the pointer targets are its own); `--wrong`: the JSON of
`cleantrace tasks check 'desktop/*' --wrong --json FILE` (every check must fail), then those of
tasks checked again after a fix; `--replay`: the folder of `cleantrace replay RUN` (target ≥ 99 %
successful), then replays of episodes recorded again; `--load-log`: lines `<UTC time> <load 1>
<load 5> <load 15>` sampled while these ran. Prints the numbers, writes
bench/results/desktop_pack.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from cleantrace.trace import files
from cleantrace.trace.reduce import POINTER_KINDS

RESULTS = Path(__file__).with_name("results") / "desktop_pack.json"
TARGET_REPLAY = 0.99
GROUNDED = ("atspi", "cdp")
APPS = {"calc": "calc", "writer": "writer", "files": "files", "editor": "editor", "cross": "cross-app"}


def app_of(task: str) -> str:
    """desktop/calc-sort-rows → calc; desktop/cross-… → cross-app."""
    return APPS.get(task.split("/")[-1].split("-")[0], "other")


def catalog(run: Path) -> dict[tuple[str, int], dict]:
    """The last catalog row of each (task, seed) of a run."""
    return {(r["task"], r["seed"]): r for r in files.read_jsonl(run / files.CATALOG)}


def per_app(rows: dict[tuple[str, int], dict]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter] = defaultdict(Counter)
    for (task, _), r in rows.items():
        out[app_of(task)]["episodes"] += 1
        out[app_of(task)]["successful"] += r["status"] == "success"
    return {app: dict(c) for app, c in sorted(out.items())}


def pointer_grounding(run: Path) -> dict[str, object]:
    """Pointer actions (click, double/right click, drag) of the run's episodes and their target sources."""
    sources: Counter = Counter()
    for episode in sorted(p for p in run.iterdir() if (p / "meta.json").is_file()):
        path = episode / files.ACTIONS
        for action in files.read_jsonl(path) if path.is_file() else []:
            if action.get("kind") in POINTER_KINDS:
                sources[(action.get("target") or {}).get("source") or "none"] += 1
    total = sum(sources.values())
    grounded = sum(sources[s] for s in GROUNDED)
    return {"pointer_actions": total, "by_source": dict(sources), "grounded": grounded,
            "grounded_share": round(grounded / total, 4) if total else None}


def load_summary(log: Path | None) -> dict[str, object]:
    if log is None or not log.is_file():
        return {"now": [round(x, 2) for x in os.getloadavg()]}
    ones = [float(line.split()[1]) for line in log.read_text().splitlines() if len(line.split()) == 4]
    return {"samples": len(ones), "load1_median": round(statistics.median(ones), 2) if ones else None,
            "load1_max": max(ones, default=None), "from": log.read_text().split(maxsplit=1)[0] if ones else None,
            "now": [round(x, 2) for x in os.getloadavg()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--rerun", type=Path, nargs="*", default=[])
    parser.add_argument("--after", type=Path, default=None, help="the whole pack run again after the fixes")
    parser.add_argument("--wrong", type=Path, nargs="*", default=[],
                        help="JSON of tasks check --wrong --json (then of the tasks checked again after a fix)")
    parser.add_argument("--replay", type=Path, nargs="*", default=[],
                        help="folder of cleantrace replay RUN (then replays of episodes recorded again)")
    parser.add_argument("--load-log", type=Path, default=None)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    before = catalog(args.run)
    after, other_seeds = dict(before), defaultdict(Counter)
    for rerun in args.rerun:
        for key, row in catalog(rerun).items():
            if key in before:
                after[key] = row
            else:
                other_seeds[key[0]]["episodes"] += 1
                other_seeds[key[0]]["successful"] += row["status"] == "success"
    if args.after:
        after = catalog(args.after)
    report: dict[str, object] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "run": str(args.run), "reruns": [str(r) for r in args.rerun], "after": str(args.after or ""),
        "tasks": len({t for t, _ in before}), "episodes": len(before),
        "successful_before": sum(r["status"] == "success" for r in before.values()),
        "successful_after": sum(r["status"] == "success" for r in after.values()),
        "per_app_before": per_app(before), "per_app_after": per_app(after),
        "not_successful_before": {f"{t} s{s}": r["message"] for (t, s), r in sorted(before.items())
                                  if r["status"] != "success"},
        "not_successful_after": {f"{t} s{s}": r["message"] for (t, s), r in sorted(after.items())
                                 if r["status"] != "success"},
        "rerun_other_seeds": {t: dict(c) for t, c in sorted(other_seeds.items())},
        "pointer_targets": pointer_grounding(args.after or args.run),
    }
    if args.wrong:  # a later file's rows (tasks checked again after a fix) replace the earlier ones
        first = json.loads(args.wrong[0].read_text())["tasks"]
        by_task = {r["task"]: r for path in args.wrong for r in json.loads(path.read_text())["tasks"]}
        rows = list(by_task.values())
        report["wrong"] = {"tasks": len(rows), "episodes": sum(r["episodes"] for r in rows),
                           "failed": sum(r["failures"] for r in rows),
                           "first_pass": {"episodes": sum(r["episodes"] for r in first),
                                          "failed": sum(r["failures"] for r in first),
                                          "checks_passed_on_wrong": [r["task"] for r in first if r["successes"]]},
                           "checks_passed_on_wrong": [r["task"] for r in rows if r["successes"]],
                           "problems": {r["task"]: r["problems"] for r in rows if r["problems"]},
                           "all_fail": all(r["ok"] for r in rows)}
    if args.replay:  # a later replay of the same task and seed (of an episode recorded again) replaces it
        first = list(files.read_jsonl(args.replay[0] / files.CATALOG))
        replays = list({(r["task"], r["seed"]): r for run in args.replay
                        for r in files.read_jsonl(run / files.CATALOG)}.values())
        ok = sum(r["status"] == "success" for r in replays)
        report["replay"] = {"runs": [str(r) for r in args.replay], "replayed": len(replays), "successful": ok,
                            "first_run": {"replayed": len(first),
                                          "successful": sum(r["status"] == "success" for r in first)},
                            "rate": round(ok / len(replays), 4) if replays else None, "target": TARGET_REPLAY,
                            "not_successful": {r["episode_id"]: r["message"] for r in replays
                                               if r["status"] != "success"}}
    report["load_average"] = load_summary(args.load_log)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
