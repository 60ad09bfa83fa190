"""Every Actor verb, performed with real X input in a real sandbox, reaches the page as intended."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from cleantrace.fleet import run
from cleantrace.trace import files
from cleantrace.trace.reader import read_episode

pytestmark = pytest.mark.e2e
PACKS = Path(__file__).parent / "packs"


def test_every_verb_reaches_the_page_and_is_reduced_to_the_right_actions(tmp_path):
    result = run(["playground/every-verb"], out=tmp_path, run_id="verbs", tasks_dir=PACKS)
    row = result.rows[0]
    assert row.status == "success", row.message
    ep = read_episode(result.run_dir / row.episode_id)
    kinds = [a.kind for a in ep.actions]
    assert kinds.count("double_click") == 1 and kinds.count("drag") == 1 and "scroll" in kinds
    drag = next(a for a in ep.actions if a.kind == "drag")
    assert drag.target is not None and drag.target.name == "Card"
    ctrl_click = [a for a in ep.actions if a.kind == "click" and a.keys == ["ctrl"]]
    assert len(ctrl_click) == 1 and ctrl_click[0].target.name == "Blue"
    assert any(a.kind == "hotkey" and a.keys == ["ctrl", "a"] for a in ep.actions)
    # the audit's cases, each its own regression check
    assert drag.drop_target is not None and drag.drop_target.name == "Zone B"  # the drop element
    hover = next(a for a in ep.actions if a.kind == "hover")  # a hover is its own step with its frames
    deeper = ep.actions[hover.i + 1]
    assert hover.target.name == "More ▸" and deeper.target.name == "Deeper"
    assert deeper.frame_before == hover.frame_after != hover.frame_before  # the click sees the submenu
    keys = [a for a in ep.actions if a.kind == "key" and a.keys in (["j"], ["#"])]
    assert [a.keys for a in keys] == [["j"], ["j"], ["#"]]  # one step per shortcut, never one `type "jj#"`
    assert len({a.frame_before for a in keys}) == 3
    far = ep.actions[-2]  # a click after the page itself scrolled is grounded
    assert far.kind == "click" and far.target is not None and far.target.name == "Far away", far
    assert far.description == "Click the Far away button" and far.why == "the last widget is below the fold"
    assert ep.actions[-1].kind == "done" and ep.actions[-1].events is None
    assert all(a.frame_after is not None and a.description for a in ep.actions)
    assert row.missing_targets == 0 and all(a.target_error is None for a in ep.actions)
    # each scroll_to is one scroll step, its look between flicks included, and each step one action;
    # a click on a target out of view scrolls first as a step of its own (a decision with its frames)
    scrolls = [a for a in ep.actions if a.kind == "scroll"]
    assert [a.description for a in scrolls] == ["Scroll to the Item 47 button", "Scroll to the Far away button"]
    assert scrolls[-1].i == far.i - 1 and scrolls[-1].frame_after == far.frame_before
    assert sum(a.events is not None for a in ep.actions) == ep.meta.decisions
    # every pointer action's frame_before is labelled, and its target is among those labels
    labels = {row["frame"]: row["file"] for row in files.read_jsonl(ep.folder / files.LABELS) if row.get("file")}
    for a in ep.actions:
        if a.kind in ("click", "double_click", "drag", "hover"):
            shown = json.loads(gzip.decompress((ep.folder / labels[a.frame_before]).read_bytes()))["elements"]
            assert any((e["role"], e["name"]) == (a.target.role, a.target.name) for e in shown), a
