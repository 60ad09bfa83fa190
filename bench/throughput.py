"""Fleet throughput: verified episodes per hour at 1, 2, 4 and 8 workers, with CPU and memory per episode.

    .venv/bin/python bench/throughput.py [--workers 1,2,4,8] [--tasks 'crm/*']

A fixed task mix (every `crm/*` task, seeds in turn) runs through `cleantrace.fleet.run` at each
worker count, on `max(6, 2 × workers)` episodes. Per setting: verified (successful) episodes per
hour; CPU per episode (the sandboxes' CPU, which the kernel adds to this process's children when
they are reaped, plus this process's own); peak memory (the sum of PSS over this process's
descendants, sampled every 0.5 s) per running episode; how busy the machine's CPUs were
(/proc/stat) and the least MemAvailable. The limiting resource is the one that is full where
throughput stops growing. Other work on the machine shows in `machine_load` (loadavg at start
and end). Results: printed, and written to bench/results/throughput.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

from cleantrace.fleet import run
from cleantrace.fleet.sizing import machine_workers, mem_available_mb
from cleantrace.sandbox.processes import descendants

RESULTS = Path(__file__).with_name("results") / "throughput.json"
SCALING_GAIN = 1.10  # a setting "scales" when it gives at least 10 % more than the one before


class Sampler(threading.Thread):
    """Peak PSS of this process's descendants, least MemAvailable, while a setting runs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_pss_mb = 0.0
        self.min_available_mb = mem_available_mb()
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak_pss_mb = max(self.peak_pss_mb, sum(_pss_kb(p) for p in descendants()) / 1024)
            self.min_available_mb = min(self.min_available_mb, mem_available_mb())


