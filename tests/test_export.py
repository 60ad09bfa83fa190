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


def test_volunteer_episodes_are_exported_only_once_accepted_unless_asked(run_dir):
    for reviews in ('{"b-priority": "rejected"}', "{}"):
        (run_dir / "reviews.json").write_text(reviews)
        every = plan(run_dir)
        assert [e.meta.episode_id for e in every.episodes] == ["a-note", "c-unknown"]
        assert any("1 volunteer episode(s) left out: not accepted" in n for n in every.notes)
        assert "b-priority" in [e.meta.episode_id for e in plan(run_dir, unreviewed_volunteers=True).episodes]
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
    assert first["screen"] == {"w": 640, "h": 360}
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
