"""Exports read back with each consumer's own library: datasets, webdataset, ast, Mind2Web's layout."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import datasets  # noqa: E402
import jsonschema  # noqa: E402
import pytest  # noqa: E402
import webdataset  # noqa: E402

from cleantrace.errors import CleantraceError  # noqa: E402
from cleantrace.export import Step, StepFilter, export_run, iter_steps, plan_export  # noqa: E402
from cleantrace.export.mind2web import export_mind2web, operation  # noqa: E402
from cleantrace.export.pyautogui_actions import action_code  # noqa: E402
from cleantrace.trace.schema import Action, Meta, Privacy, Screen, Target  # noqa: E402
from tests.synthetic import write_episode  # noqa: E402

SIZE = (640, 360)
SKILLS = {"crm/add-lead-note": ("typing", "form"), "crm/set-lead-priority": ("combobox",)}
PYAUTOGUI_CALLS = {"click", "doubleClick", "rightClick", "moveTo", "dragTo", "scroll", "hscroll", "write", "hotkey",
                   "press"}


@pytest.fixture
def run_dir(tmp_path):
    """Four episodes: typed note (success), a failed volunteer one, an unknown task, and one with a leak."""
    run = tmp_path / "run"
    write_episode(run / "a-note", screens=(("Leads",), ("Lead",), ("Saved",)), typed="Call back.", size=SIZE)
    write_episode(run / "b-priority", task="crm/set-lead-priority", success=False, performer="volunteer", size=SIZE,
                  target=Target(role="option", name="High", tag="li", selector="#opt-high", bbox=(300, 200, 80, 20)))
    write_episode(run / "c-unknown", task="mail/compose", size=SIZE)
    leak = write_episode(run / "d-leak", size=SIZE)
    meta = Meta.model_validate_json((leak / "meta.json").read_text())
    meta = meta.model_copy(update={"privacy": Privacy(scan="findings", findings=["meta.json x: email 'a@b.co'"])})
    (leak / "meta.json").write_text(meta.model_dump_json())
    (run / "reviews.json").write_text('{"b-priority": "accepted"}')  # the station's reviewers accepted it
    return run


def plan(run_dir, **selection):
    return plan_export(run_dir, StepFilter(**selection), skills_of=SKILLS)


def test_filters_select_episodes_and_leaky_ones_are_never_exported(run_dir):
    every = plan(run_dir)
    assert [e.meta.episode_id for e in every.episodes] == ["a-note", "b-priority", "c-unknown"]
    assert every.steps == 3 + 1 + 1  # two clicks and a typed run, then one click each
    assert "tasks not in the task packs, exported without skills: mail/compose" in every.notes
    assert any("1 episode(s) left out: their privacy scan has findings" in n for n in every.notes)
    assert [e.folder.name for e in plan(run_dir, only_success=True).episodes] == ["a-note", "c-unknown"]
    assert [e.folder.name for e in plan(run_dir, task="crm/set-*").episodes] == ["b-priority"]
    assert [e.folder.name for e in plan(run_dir, skill="typing").episodes] == ["a-note"]
    assert [e.folder.name for e in plan(run_dir, performer="volunteer").episodes] == ["b-priority"]
    with pytest.raises(CleantraceError, match="no episode .* matches the filters"):
        plan(run_dir, skill="drag")


def test_volunteer_episodes_are_exported_only_once_accepted_unless_asked(run_dir, tmp_path):
    from click.testing import CliRunner

    from cleantrace.cli import cli

    for reviews in ('{"b-priority": "rejected"}', "{}"):
        (run_dir / "reviews.json").write_text(reviews)
        every = plan(run_dir)
        assert [e.meta.episode_id for e in every.episodes] == ["a-note", "c-unknown"]
        assert any("1 volunteer episode(s) left out: not accepted" in n for n in every.notes)
        assert "b-priority" in [e.meta.episode_id for e in plan(run_dir, unreviewed_volunteers=True).episodes]
    for flag, episodes in (([], 2), (["--include-unreviewed"], 3)):  # the command line: the default, the override
        out = tmp_path / f"export{len(flag)}"
        done = CliRunner().invoke(cli, ["export", str(run_dir), "--format", "pyautogui", "--out", str(out), *flag])
        assert done.exit_code == 0, done.output
        assert len((out / "trajectories.jsonl").read_text().splitlines()) == episodes
    (run_dir / "reviews.json").unlink()  # a run no station reviewed
    assert "b-priority" not in [e.meta.episode_id for e in plan(run_dir).episodes]


def test_steps_carry_the_frame_before_and_the_episode_labels(run_dir):
    steps = list(iter_steps(plan(run_dir, task="crm/add-lead-note")))
    assert [(s.index, s.action.kind) for s in steps] == [(0, "click"), (1, "click"), (2, "type")]
    assert [s.frame_before.name for s in steps] == ["000000.png", "000001.png", "000002.png"]
    assert steps[2].action.text == "Call back." and steps[0].skills == ("typing", "form")
    assert steps[0].success is True and steps[0].performer == "script" and steps[0].screen.w == SIZE[0]


def test_hf_parquet_loads_with_datasets_one_row_per_step(run_dir, tmp_path):
    result = export_run(run_dir, "hf", tmp_path / "hf", plan=plan(run_dir))
    files = sorted(str(p) for p in (tmp_path / "hf" / "data").glob("*.parquet"))
    ds = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "cache"))
    assert len(ds) == result.written == result.steps == 5
    assert isinstance(ds.features["image"], datasets.Image)
    row = ds[0]
    assert row["image"].size == SIZE and row["episode_id"] == "a-note" and row["success"] is True
    assert row["instruction"] == "Click Save." and row["skills"] == ["typing", "form"]
    action = json.loads(row["action"])
    assert row["action_kind"] == action["kind"] == "click"
    assert row["point"] == pytest.approx([action["x"] / SIZE[0], action["y"] / SIZE[1]], abs=1e-4)
    assert all(v == round(v, 4) for r in ds for v in r["point"]), "stored as 4 decimals, not float32 noise"
    assert row["target"]["name"] == "Save" and row["target"]["bbox"] == [80.0, 40.0, 60.0, 24.0]
    assert ds[2]["code"] == "pyautogui.write('Call back.')" and ds[2]["point"] == []
    assert [r["performer"] for r in ds] == ["script"] * 3 + ["volunteer", "script"]


def test_webdataset_shards_read_back_with_webdataset(run_dir, tmp_path):
    result = export_run(run_dir, "webdataset", tmp_path / "wds", plan=plan(run_dir))
    shards = sorted(str(p) for p in (tmp_path / "wds").glob("shard-*.tar"))
    samples = list(webdataset.WebDataset(shards, shardshuffle=False).decode("pil"))
    assert len(samples) == result.written == 5
    assert len({s["__key__"] for s in samples}) == 5
    first = samples[0]
    assert first["png"].size == SIZE and first["json"]["episode_id"] == "a-note"
    assert first["json"]["target"]["role"] == "button" and first["json"]["code"].startswith("pyautogui.click(")


def act(**fields) -> Action:
    return Action(i=0, t0_ms=0, t1_ms=1, events=(0, 1), **fields)


def pyautogui_calls(code: str) -> list[tuple[str, dict]]:
    """(function, keyword arguments) of each statement; every statement must be a pyautogui call."""
    calls = []
    for statement in ast.parse(code).body:
        call = statement.value
        assert isinstance(call, ast.Call) and call.func.value.id == "pyautogui", code
        [ast.literal_eval(a) for a in call.args]  # only literal arguments: nothing to evaluate
        calls.append((call.func.attr, {k.arg: ast.literal_eval(k.value) for k in call.keywords}))
    return calls


def test_pyautogui_trajectories_are_valid_code_with_normalised_coordinates(run_dir, tmp_path):
    export_run(run_dir, "pyautogui", tmp_path / "pg", plan=plan(run_dir))
    lines = (tmp_path / "pg" / "trajectories.jsonl").read_text().splitlines()
    trajectories = [json.loads(line) for line in lines]
    assert [t["episode_id"] for t in trajectories] == ["a-note", "b-priority", "c-unknown"]
    first = trajectories[0]
    assert first["instruction"] == "Click Save." and first["success"] is True
    assert first["screen"] == {"w": 640, "h": 360, "device_scale_factor": 1.0}
    assert first["appearance"]["theme"] == "classic" and first["appearance"]["locale"] == "en_US"
    for step in (s for t in trajectories for s in t["traj"]):
        assert (tmp_path / "pg" / step["image"]).is_file()
        for name, kwargs in pyautogui_calls(step["code"]):
            assert name in PYAUTOGUI_CALLS
            if "x" in kwargs:
                assert 0 <= kwargs["x"] <= 1 and 0 <= kwargs["y"] <= 1
    click = pyautogui_calls(first["traj"][0]["code"])[0][1]
    assert (round(click["x"] * 640), round(click["y"] * 360)) == (110, 52)  # the centre of the Save button
    assert first["traj"][2]["action"] == "type 'Call back.' into the button \"Save\""


@pytest.mark.parametrize(("action", "code"), [
    (act(kind="double_click", x=320, y=180),
     "pyautogui.doubleClick(x=0.5, y=0.5)"),
    (act(kind="right_click", x=0, y=360), "pyautogui.rightClick(x=0.0, y=1.0)"),
    (act(kind="drag", x=64, y=36, x2=128, y2=72),
     "pyautogui.moveTo(x=0.1, y=0.1)\npyautogui.dragTo(x=0.2, y=0.2, button='left')"),
    (act(kind="scroll", x=320, y=180, dy=3),
     "pyautogui.scroll(-3, x=0.5, y=0.5)"),
    (act(kind="hotkey", keys=["ctrl", "s"]), "pyautogui.hotkey('ctrl', 's')"),
    (act(kind="key", keys=["Return"]), "pyautogui.press('enter')"),
    (act(kind="type", text="it's \"ok\"\n"),
     "pyautogui.write('it\\'s \"ok\"\\n')"),
])
def test_every_action_kind_becomes_pyautogui_code(action, code):
    assert action_code(action, Screen(w=640, h=360)) == code
    assert all(name in PYAUTOGUI_CALLS for name, _ in pyautogui_calls(code))


MIND2WEB_TASK = {  # the field layout of Mind2Web's task records (plus Multimodal-Mind2Web's screenshot)
    "type": "object",
    "required": ["annotation_id", "website", "domain", "subdomain", "confirmed_task", "action_reprs", "actions"],
    "properties": {
        "action_reprs": {"type": "array", "items": {"pattern": r"^\[.*\]  .* -> (CLICK|TYPE|SELECT)"}},
        "actions": {"type": "array", "items": {
            "type": "object",
            "required": ["action_uid", "raw_html", "cleaned_html", "operation", "pos_candidates", "neg_candidates"],
            "properties": {
                "operation": {"type": "object", "required": ["op", "original_op", "value"],
                              "properties": {"op": {"enum": ["CLICK", "TYPE", "SELECT"]}, "value": {"type": "string"}}},
                "pos_candidates": {"type": "array", "minItems": 1, "items": {
                    "type": "object",
                    "required": ["tag", "attributes", "backend_node_id", "is_original_target", "is_top_level_target"],
                    "properties": {"attributes": {"type": "string"}, "backend_node_id": {"type": "string"}},
                }},
            },
        }},
    },
}


def test_mind2web_tasks_follow_the_mind2web_layout_and_load_with_datasets(run_dir, tmp_path):
    export_run(run_dir, "mind2web", tmp_path / "m2w", plan=plan(run_dir))
    path = tmp_path / "m2w" / "data" / "tasks.json"
    tasks = json.loads(path.read_text())
    for task in tasks:
        jsonschema.validate(task, MIND2WEB_TASK)
        for action in task["actions"]:
            candidate = action["pos_candidates"][0]
            attributes = json.loads(candidate["attributes"])
            assert attributes["backend_node_id"] == candidate["backend_node_id"]
            assert len(attributes["bounding_box_rect"].split(",")) == 4
            assert (tmp_path / "m2w" / action["screenshot"]).is_file()
    note, priority = tasks[0], tasks[1]
    assert note["confirmed_task"] == "Click Save." and note["action_reprs"][-1] == "[button]  Save -> TYPE: Call back."
    assert priority["actions"][0]["operation"] == {"op": "SELECT", "original_op": "SELECT", "value": "High"}
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    assert ds[0]["actions"][2]["operation"]["op"] == "TYPE" and len(ds) == 3


def test_enter_acts_on_the_focused_element(tmp_path):
    select = Target(role="combobox", name="Status", tag="select", selector="#status", bbox=(10, 10, 100, 20))
    actions = [act(kind="click", x=50, y=20, target=select), act(kind="key", keys=["Down"]),
               act(kind="key", keys=["Return"])]
    steps = [Step(episode_id="e", task="crm/x", skills=(), performer="script", success=True, instruction="Pick.",
                  index=n, action=a.model_copy(update={"i": n}), frame_before=None, screen=Screen(w=640, h=360))
             for n, a in enumerate(actions)]
    export_mind2web(steps, tmp_path)
    task = json.loads((tmp_path / "data" / "tasks.json").read_text())[0]
    assert task["action_reprs"] == ["[combobox]  Status -> CLICK", "[combobox]  Status -> CLICK"]
    assert task["actions"][1]["operation"]["original_op"] == "ENTER"
    click, enter = (a["pos_candidates"][0] for a in task["actions"])
    assert enter["backend_node_id"] == click["backend_node_id"] == "1" and enter["tag"] == "select"


def test_actions_without_a_mind2web_operation_are_left_out():
    assert operation(act(kind="scroll", dy=2)) is None
    assert operation(act(kind="hotkey", keys=["ctrl", "s"])) is None
    assert operation(act(kind="key", keys=["Return"]))["original_op"] == "ENTER"


def test_the_cli_exports_with_filters_and_refuses_a_used_folder(run_dir, tmp_path):
    cli = [sys.executable, "-m", "cleantrace.cli", "export", str(run_dir), "--format", "pyautogui"]
    done = subprocess.run([*cli, "--out", str(tmp_path / "o"), "--only-success", "--task", "crm/*"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 episodes, 3 steps" in done.stdout and "steps" in done.stdout
    assert len((tmp_path / "o" / "trajectories.jsonl").read_text().splitlines()) == 1
    done = subprocess.run([*cli, "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stderr.strip().startswith("error: output folder") and "--out" in done.stderr


def damage(run_dir):
    """The audit's failing cases: a corrupt frame PNG (a-note) and a truncated events.jsonl (c-unknown)."""
    png = run_dir / "a-note" / "frames" / "000001.png"
    png.write_bytes(png.read_bytes()[: png.stat().st_size // 2])
    events = run_dir / "c-unknown" / "events.jsonl"
    events.write_bytes(events.read_bytes()[: events.stat().st_size // 2])


@pytest.mark.parametrize("fmt", ["hf", "webdataset", "pyautogui", "mind2web"])
def test_every_export_leaves_out_a_corrupt_frame_or_a_truncated_log_and_names_it(run_dir, tmp_path, fmt):
    damage(run_dir)
    result = export_run(run_dir, fmt, tmp_path / fmt, plan=plan(run_dir))
    assert result.episodes == 1 and result.steps == 1  # only b-priority is whole
    assert [r.split(":")[0] for r in result.invalid] == ["a-note", "c-unknown"]
    assert "000001.png is not a readable image" in result.invalid[0]
    assert "do not continue" in result.invalid[1]  # actions point at events that are gone
    if fmt == "hf":
        rows = datasets.load_dataset("parquet", data_files=str(tmp_path / fmt / "data" / "*.parquet"), split="train")
        assert [r["episode_id"] for r in rows] == ["b-priority"] and rows[0]["image"].size == SIZE
    if fmt == "webdataset":
        samples = list(webdataset.WebDataset(str(tmp_path / fmt / "shard-000000.tar"), shardshuffle=False))
        assert len(samples) == 1


def test_validate_and_export_report_damaged_episodes_without_a_traceback(run_dir, tmp_path):
    damage(run_dir)
    cli = [sys.executable, "-m", "cleantrace.cli"]
    done = subprocess.run([*cli, "validate", str(run_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
    assert "invalid  a-note" in done.stdout and "invalid  c-unknown" in done.stdout
    export = [*cli, "export", str(run_dir), "--format", "pyautogui"]
    done = subprocess.run([*export, "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "skipped invalid episode a-note" in done.stderr and "skipped invalid episode c-unknown" in done.stderr
    assert "2 invalid skipped" in done.stdout
    done = subprocess.run([*export, "--out", str(tmp_path / "p"), "--skip-invalid"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "p" / "trajectories.jsonl").read_text().splitlines()) == 1  # b-priority (no skills known)


def test_a_shift_click_keeps_its_modifier_in_pyautogui_and_mind2web(tmp_path):
    """The audit's case: shift-click on a grid cell exported as a plain click."""
    cell = Target(role="gridcell", name="B7", tag="td", selector="#b7", bbox=(100, 100, 80, 20))
    shift_click = act(kind="click", x=140, y=110, keys=["shift"], target=cell)
    code = action_code(shift_click, Screen(w=640, h=360))
    assert code == "pyautogui.keyDown('shift')\npyautogui.click(x=0.2188, y=0.3056)\npyautogui.keyUp('shift')"
    assert [name for name, _ in pyautogui_calls(code)] == ["keyDown", "click", "keyUp"]
    assert operation(shift_click) == {"op": "CLICK", "original_op": "SHIFT+CLICK", "value": "", "modifiers": ["shift"]}
    steps = [Step(episode_id="e", task="sheet/x", skills=(), performer="script", success=True, instruction="Select.",
                  index=0, action=shift_click, frame_before=None, screen=Screen(w=640, h=360))]
    export_mind2web(steps, tmp_path)
    task = json.loads((tmp_path / "data" / "tasks.json").read_text())[0]
    assert task["action_reprs"] == ["[gridcell]  B7 -> CLICK (shift held)"]
    assert task["actions"][0]["operation"]["modifiers"] == ["shift"]


def test_hf_and_agentnet_carry_step_text_history_frame_after_and_a_terminate_step(tmp_path):
    run = tmp_path / "run"
    write_episode(run / "ep", screens=(("Leads",), ("Lead",), ("Saved",)), typed="Call back.", size=SIZE, done=True)
    hf = export_run(run, "hf", tmp_path / "hf", plan=plan(run))
    rows = datasets.load_dataset("parquet", data_files=str(tmp_path / "hf" / "data" / "*.parquet"), split="train")
    assert hf.steps == len(rows) == 4
    assert [r["step_instruction"] for r in rows] == [
        "Click the Save button", "Click the Save button", "Type 'Call back.' into the Save button",
        "Done: the task is complete"]
    assert [len(r["previous_steps"]) for r in rows] == [0, 1, 2, 3]
    assert rows[2]["previous_steps"][1] == rows[1]["step_instruction"]
    assert rows[0]["image_after"].size == SIZE and rows[0]["device_scale_factor"] == 1.0
    assert [r["terminate"] for r in rows] == [False, False, False, True]
    assert rows[3]["code"] == "computer.terminate(status='success')"
    assert rows[0]["code_abs"] == "pyautogui.click(x=110, y=52)"
    export_run(run, "agentnet", tmp_path / "an", plan=plan(run))
    tasks = datasets.load_dataset("json", data_files=str(tmp_path / "an" / "tasks.jsonl"), split="train",
                                  cache_dir=str(tmp_path / "cache"))
    task = tasks[0]
    assert task["instruction"] == "Click Save." and task["task_completed"] is True
    assert [s["value"]["action"] for s in task["traj"]] == [r["step_instruction"] for r in rows]
    assert [s["value"]["code"] for s in task["traj"]] == [r["code"] for r in rows]
    assert all((tmp_path / "an" / s["image"]).is_file() for s in task["traj"])


@pytest.fixture
def labelled_run(tmp_path):
    """Two episodes with labelled frames; the second shows the same screens (deduplicated)."""
    run = tmp_path / "labelled"
    for name in ("a-one", "b-two"):
        write_episode(run / name, screens=(("Leads",), ("Lead",), ("Saved",)), size=SIZE, labels=True, done=True)
    return run


def test_grounding_pairs_read_back_with_datasets_one_row_per_distinct_screenshot(labelled_run, tmp_path):
    result = export_run(labelled_run, "grounding", tmp_path / "g", plan=plan(labelled_run))
    rows = datasets.load_dataset("parquet", data_files=str(tmp_path / "g" / "data" / "*.parquet"), split="train")
    assert result.written == len(rows) == 3  # three distinct screens; b-two's identical ones are left out
    assert len({r["image_id"] for r in rows}) == 3 and {r["episode_id"] for r in rows} == {"a-one"}
    row = rows[0]
    assert row["image"].size == SIZE and (row["width"], row["height"]) == SIZE
    pairs = {e["instruction"]: e for e in row["elements"]}
    assert set(pairs) == {"the Save button", "the Cancel button", "the Notes field"}
    save = pairs["the Save button"]
    assert save["bbox"] == pytest.approx([80 / 640, 40 / 360, 140 / 640, 64 / 360], abs=1e-4)
    assert save["bbox_px"] == [80.0, 40.0, 60.0, 24.0]


def test_mind2web_from_labelled_frames_has_real_html_and_negative_candidates(labelled_run, tmp_path):
    export_run(labelled_run, "mind2web", tmp_path / "m", plan=plan(labelled_run))
    task = json.loads((tmp_path / "m" / "data" / "tasks.json").read_text())[0]
    jsonschema.validate(task, MIND2WEB_TASK)
    click = task["actions"][0]
    assert click["pos_candidates"][0]["backend_node_id"] == "41" and click["pos_candidates"][0]["is_original_target"]
    assert [c["backend_node_id"] for c in click["neg_candidates"]] == ["42", "43"]
    assert '<button backend_node_id="41" name="Save">' in click["cleaned_html"]
    assert "generic" in click["raw_html"] and "generic" not in click["cleaned_html"]


def test_damaged_labels_make_an_episode_invalid(labelled_run):
    from cleantrace.trace.validate import validate_episode

    folder = labelled_run / "a-one"
    assert validate_episode(folder).ok
    victim = next((folder / "labels").iterdir())
    victim.write_bytes(victim.read_bytes()[:20])
    assert any("is not readable labels" in p for p in validate_episode(folder).problems)


def test_frames_can_be_exported_as_lossless_webp_with_the_pointer_drawn_in(tmp_path):
    import numpy as np
    from PIL import Image

    from cleantrace.export import ImageOptions

    run = tmp_path / "run"
    folder = write_episode(run / "ep", size=SIZE)
    export_run(run, "webdataset", tmp_path / "w", plan=plan(run), images=ImageOptions("webp", cursor=True))
    [sample] = list(webdataset.WebDataset(str(tmp_path / "w" / "shard-000000.tar"), shardshuffle=False).decode("pil"))
    assert "webp" in sample and "after.webp" in sample and "png" not in sample
    original = np.asarray(Image.open(folder / "frames" / "000000.png").convert("RGB")).astype(int)
    exported = np.asarray(sample["webp"].convert("RGB")).astype(int)
    x, y = json.loads(sample["json"]["action"])["x"], json.loads(sample["json"]["action"])["y"]
    changed = np.argwhere((original != exported).any(axis=2))
    assert len(changed) > 30  # the arrow, its tip at the pointer (its white outline is unseen on white)
    assert x <= changed[:, 1].min() <= x + 2 and y <= changed[:, 0].min() <= y + 2
    assert changed[:, 1].max() <= x + 13 and changed[:, 0].max() <= y + 21  # nothing else: lossless
    assert (exported[y + 8, x + 2] == 0).all()  # black inside the arrow
