"""The whole library over many seeds in random looks, from the run folders that recorded it.

    .venv/bin/python bench/library_seeds.py RUN [RUN …] [--again RUN …] [--results FILE] [--note TEXT]

RUN folders come from `cleantrace run` or `cleantrace tasks check --out` (e.g. seeds 0–1 of one run
and seeds 2–9 of a check: together the ten seeds of `tasks check --seeds 10`). Per (task, seed) the
episode's outcome is read from the run's catalog; `--again` runs hold episodes recorded again after
a fix: they replace those (task, seed) outcomes and both are kept in the JSON. Prints and writes per
profile (kiosk, desktop) the episodes and successes, every episode that did not succeed with its
message, and the distinct values each appearance axis took.
Results: bench/results/library_seeds.json.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

RESULTS = Path(__file__).with_name("results") / "library_seeds.json"


def outcomes(runs: list[Path]) -> dict[tuple[str, int], dict]:
    """(task, seed) → its catalog row, over every catalog under `runs` (a later one wins)."""
    found: dict[tuple[str, int], dict] = {}
    for run in runs:
        catalogs = [run / "catalog.jsonl"] if (run / "catalog.jsonl").is_file() else sorted(run.glob("*/catalog.jsonl"))
        if not catalogs:
            raise SystemExit(f"error: {run} holds no catalog.jsonl — pass a folder of `cleantrace run` "
                             "or `cleantrace tasks check --out`")
        for catalog in catalogs:
            for line in catalog.read_text().splitlines():
                row = json.loads(line)
                if row.get("performer", "script") == "script":
                    found[(row["task"], row["seed"])] = row
    return found


def summary(rows: dict[tuple[str, int], dict]) -> dict:
    per_profile: dict[str, dict] = defaultdict(lambda: {"episodes": 0, "successful": 0, "tasks": set()})
    axes: dict[str, set] = defaultdict(set)
    failed = {}
    for (task, seed), row in sorted(rows.items()):
        profile = "desktop" if task.startswith("desktop/") else "kiosk"
        p = per_profile[profile]
        p["episodes"] += 1
        p["successful"] += row["status"] == "success"
        p["tasks"].add(task)
        if row["status"] != "success":
            failed[f"{task} s{seed}"] = f"{row['status']}: {row.get('message', '')}"[:300]
        for axis, value in (row.get("appearance") or {}).items():
            axes[axis].add(json.dumps(value))
    return {
        "profiles": {k: {**v, "tasks": len(v["tasks"])} for k, v in sorted(per_profile.items())},
        "episodes": sum(p["episodes"] for p in per_profile.values()),
        "successful": sum(p["successful"] for p in per_profile.values()),
        "seeds": sorted({seed for _, seed in rows}),
        "not_successful": failed,
        "appearance_values": {axis: sorted(json.loads(v) for v in values) for axis, values in sorted(axes.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--again", nargs="*", type=Path, default=[], help="runs recorded again after a fix")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    first = outcomes(args.runs)
    again = outcomes(args.again) if args.again else {}
    after = {**first, **{k: v for k, v in again.items() if k in first}}
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "note": args.note,
              "runs": [str(r) for r in args.runs], "again": [str(r) for r in args.again],
              "before": summary(first), "after": summary(after) if again else None,
              "recorded_again": {f"{t} s{s}": v["status"] for (t, s), v in sorted(again.items()) if (t, s) in first}}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for name in ("before", "after"):
        if result[name]:
            s = result[name]
            per = ", ".join(f"{k} {v['successful']}/{v['episodes']}" for k, v in s["profiles"].items())
            seeds = f"{s['seeds'][0]}–{s['seeds'][-1]}"
            print(f"{name}: {s['successful']}/{s['episodes']} successful over seeds {seeds} ({per})")
            for episode, why in s["not_successful"].items():
                print(f"  {episode}: {why}")
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
