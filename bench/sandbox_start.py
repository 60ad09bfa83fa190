"""Sandbox speed and footprint: create → first frame, teardown, peak memory, concurrency.

    .venv/bin/python bench/sandbox_start.py [--runs 20] [--demos 3]

Each run is a real episode of an idle task (the sandbox comes up, records its first frame and is
torn down) measured from the host: `create → first frame` is from starting bwrap to the first
line of frames.jsonl; `teardown` from the sealed meta.json to the moment no process of the
sandbox is left. Peak memory is the largest sum of PSS over the sandbox's processes (sampled
every 20 ms) during full demonstrations of crm/set-lead-status. Concurrency runs 2 and 4 idle
sandboxes at once. Results: printed, and written to bench/results/sandbox.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cleantrace.sandbox.local import run_sandboxed
from cleantrace.spec import EpisodeSpec
from cleantrace.tasks import default_tasks_dir
from cleantrace.trace import files

RESULTS = Path(__file__).with_name("results") / "sandbox.json"
IDLE_TASK = '''
from cleantrace.tasks import Task

class Idle(Task):
    id = "crm/idle"; app = "crm"; instruction = "Look at the leads ({n})."
    def setup(self, world): return {"n": world.seed}
    def solve(self, actor, p): pass
    def check(self, world, p): return True
'''


def idle_pack(root: Path) -> Path:
    pack = root / "tasks" / "crm"
    pack.mkdir(parents=True)
    (pack / "app").symlink_to(default_tasks_dir().resolve() / "crm" / "app")
    (pack / "idle.py").write_text(IDLE_TASK)
    return root / "tasks"


class Sampler(threading.Thread):
    """Samples the episode folder and the sandbox's processes while an episode runs."""

    def __init__(self, folder: Path, sample_memory: bool) -> None:
        super().__init__(daemon=True)
        self.folder = folder
        self.sample_memory = sample_memory  # reading smaps costs CPU: only where memory is measured
        self.first_frame: float | None = None
        self.sealed: float | None = None
        self.peak_pss_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        own_ns = os.readlink("/proc/self/ns/pid")
        while not self.stop.is_set():
            self.look()
            if self.sample_memory:
                self.peak_pss_kb = max(self.peak_pss_kb, _pss_of_other_namespaces(own_ns))
            time.sleep(0.1 if self.sample_memory else 0.002)
        self.look()  # the episode may have ended between two looks

    def look(self) -> None:
        now = time.perf_counter()
        if self.first_frame is None and _has_line(self.folder / files.FRAMES):
            self.first_frame = now
        if self.sealed is None and _sealed(self.folder / files.META):
            self.sealed = now


