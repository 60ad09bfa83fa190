"""AgentNet-style export: one task per episode with its instruction and, per step, the screenshot,
the low-level instruction (the step's plain-language description), the reason when the task gave
one (`thought`) and the action as pyautogui code with normalised coordinates; the closing step of a
successful episode is `computer.terminate(status='success')`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import groupby
from pathlib import Path

from cleantrace.export.layout import copy_frame_image
from cleantrace.export.pyautogui_actions import action_code
from cleantrace.export.steps import Step


def export_agentnet(steps: Iterable[Step], out: Path, on_step: Callable[[Step], None] | None = None) -> int:
    """Write `tasks.jsonl` (one episode a line) and `images/`; returns the number of tasks."""
    tasks = 0
    with open(out / "tasks.jsonl", "w", encoding="utf-8") as lines:
        for episode_id, group in groupby(steps, key=lambda s: s.episode_id):
            traj = []
            first: Step | None = None
            for step in group:
                first = first or step
                image = copy_frame_image(step.frame_before, episode_id, step.index, out)
                traj.append({"index": len(traj), "image": image, "value": {
                    "observation": "", "thought": step.action.why or "", "action": step.description,
                    "code": action_code(step.action, step.screen), "last_step_correct": True,
                    "last_step_redundant": False, "reflection": "",
                }})
                if on_step:
                    on_step(step)
            assert first is not None
            lines.write(json.dumps({
                "task_id": episode_id, "instruction": first.instruction, "natural_language_task": first.instruction,
                "actual_task": first.instruction, "task_completed": first.success, "alignment_score": None,
                "efficiency_score": None, "task_difficulty": None, "source": f"cleantrace:{first.task}",
                "performer": first.performer, "screen": {"w": first.screen.w, "h": first.screen.h}, "traj": traj,
            }) + "\n")
            tasks += 1
    return tasks
