"""Data quality of recorded episodes: are the labels what training needs?

    .venv/bin/python bench/data_quality.py [RUN …] [--tasks 'crm/*' …] [--workers 2] [--seeds 0,1]
                                           [--webp-every K] [--results FILE] [--note TEXT]

Without RUN, records one episode of each task (default: the whole library) with `cleantrace run`
first; several RUN folders are measured together (e.g. a kiosk run and a desktop run of one seed).
Per episode, over all and per sandbox profile (kiosk, desktop), it measures:
- pointer actions (click, double_click, right_click, drag) whose target box contains the press point;
- pointer actions whose target is among the labelled elements of its frame_before (same role and
  name with the press point inside, or boxes overlapping at IoU ≥ 0.5);
- actions with a frame_after;
- steps per decision: actions with input / steps the performer announced, over the successful
  episodes (1.0 when every decision is its own step);
- bytes per episode: the frames as recorded (PNG) and re-encoded as lossless WebP (Pillow, method 4),
  with the pixels checked equal (on every K-th episode with `--webp-every K`: the re-encoding takes
  most of the time, ~20 s per episode here, and the ratio is over the episodes re-encoded).
`--seeds` measures only the episodes of those seeds (e.g. seeds 0-1 of a ten-seed run).
Prints the numbers and writes bench/results/data_quality.json.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

RESULTS = Path(__file__).with_name("results") / "data_quality.json"
POINTER = {"click", "double_click", "right_click", "drag"}


def record(out: Path, tasks: list[str], workers: int) -> Path:
    cli = [sys.executable, "-m", "cleantrace.cli", "run", *tasks, "--out", str(out), "--run-id", "dq", "--no-view",
           "-j", str(workers)]
    subprocess.run(cli, check=False)
    return out / "dq"


def contains(bbox, x: int, y: int, slack: float = 1.0) -> bool:
    bx, by, bw, bh = bbox
    return bx - slack <= x <= bx + bw + slack and by - slack <= y <= by + bh + slack


def iou(a, b) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / (a[2] * a[3] + b[2] * b[3] - w * h)


def in_labels(action, elements: list[dict]) -> bool:
    t = action.target
    for e in elements:
        if (e["role"], e["name"]) == (t.role, t.name) and contains(e["bbox"], action.x, action.y):
            return True
        if t.bbox is not None and iou(t.bbox, e["bbox"]) >= 0.5:
            return True
    return False


def webp_bytes(png: Path) -> int:
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        buffer = io.BytesIO()
        rgb.save(buffer, "WEBP", lossless=True, method=4)
        back = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
        assert back.tobytes() == rgb.tobytes(), f"lossless WebP changed {png}"
        return buffer.tell()


def measure(folder: Path, webp: bool = True) -> dict:
    from cleantrace.trace import files
    from cleantrace.trace.reader import read_episode

    trace = read_episode(folder)
    labels = {}
    for row in files.read_jsonl(folder / files.LABELS):
        if row.get("file"):
            labels[row["frame"]] = json.loads(gzip.decompress((folder / row["file"]).read_bytes()))["elements"]
    pointer = [a for a in trace.actions if a.kind in POINTER]
    with_input = [a for a in trace.actions if a.events is not None]
    png = sum((folder / f.file).stat().st_size for f in trace.frames)
    started = time.perf_counter()
    webp_total = sum(webp_bytes(folder / f.file) for f in trace.frames) if webp else None
    return {
        "episode_id": trace.meta.episode_id, "task": trace.meta.task, "status": trace.meta.outcome.status,
        "profile": trace.meta.sandbox.profile,
        "actions": len(trace.actions), "pointer_actions": len(pointer),
        "pointer_target_contains_press": sum(1 for a in pointer if a.target and a.target.bbox
                                             and contains(a.target.bbox, a.x, a.y)),
        "pointer_target_in_labels": sum(1 for a in pointer if a.target and a.frame_before in labels
                                        and in_labels(a, labels[a.frame_before])),
        "pointer_without_target": [f"{a.i}: {a.kind} ({a.target_error})" for a in pointer if a.target is None],
        "with_frame_after": sum(1 for a in trace.actions if a.frame_after is not None),
        "actions_with_input": len(with_input), "decisions": trace.meta.decisions,
        "done_step": bool(trace.actions) and trace.actions[-1].kind == "done",
        "frames": len(trace.frames), "frame_bytes_png": png, "frame_bytes_webp": webp_total,
        "webp_encode_s": round(time.perf_counter() - started, 2) if webp else None,
        "labelled_frames": len(labels),
        "labels_bytes": sum(p.stat().st_size for p in (folder / files.LABELS_DIR).glob("*"))
        if (folder / files.LABELS_DIR).is_dir() else 0,
    }


def summarise(rows: list[dict]) -> dict:
    def share(part: str, whole: str) -> float | None:
        total = sum(r[whole] for r in rows)
        return round(sum(r[part] for r in rows) / total, 4) if total else None

    # an episode cut short may have announced a step it never acted out: successful ones only
    announced = [r for r in rows if r["decisions"] and r["status"] == "success"]
    png = sum(r["frame_bytes_png"] for r in rows)
    encoded = [r for r in rows if r["frame_bytes_webp"] is not None]  # re-encoded as WebP
    webp, png_encoded = sum(r["frame_bytes_webp"] for r in encoded), sum(r["frame_bytes_png"] for r in encoded)
    return {
        "episodes": len(rows), "successful": sum(r["status"] == "success" for r in rows),
        "pointer_actions": sum(r["pointer_actions"] for r in rows),
        "share_pointer_target_contains_press": share("pointer_target_contains_press", "pointer_actions"),
        "share_pointer_target_in_labels": share("pointer_target_in_labels", "pointer_actions"),
        "share_with_frame_after": share("with_frame_after", "actions"),
        "steps_per_decision": round(sum(r["actions_with_input"] for r in announced)
                                    / sum(r["decisions"] for r in announced), 3) if announced else None,
        "successful_with_done_step": sum(r["done_step"] for r in rows if r["status"] == "success"),
        "mean_frame_bytes_png": round(png / len(rows)) if rows else 0,
        "webp_episodes": len(encoded),
        "mean_frame_bytes_webp": round(webp / len(encoded)) if encoded else None,
        "webp_size_ratio": round(webp / png_encoded, 3) if png_encoded else None,
        "mean_labels_bytes": round(sum(r["labels_bytes"] for r in rows) / len(rows)) if rows else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="*", type=Path, help="Run folders to measure (default: record one).")
    parser.add_argument("--tasks", nargs="*", default=[])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", default="", help="Only episodes of these seeds, e.g. 0,1 (default: all).")
    parser.add_argument("--webp-every", type=int, default=1, help="Re-encode every K-th episode as WebP.")
    parser.add_argument("--results", type=Path, default=RESULTS, help="Where to write the JSON.")
    parser.add_argument("--note", default="", help="What this run is, kept in the JSON.")
    args = parser.parse_args()
    from cleantrace.trace.reader import episode_folders

    with tempfile.TemporaryDirectory(prefix="cleantrace-dq-") as scratch:
        runs = args.run or [record(Path(scratch), args.tasks, args.workers)]
        seeds = {int(s) for s in args.seeds.split(",") if s.strip()}
        folders = [f for run in runs for f in episode_folders(run) if (f / "meta.json").exists()
                   and (not seeds or json.loads((f / "meta.json").read_text())["seed"] in seeds)]
        rows = [measure(f, webp=k % args.webp_every == 0) for k, f in enumerate(folders)]
        summary = summarise(rows)
    profiles = {p: summarise([r for r in rows if r["profile"] == p]) for p in sorted({r["profile"] for r in rows})}
    result = {"runs": [str(r) for r in args.run] or ["recorded by this benchmark"], "note": args.note,
              "seeds": sorted(seeds) or "all", "webp_every": args.webp_every,
              "summary": summary, "by_profile": profiles, "episodes": rows}
    args.results.parent.mkdir(exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'':40} {'all':>12}" + "".join(f" {p:>12}" for p in profiles))
    for key, value in summary.items():
        print(f"{key:40} {value!s:>12}" + "".join(f" {profiles[p][key]!s:>12}" for p in profiles))
    for r in rows:
        if r["pointer_without_target"] or r["status"] != "success":
            print(f"  {r['episode_id']}: {r['status']}; untargeted {r['pointer_without_target']}")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