def one_episode(out: Path, tasks_dir: Path, task: str, seed: int, sample_memory: bool = False) -> dict:
    folder = out / f"{task.replace('/', '-')}-{seed}"
    folder.mkdir(parents=True)
    spec = EpisodeSpec(run_id="bench", episode_id=folder.name, task=task, seed=seed,
                       tasks_dir=str(tasks_dir))
    sampler = Sampler(folder, sample_memory)
    sampler.start()
    created = time.perf_counter()
    ended = run_sandboxed(spec, folder, out / f"{folder.name}.log", timeout=120)
    gone = time.perf_counter()
    sampler.stop.set()
    sampler.join()
    meta = json.loads((folder / files.META).read_text())
    assert ended.code == 0 and meta["outcome"]["status"] == "success", (ended, meta["outcome"])
    return {
        "start_s": sampler.first_frame - created,
        "teardown_s": gone - sampler.sealed,
        "total_s": gone - created,
        "peak_pss_mb": sampler.peak_pss_kb / 1024,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "p95": percentile(values, 0.95),
            "min": min(values), "max": max(values), "n": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--demos", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cleantrace-bench-") as tmp:
        root = Path(tmp)
        tasks_dir = idle_pack(root)
        one_episode(root / "warmup", tasks_dir, "crm/idle", 0)  # page cache warm, as in a long run

        cpu_before = _busy_cpu_seconds()
        idle = [one_episode(root / "idle", tasks_dir, "crm/idle", s) for s in range(args.runs)]
        cpu_per_sandbox = (_busy_cpu_seconds() - cpu_before) / args.runs

        idle_memory = one_episode(root / "idle-mem", tasks_dir, "crm/idle", 0, sample_memory=True)
        demos = [one_episode(root / "demo", default_tasks_dir().resolve(), "crm/set-lead-status", s, True)
                 for s in range(args.demos)]

        concurrent = {}
        for k in (2, 4):
            with ThreadPoolExecutor(k) as pool:
                t0 = time.perf_counter()
                rows = list(pool.map(lambda s, k=k: one_episode(root / f"c{k}", tasks_dir, "crm/idle", s),
                                     range(k * 2)))
                wall = time.perf_counter() - t0
            concurrent[str(k)] = {"start_s_median": statistics.median(r["start_s"] for r in rows),
                                  "sandboxes_per_minute": len(rows) / wall * 60}

    mem_available_mb = _meminfo("MemAvailable") / 1024
    peak_mb = max(d["peak_pss_mb"] for d in demos)
    cores = os.cpu_count() or 1
    result = {
        "machine": {"cores": cores, "mem_available_mb": round(mem_available_mb), "python": platform.python_version()},
        "create_to_first_frame_s": summary([r["start_s"] for r in idle]),
        "teardown_s": summary([r["teardown_s"] for r in idle]),
        "idle_episode_total_s": summary([r["total_s"] for r in idle]),
        "cpu_s_per_idle_sandbox": cpu_per_sandbox,
        "peak_memory_mb": {"idle": summary([idle_memory["peak_pss_mb"]]),
                           "demo": summary([d["peak_pss_mb"] for d in demos])},
        "concurrency": {
            "1": {"start_s_median": statistics.median(r["start_s"] for r in idle),
                  "sandboxes_per_minute": 60 / statistics.mean(r["total_s"] for r in idle)},
            **concurrent,
        },
        "fit_concurrently": {
            "by_memory": int(mem_available_mb // peak_mb),
            "by_cpu_starts_per_second": round(cores / cpu_per_sandbox, 2),
            "note": "memory bounds how many sandboxes can be up at once; CPU (core-seconds per sandbox, "
                    "measured machine-wide) bounds how many can start per second",
        },
        "target_start_median_s": 1.5,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    _print(result)


def _print(r: dict) -> None:
    s, t = r["create_to_first_frame_s"], r["teardown_s"]
    print(f"create → first frame   median {s['median']:.2f} s   p95 {s['p95']:.2f} s   (target ≤ 1.5 s, n={s['n']})")
    print(f"teardown               median {t['median']:.2f} s   p95 {t['p95']:.2f} s")
    print(f"idle episode total     median {r['idle_episode_total_s']['median']:.2f} s")
    print(f"CPU per idle sandbox   {r['cpu_s_per_idle_sandbox']:.2f} core-s (whole machine)")
    m = r["peak_memory_mb"]
    print(f"peak memory (PSS)      idle {m['idle']['max']:.0f} MB   demo {m['demo']['max']:.0f} MB")
    for k, c in r["concurrency"].items():
        print(f"{k} at once              start median {c['start_s_median']:.2f} s   "
              f"{c['sandboxes_per_minute']:.1f} sandboxes/min")
    f = r["fit_concurrently"]
    print(f"fit on this machine    {f['by_memory']} by memory; {f['by_cpu_starts_per_second']} starts/s by CPU")
    print(f"written to {RESULTS}")


def _has_line(path: Path) -> bool:
    try:
        return b"\n" in path.read_bytes()
    except OSError:
        return False


def _sealed(path: Path) -> bool:
    try:
        return json.loads(path.read_text())["outcome"]["status"] != "running"
    except (OSError, ValueError, KeyError):
        return False


def _pss_of_other_namespaces(own_ns: str) -> int:
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == own_ns:
                continue
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def _busy_cpu_seconds() -> float:
    """CPU time the whole machine spent busy (all processes, all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, f.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _meminfo(key: str) -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    main()