def one_setting(workers: int, episodes: int, first_seed: int, tasks: list[str], out: Path) -> dict:
    per_task = -(-episodes // len(tasks))
    seeds = f"{first_seed}-{first_seed + per_task - 1}"
    sampler = Sampler()
    sampler.start()
    busy0, cpu0, t0 = _busy_cpu_seconds(), _own_cpu_seconds(), time.monotonic()
    result = run(tasks, seeds=seeds, workers=workers, out=out, run_id=f"w{workers}")
    wall = time.monotonic() - t0
    busy, cpu = _busy_cpu_seconds() - busy0, _own_cpu_seconds() - cpu0
    sampler.stop.set()
    sampler.join()
    rows = result.rows
    ok = sum(1 for r in rows if r.success)
    cores = len(os.sched_getaffinity(0))
    return {
        "workers": workers,
        "episodes": len(rows),
        "successful": ok,
        "not_successful": [f"{r.episode_id}: {r.status}: {r.message}" for r in rows if not r.success],
        "wall_s": round(wall, 1),
        "verified_episodes_per_hour": round(ok / wall * 3600, 1),
        "cpu_s_per_episode": round(cpu / len(rows), 2),
        "peak_pss_mb_total": round(sampler.peak_pss_mb),
        "peak_pss_mb_per_running_episode": round(sampler.peak_pss_mb / min(workers, len(rows))),
        "machine_cpu_busy": round(busy / (cores * wall), 3),
        "our_cpu_share_of_machine": round(cpu / (cores * wall), 3),
        "min_mem_available_mb": sampler.min_available_mb,
    }


def limiting_resource(settings: list[dict], mem_total_mb: int) -> dict:
    """Where throughput stops growing, and which resource is full there."""
    best = settings[0]
    for s in settings[1:]:
        if s["verified_episodes_per_hour"] >= best["verified_episodes_per_hour"] * SCALING_GAIN:
            best = s
        else:
            break
    nxt = next((s for s in settings if s["workers"] > best["workers"]), best)
    if nxt["min_mem_available_mb"] < 0.1 * mem_total_mb:
        limit = "memory"
    elif nxt["machine_cpu_busy"] >= 0.85:
        limit = "cpu"
    else:
        limit = "neither full (contention elsewhere: disk, other processes)"
    last = settings[-1]
    shared = last["machine_cpu_busy"] >= 0.85 and last["our_cpu_share_of_machine"] < 0.8
    return {
        "scales_up_to_workers": best["workers"], "limit": limit,
        "cpu_busy_after": nxt["machine_cpu_busy"], "min_mem_available_mb_after": nxt["min_mem_available_mb"],
        "reading": (
            f"the CPUs were full with other work too (this bench's share: {last['our_cpu_share_of_machine']:.0%} "
            "at the most workers): more workers took a larger share of contended CPUs, so the scaling seen is "
            "not this machine's quiet capacity (see quiet_machine_ceilings for what the per-episode costs allow)"
            if shared else
            "the CPUs were this bench's: throughput stops growing where they are full"
        ),
    }


def ceilings(settings: list[dict], cores: int, mem_total_mb: int) -> dict:
    """What the measured costs allow on this machine when it is quiet: by CPU, and how many fit in memory."""
    cpu_s = statistics.median(s["cpu_s_per_episode"] for s in settings)
    pss = max(s["peak_pss_mb_per_running_episode"] for s in settings)
    return {"cpu_bound_episodes_per_hour": round(cores * 3600 / cpu_s), "sandboxes_fitting_in_memory":
            int(mem_total_mb * 0.8 // pss), "from": {"cpu_s_per_episode_median": cpu_s, "peak_pss_mb_per_episode": pss}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--tasks", default="crm/*")
    parser.add_argument("--summarize", action="store_true", help="Recompute the summary of the last results only.")
    args = parser.parse_args()
    if args.summarize:
        result = json.loads(RESULTS.read_text())
        mem_total_mb = result["machine"]["mem_total_mb"]
        result["limiting"] = limiting_resource(result["settings"], mem_total_mb)
        result["quiet_machine_ceilings"] = ceilings(result["settings"], result["machine"]["cores"], mem_total_mb)
        RESULTS.write_text(json.dumps(result, indent=2))
        print(json.dumps({k: result[k] for k in ("limiting", "quiet_machine_ceilings")}, indent=2))
        return
    from cleantrace.fleet.plan import select_tasks
    from cleantrace.tasks import load_registry

    tasks = select_tasks(load_registry(), [args.tasks])
    load_start = os.getloadavg()
    started = time.monotonic()
    settings = []
    with tempfile.TemporaryDirectory(prefix="cleantrace-throughput-") as tmp:
        run(tasks[:1], seeds="999", workers=1, out=Path(tmp), run_id="warmup")  # page cache warm, as in a long run
        for n, workers in enumerate(int(w) for w in args.workers.split(",")):
            setting = one_setting(workers, max(6, 2 * workers), 1000 * (n + 1), tasks, Path(tmp))
            settings.append(setting)
            _print_setting(setting)
    mem_total_mb = _meminfo_mb("MemTotal")
    result = {
        "machine": {"cores": len(os.sched_getaffinity(0)), "mem_total_mb": mem_total_mb,
                    "python": platform.python_version()},
        "machine_load": {"loadavg_start": [round(x, 2) for x in load_start],
                         "loadavg_end": [round(x, 2) for x in os.getloadavg()],
                         "note": "other work ran on this machine at the same time when loadavg exceeds the cores"},
        "task_mix": tasks,
        "settings": settings,
        "limiting": limiting_resource(settings, mem_total_mb),
        "quiet_machine_ceilings": ceilings(settings, len(os.sched_getaffinity(0)), mem_total_mb),
        "default_workers_here": machine_workers().describe(),
        "cpu_s_per_episode_median": statistics.median(s["cpu_s_per_episode"] for s in settings),
        "bench_wall_s": round(time.monotonic() - started),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    lim = result["limiting"]
    print(f"scales up to {lim['scales_up_to_workers']} workers; limit: {lim['limit']}")
    print(f"machine load: start {result['machine_load']['loadavg_start']}  end {result['machine_load']['loadavg_end']}")
    print(f"written to {RESULTS}")


def _print_setting(s: dict) -> None:
    print(f"workers {s['workers']}: {s['successful']}/{s['episodes']} verified in {s['wall_s']:.0f} s = "
          f"{s['verified_episodes_per_hour']:.0f}/h; {s['cpu_s_per_episode']:.1f} CPU-s and "
          f"{s['peak_pss_mb_per_running_episode']} MB per episode; CPU busy {s['machine_cpu_busy']:.0%}; "
          f"least MemAvailable {s['min_mem_available_mb']} MB", flush=True)


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _own_cpu_seconds() -> float:
    """CPU of this process and of every reaped descendant (the sandboxes' processes end up there)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _busy_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (all processes, all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _meminfo_mb(key: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return 0


if __name__ == "__main__":
    main()
