"""The desktop profile's cost next to the kiosk's, in the same run: create → first frame, CPU, memory, teardown.

    .venv/bin/python bench/desktop.py [--runs 8] [--memory-runs 2]

Each episode is a real sandbox of an idle task, measured from the host as in bench/sandbox_start.py:
`create → first frame` from starting bwrap to the first line of frames.jsonl, `teardown` from the
sealed meta.json to the moment no process of the sandbox is left. CPU-s is the CPU time of all the
sandbox's processes (the host's reaped children, getrusage: the runs are sequential), peak memory the
largest sum of PSS over the sandbox's processes (this process's descendants, sampled every 100 ms,
on separate runs). Three kinds:

- kiosk: today's profile (one kiosk Chromium page of the crm);
- desktop-browser: the desktop with the browser's normal UI on http://crm.test/ (the usual start);
- desktop-editor: the desktop with a text editor on a home document and no web app.

Results: printed, and written to bench/results/desktop.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import tempfile
import time
from contextlib import suppress
from pathlib import Path

from sandbox_start import Sampler, summary  # bench/ is on the path when run as a script

from cleantrace.sandbox.local import run_sandboxed
from cleantrace.sandbox.processes import descendants
from cleantrace.spec import EpisodeSpec
from cleantrace.tasks import default_tasks_dir, load_registry
from cleantrace.trace import files

RESULTS = Path(__file__).with_name("results") / "desktop.json"
TARGET_START_S = 3.0
KIOSK_TASK = '''
from cleantrace.tasks import Task

class Idle(Task):
    id = "crm/idle"; app = "crm"; instruction = "Look at the leads ({n})."
    def setup(self, world): return {"n": world.seed}
    def solve(self, actor, p): pass
    def check(self, world, p): return True
'''
DESKTOP_TASKS = '''
from cleantrace.tasks import Task

class Browser(Task):
    id = "bench/browser"; app = "bench"; profile = "desktop"; web_apps = ("crm",)
    instruction = "Look at the leads ({n})."
    def setup(self, world): return {"n": world.seed}
    def open_at_start(self, p): return [("browser", "http://crm.test/")]
    def solve(self, actor, p): pass
    def check(self, world, p): return True

class Editor(Task):
    id = "bench/editor"; app = "bench"; profile = "desktop"
    instruction = "Read the note ({n})."
    def setup(self, world): return {"n": world.seed}
    def home_files(self, p): return {"Documents/note.txt": b"Call the office back.\\n"}
    def open_at_start(self, p): return [("editor", "Documents/note.txt")]
    def solve(self, actor, p): pass
    def check(self, world, p): return (world.home / "Documents/note.txt").exists()
'''
KINDS = {"kiosk": "crm/idle", "desktop-browser": "bench/browser", "desktop-editor": "bench/editor"}


def bench_tasks(root: Path) -> Path:
    tasks = root / "tasks"
    (tasks / "crm").mkdir(parents=True)
    (tasks / "crm" / "app").symlink_to(default_tasks_dir().resolve() / "crm" / "app")
    (tasks / "crm" / "idle.py").write_text(KIOSK_TASK)
    (tasks / "bench" / "app").mkdir(parents=True)
    (tasks / "bench" / "app" / "__init__.py").write_text("def populate(world):\n    pass\n")
    (tasks / "bench" / "desk.py").write_text(DESKTOP_TASKS)
    return tasks


class OwnSampler(Sampler):
    """bench/sandbox_start's sampler, its memory the PSS of this process's descendants only (the one
    sandbox running now), not of every other namespace: other work on a shared machine stays out."""

    def run(self) -> None:
        while not self.stop.is_set():
            self.look()
            if self.sample_memory:
                self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(pid) for pid in descendants()))
            time.sleep(0.1 if self.sample_memory else 0.002)
        self.look()


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
    except OSError:
        return 0


def one_episode(out: Path, tasks_dir: Path, task_id: str, seed: int, sample_memory: bool = False) -> dict:
    task = load_registry(tasks_dir).get(task_id)
    folder = out / f"{task_id.replace('/', '-')}-{seed}"
    folder.mkdir(parents=True)
    spec = EpisodeSpec(run_id="bench", episode_id=folder.name, task=task_id, seed=seed, tasks_dir=str(tasks_dir),
                       **task.sandbox_fields())
    sampler = OwnSampler(folder, sample_memory)
    sampler.start()
    cpu_before = _children_cpu_s()
    created = time.perf_counter()
    ended = run_sandboxed(spec, folder, out / f"{folder.name}.log", timeout=120)
    gone = time.perf_counter()
    cpu = _children_cpu_s() - cpu_before
    sampler.stop.set()
    sampler.join()
    meta = json.loads((folder / files.META).read_text())
    assert ended.code == 0 and meta["outcome"]["status"] == "success", (ended, meta["outcome"])
    left = descendants()
    return {"stages_s": _stages(out / f"{folder.name}.log"),
            "start_s": sampler.first_frame - created, "teardown_s": gone - sampler.sealed, "total_s": gone - created,
            "cpu_s": cpu, "peak_pss_mb": sampler.peak_pss_kb / 1024, "left_running": len(left)}


def _stages(log: Path) -> dict[str, float]:
    """The episode's `stage NAME: N ms` lines (cleantrace.stages) from its sandbox log: seconds since the
    episode process started, by stage."""
    found = {}
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("stage ") and line.endswith(" ms"):
            name, _, ms = line[len("stage "):].rpartition(": ")
            with suppress(ValueError):
                found[name] = float(ms[:-3]) / 1000
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--memory-runs", type=int, default=2)
    args = parser.parse_args()
    rows: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    memory: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    with tempfile.TemporaryDirectory(prefix="cleantrace-bench-desktop-") as tmp:
        root = Path(tmp)
        tasks = bench_tasks(root)
        for task in KINDS.values():  # page cache warm, as in a long run
            one_episode(root / "warmup", tasks, task, 100)
        for seed in range(args.runs):  # interleaved: the machine's load falls on every kind alike
            for kind, task in KINDS.items():
                rows[kind].append(one_episode(root / kind, tasks, task, seed))
        for seed in range(args.memory_runs):
            for kind, task in KINDS.items():
                memory[kind].append(one_episode(root / f"{kind}-mem", tasks, task, 200 + seed, sample_memory=True))
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_at_end": os.getloadavg()[0]},
        "target_desktop_start_median_s": TARGET_START_S,
        "profiles": {
            kind: {
                "task": KINDS[kind],
                "create_to_first_frame_s": summary([r["start_s"] for r in rows[kind]]),
                # medians, in seconds since the episode process started (inside the sandbox): where the start goes
                "stages_median_s": {name: round(statistics.median(r["stages_s"][name] for r in rows[kind]), 3)
                                    for name in rows[kind][0]["stages_s"]
                                    if all(name in r["stages_s"] for r in rows[kind])},
                "teardown_s": summary([r["teardown_s"] for r in rows[kind]]),
                "episode_total_s": summary([r["total_s"] for r in rows[kind]]),
                "cpu_s_per_episode": summary([r["cpu_s"] for r in rows[kind]]),
                "peak_memory_mb": summary([r["peak_pss_mb"] for r in memory[kind]]),
                "processes_left_after_teardown": max(r["left_running"] for r in rows[kind] + memory[kind]),
            }
            for kind in KINDS
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    _print(result)


def _print(r: dict) -> None:
    print(f"{'profile':16} {'start median':>12} {'p95':>6} {'teardown':>9} {'CPU-s':>6} {'peak MB':>8} {'left':>5}")
    for kind, p in r["profiles"].items():
        s = p["create_to_first_frame_s"]
        print(f"{kind:16} {s['median']:>10.2f} s {s['p95']:>5.2f} {p['teardown_s']['median']:>7.2f} s "
              f"{p['cpu_s_per_episode']['median']:>6.2f} {p['peak_memory_mb']['max']:>8.0f} "
              f"{p['processes_left_after_teardown']:>5}")
    for kind, p in r["profiles"].items():
        print(f"{kind} stages (median s since the episode process started):")
        for name, at in p["stages_median_s"].items():
            print(f"  {at:6.2f}  {name}")
    print(f"target: desktop start ≤ {r['target_desktop_start_median_s']:.1f} s median on {r['machine']['cores']} cores "
          f"(load average {r['machine']['load_avg_at_end']:.1f} at the end)")
    print(f"written to {RESULTS}")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
