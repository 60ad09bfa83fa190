"""Small synthetic episode folders written with the trace's own schema models and writer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from cleantrace.record.keys import keysym_of
from cleantrace.trace.describe import attach_descriptions, done_action
from cleantrace.trace.reduce import reduce_events
from cleantrace.trace.schema import (
    Clock,
    Event,
    Frame,
    Meta,
    Outcome,
    Performer,
    SandboxInfo,
    Screen,
    Target,
)
from cleantrace.trace.writer import TraceWriter

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SAVE = Target(role="button", name="Save", tag="button", text="Save", selector="#save", bbox=(80.0, 40.0, 60.0, 24.0))


def render_screen(lines: list[str], size: tuple[int, int]) -> np.ndarray:
    """A white screen with dark text lines (DejaVu Sans, 22 px), as RGB pixels."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 22)
    for n, line in enumerate(lines):
        draw.text((20, 20 + 36 * n), line, fill=(20, 20, 20), font=font)
    return np.asarray(image)


def key_events(text: str, t0: float, x: int, y: int) -> list[Event]:
    events = []
    for n, ch in enumerate(text):
        t = t0 + 40.0 * n
        events.append(Event(t_ms=t, kind="key_down", x=x, y=y, key=ch, keysym=keysym_of(ch)))
        events.append(Event(t_ms=t + 15.0, kind="key_up", x=x, y=y, key=ch, keysym=keysym_of(ch)))
    return events


def write_episode(
    folder: Path, *, screens: tuple[tuple[str, ...], ...] = (("Leads",), ("Saved",)), typed: str = "",
    params: dict | None = None, instruction: str = "Click Save.", task: str = "crm/add-lead-note",
    success: bool = True, performer: str = "script", target: Target = SAVE, size: tuple[int, int] = (640, 360),
    run_id: str = "synthetic", done: bool = False, labels: bool = False,
) -> Path:
    """An episode: one click per screen change (at the target's centre), then `typed` as key events.

    Frames: one per screen; action i sees frame i before and frame i+1 after (the last frame at the end).
    `done`: as the recorder does, describe each step and close a successful episode with `done`.
    `labels`: label every frame with the target and two other elements (see `screen_labels`).
    """
    writer = TraceWriter(folder)
    writer.write_meta(Meta(
        run_id=run_id, episode_id=folder.name, task=task, task_version=1, seed=0, params=params or {},
        instruction=instruction, performer=Performer(kind=performer, id=f"{performer}:x"),
        sandbox=SandboxInfo(backend="local", screen=Screen(w=size[0], h=size[1])),
        clock=Clock(start="2026-01-01T00:00:00Z"),
        outcome=Outcome(status="success" if success else "failure", success=success),
    ))
    x, y = int(target.bbox[0] + target.bbox[2] / 2), int(target.bbox[1] + target.bbox[3] / 2)
    events: list[Event] = []
    t = 10.0
    for _ in screens[1:]:
        events += [
            Event(t_ms=t, kind="move", x=x - 30, y=y), Event(t_ms=t + 10, kind="move", x=x, y=y),
            Event(t_ms=t + 20, kind="down", x=x, y=y, button=1), Event(t_ms=t + 80, kind="up", x=x, y=y, button=1),
        ]
        t += 600.0
    events += key_events(typed, t, x, y)
    writer.append_events(events)
    for i, lines in enumerate(screens):
        pixels = render_screen(list(lines), size)
        Image.fromarray(pixels).save(writer.frames_dir / f"{i:06d}.png")
        sha = hashlib.sha256(pixels.tobytes()).hexdigest()
        writer.append_frame(Frame(i=i, t_ms=5.0 + 600.0 * i, file=f"frames/{i:06d}.png", sha256=sha, reason="action",
                                  pointer=(x, y)))
    last = len(screens) - 1
    actions = [
        a.model_copy(update={"target": target, "frame_before": min(a.i, last), "frame_after": min(a.i + 1, last)})
        for a in reduce_events(events)
    ]
    if done:
        actions = attach_descriptions(actions, events, [])
        if success:
            actions.append(done_action(actions, [Frame(i=last, t_ms=5.0 + 600.0 * last, file="", sha256="",
                                                       reason="action")]))
    if labels:
        for i in range(len(screens)):
            writer.write_labels(i, 5.0 + 600.0 * i, screen_labels(target))
    writer.write_actions(actions)
    writer.close()
    return folder


def screen_labels(target: Target) -> dict:
    """A labelled screen: the target (backend node 41), a Cancel button and a Notes field, and an
    accessibility tree holding them under the page."""
    return {
        "url": "http://127.0.0.1:8000/leads/1",
        "elements": [
            {"role": target.role, "name": target.name, "tag": target.tag, "bbox": list(target.bbox), "state": {},
             "backend_node_id": 41},
            {"role": "button", "name": "Cancel", "tag": "button", "bbox": [150.0, 40.0, 60.0, 24.0], "state": {},
             "backend_node_id": 42},
            {"role": "textbox", "name": "Notes", "tag": "textarea", "bbox": [20.0, 100.0, 300.0, 80.0],
             "state": {"value": ""}, "backend_node_id": 43},
        ],
        "tree": {"columns": ["id", "parent", "role", "name", "backend_node_id"], "nodes": [
            [0, -1, "RootWebArea", "Leads", 1], [1, 0, "generic", "", 5], [2, 1, target.role, target.name, 41],
            [3, 1, "button", "Cancel", 42], [4, 1, "textbox", "Notes", 43]]},
    }
