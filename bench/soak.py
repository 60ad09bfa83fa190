"""Soak: a long run ends with no leaked process, no growing memory, no temp file left, no episode missing.

    .venv/bin/python bench/soak.py [--minutes 30] [--episodes 200] [--workers N] [--tasks 'crm/*']

One run, grown in batches (each batch resumes the run with the next seeds) until both `--minutes`
and `--episodes` are reached. After every batch: this process's descendants (sandbox processes
are adopted by it; there must be none between batches), its own RSS, and MemAvailable. Temp files
are checked in a private TMPDIR given to this process (the host side of every episode makes its
temp files there; a sandbox's /tmp is its own tmpfs), so other work on the machine does not
count. At the end every planned episode must have exactly one catalog row and a folder, with a
status and, unless successful, a reason. Results: printed, and written to bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).with_name("results") / "soak.json"
MAX_RSS_GROWTH_MB_PER_HOUR = 50.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--tasks", default="crm/*")
    args = parser.parse_args()

    out = Path(tempfile.mkdtemp(prefix="cleantrace-soak-out-"))
    private_tmp = Path(tempfile.mkdtemp(prefix="cleantrace-soak-tmp-"))
    os.environ["TMPDIR"] = str(private_tmp)
    tempfile.tempdir = str(private_tmp)

    from cleantrace.fleet import machine_workers, run
    from cleantrace.fleet.plan import select_tasks
    from cleantrace.fleet.sizing import mem_available_mb
    from cleantrace.sandbox.processes import descendants
    from cleantrace.tasks import load_registry
    from cleantrace.trace import files

    tasks = select_tasks(load_registry(), [args.tasks])
    workers = args.workers or machine_workers().workers
    seeds_per_batch = max(1, -(-2 * workers // len(tasks)))
    load_start = os.getloadavg()
    started = time.monotonic()
    batches, seed = [], 0
    while time.monotonic() - started < args.minutes * 60 or seed * len(tasks) < args.episodes:
        run(tasks, seeds=f"0-{seed + seeds_per_batch - 1}", workers=workers, out=out, run_id="soak", resume=True)
        seed += seeds_per_batch
        batches.append({
            "t_s": round(time.monotonic() - started, 1), "planned": seed * len(tasks),
            "descendants": len(descendants()), "rss_mb": round(_rss_kb() / 1024, 1),
            "mem_available_mb": mem_available_mb(),
        })
        print(f"{batches[-1]}", flush=True)
    wall = time.monotonic() - started

    run_dir = out / "soak"
    rows = files.read_jsonl(run_dir / files.CATALOG)
    planned = {f"{t.replace('/', '--')}--s{s}--default" for t in tasks for s in range(seed)}
    ids = [r["episode_id"] for r in rows]
    folders = {p.name for p in run_dir.iterdir() if p.is_dir() and p.name not in ("logs", "interrupted")}
    without_reason = [r["episode_id"] for r in rows if r["status"] != "success" and not r.get("message")]
    statuses = {s: sum(1 for r in rows if r["status"] == s) for s in ("success", "failure", "incomplete", "running")}
    leftover_tmp = sorted(str(p.relative_to(private_tmp)) for p in private_tmp.rglob("*"))
    rss = [b["rss_mb"] for b in batches]
    growth = _slope_per_hour([b["t_s"] for b in batches[1:]], rss[1:]) if len(batches) > 2 else 0.0
    result = {
        "minutes": round(wall / 60, 1),
        "episodes": len(rows),
        "workers": workers,
        "task_mix": tasks,
        "statuses": statuses,
        "privacy": {p: sum(1 for r in rows if r.get("privacy") == p) for p in ("clean", "findings", "not_run")},
        "episodes_per_minute": round(len(rows) / wall * 60, 2),
        "missing": sorted(planned - set(ids)),
        "duplicated": sorted({i for i in ids if ids.count(i) > 1}),
        "folders_without_row": sorted(folders - set(ids)),
        "without_reason": without_reason,
        "not_successful": [f"{r['episode_id']}: {r['status']}: {r.get('message', '')}" for r in rows
                           if r["status"] != "success"],
        "privacy_findings": {r["episode_id"]: json.loads((run_dir / r["episode_id"] / "meta.json").read_text())
                             .get("privacy", {}).get("findings", []) for r in rows if r.get("privacy") == "findings"},
        "leaked_processes_after_each_batch": [b["descendants"] for b in batches],
        "leftover_temp_files": leftover_tmp,
        "rss_mb": {"first": rss[0], "last": rss[-1], "max": max(rss), "growth_mb_per_hour_after_first_batch":
                   round(growth, 1)},
        "mem_available_mb": {"first": batches[0]["mem_available_mb"], "last": batches[-1]["mem_available_mb"]},
        "machine_load": {"loadavg_start": [round(x, 2) for x in load_start],
                         "loadavg_end": [round(x, 2) for x in os.getloadavg()]},
        "batches": batches,
    }
    result["ok"] = bool(
        not result["missing"] and not result["duplicated"] and not result["folders_without_row"]
        and not without_reason and statuses["running"] == 0 and not any(b["descendants"] for b in batches)
        and not leftover_tmp and growth < MAX_RSS_GROWTH_MB_PER_HOUR
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    long_lists = ("batches", "not_successful", "privacy_findings")
    print(json.dumps({k: v for k, v in result.items() if k not in long_lists}, indent=2))
    print(f"written to {RESULTS}")
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(private_tmp, ignore_errors=True)
    sys.exit(0 if result["ok"] else 1)


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _slope_per_hour(t_s: list[float], values: list[float]) -> float:
    """Least-squares slope of `values` over time, per hour."""
    n = len(t_s)
    mean_t, mean_v = sum(t_s) / n, sum(values) / n
    var = sum((t - mean_t) ** 2 for t in t_s)
    return 0.0 if var == 0 else sum((t - mean_t) * (v - mean_v) for t, v in zip(t_s, values, strict=True)) / var * 3600


if __name__ == "__main__":
    main()
