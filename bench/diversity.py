"""Appearance diversity: how different episodes look under `--appearance default` and `random`.

    .venv/bin/python bench/diversity.py [--task crm/set-lead-status] [--episodes 100] [--workers N] [--out DIR]

Records `--episodes` seeds of one task twice in the same invocation, once in the default look and
once with random appearances, and reports for each: the episodes and their success rate; the
distinct screen sizes, scales, colour schemes, themes, zooms, fonts and locales drawn; and the mean
pairwise distance of the first frames' perceptual hashes (a 64-bit dHash: each bit says whether a
pixel of the 9×8 grey thumbnail is brighter than its right neighbour; distance = differing bits / 64).
It also counts the distinct values of each axis over `--draws` seeds of the draw alone (no sandbox).
Results: printed, and written to bench/results/diversity.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from cleantrace.appearance import AXES, draw, load_choice
from cleantrace.fleet import run
from cleantrace.trace.reader import read_episode

RESULTS = Path(__file__).with_name("results") / "diversity.json"


def dhash(path: Path) -> np.ndarray:
    """64 bits: is each pixel of the 9×8 grey thumbnail brighter than its right neighbour?"""
    grey = np.asarray(Image.open(path).convert("L").resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    return (grey[:, 1:] > grey[:, :-1]).ravel()


def mean_pairwise_distance(hashes: list[np.ndarray]) -> float | None:
    """Mean fraction of differing bits over every pair of hashes."""
    pairs = [float(np.mean(a != b)) for a, b in itertools.combinations(hashes, 2)]
    return round(float(np.mean(pairs)), 4) if pairs else None


def distinct(looks: list, axis: str) -> list:
    values = {tuple(v) if isinstance(v := getattr(x, axis), (list, tuple)) else v for x in looks}
    return sorted(values, key=str)


def record(mode: str, task: str, seeds: int, out: Path, workers: int | None) -> dict:
    began = time.monotonic()
    result = run([task], seeds=f"0-{seeds - 1}", out=out, run_id=mode, appearance=mode, workers=workers,
                 on_episode=lambda row: print(f"  {mode:<7} {row.status:<10} {row.episode_id}  {row.message[:80]}"))
    wall = time.monotonic() - began
    looks, hashes = [], []
    for row in result.rows:
        ep = read_episode(result.run_dir / row.episode_id)
        looks.append(ep.meta.appearance)
        if ep.frames:
            hashes.append(dhash(ep.folder / ep.frames[0].file))
    return {
        "episodes": len(result.rows), "successful": result.successes, "wall_s": round(wall, 1),
        "distinct": {axis: [list(v) if isinstance(v, tuple) else v for v in distinct(looks, axis)] for axis in AXES},
        "distinct_counts": {axis: len(distinct(looks, axis)) for axis in AXES},
        "first_frames_hashed": len(hashes),
        "mean_pairwise_dhash_distance": mean_pairwise_distance(hashes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="crm/set-lead-status")
    parser.add_argument("--episodes", type=int, default=100, help="seeds per mode (0 … N-1)")
    parser.add_argument("--draws", type=int, default=1000, help="seeds of the draw alone (no sandbox)")
    parser.add_argument("--workers", "-j", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None, help="where the runs go (default: a temporary folder)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="cleantrace-bench-diversity-"))

    modes = {mode: record(mode, args.task, args.episodes, out, args.workers) for mode in ("default", "random")}
    looks = [draw(seed, load_choice("random")) for seed in range(args.draws)]
    results = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_avg_at_end": [round(v, 1) for v in os.getloadavg()]},
        "task": args.task, "episodes_per_mode": args.episodes, "modes": modes,
        "draws_only": {"seeds": args.draws, "distinct_counts": {axis: len(distinct(looks, axis)) for axis in AXES}},
        "runs": str(out),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    for mode, numbers in modes.items():
        print(f"{mode:<8} {numbers['successful']}/{numbers['episodes']} successful in {numbers['wall_s']} s; "
              f"distinct {numbers['distinct_counts']}; mean pairwise dHash distance "
              f"{numbers['mean_pairwise_dhash_distance']}")
    print(f"draws alone over {args.draws} seeds: {results['draws_only']['distinct_counts']}")
    print(f"results: {args.results}")


if __name__ == "__main__":
    main()
