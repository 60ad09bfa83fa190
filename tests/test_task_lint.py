"""`cleantrace tasks lint`: each kind of bad task (issue 20) is caught without a sandbox, in one line
naming the file and line and the fix; a good task passes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cleantrace.errors import TaskError
from cleantrace.tasks import load_registry
from cleantrace.tasks.lint import lint_tasks, setup_on_host
from tests.conftest import TASKS_DIR, write_pack_with

GOOD = {
    "app": '"crm"',
    "skills": '("native-select", "click")',
    "difficulty": '"easy"',
    "instruction": '("Set {lead} to {status}.", "Make {lead} {status}.", "Change {lead}\'s status to {status}.")',
    "setup": 'lead = world.pick("leads")\n'
             '        return {"lead": lead.name, "status": world.choice([s for s in STATUSES if s != lead.status])}',
    "check": 'return world.db.scalar("select status from leads where name=?", p["lead"]) == p["status"]',
    "wrong": 'current = world.db.scalar("select status from leads where name=?", p["lead"])\n'
             '        return {**p, "status": next(s for s in STATUSES if s not in (p["status"], current))}',
    "effect": 'lead = world.db.rows("select * from leads where name=?", p["lead"])[0]\n'
              '        app.post(f"/leads/{lead.id}", data={"status": p["status"], "priority": lead.priority})',
}

MODULE = '''from cleantrace.tasks import Task

from .app import STATUSES


class Probe(Task):
    id = "crm/probe"
    app = {app}
    skills = {skills}
    difficulty = {difficulty}
    instruction = {instruction}

    def setup(self, world):
        {setup}

    def solve(self, actor, p):
        actor.click(role="link", name=p["lead"])

    def check(self, world, p):
        {check}

    def wrong_params(self, world, p):
        {wrong}

    def effect(self, app, world, p):
        {effect}
'''


def lint_probe(tmp_path, seeds: int = 8, no_effect: bool = False, **changes: str) -> list[str]:
    source = MODULE.format(**{**GOOD, **changes})
    root = write_pack_with(tmp_path, "probe.py", source.split("    def effect")[0] if no_effect else source)
    report = lint_tasks(load_registry(root), seeds=seeds)
    lines = [str(p) for p in report.problems]
    assert all("\n" not in line for line in lines)
    return lines


def only(lines: list[str], *needles: str) -> str:
    """The one problem reported, which names the probe's file:line and every needle."""
    assert len(lines) == 1, lines
    assert re.match(r"\S*probe\.py:\d+: crm/probe: ", lines[0]), lines[0]
    assert all(n in lines[0] for n in needles), lines[0]
    assert " — " in lines[0]
    return lines[0]


def test_a_good_task_passes(tmp_path):
    assert lint_probe(tmp_path) == []


TEMPLATES_2 = '("Set {lead} to {status}.", "Make {lead} {status}.")'
TEMPLATE_FIELD = '("Set {lead} to {status}.", "Make {lead} {status}.", "Change {dael}\'s status to {status}.")'
LAX_CHECK = 'return world.db.scalar("select count(*) from leads where saves > 0") > 0'
BAD_TASKS = {  # a test id: (the probe's changes, what its one problem line names)
    "an_unknown_skill": ({"skills": '("native-select", "clik")'}, ("unknown skill", "'clik'", "did you mean 'click'")),
    "a_difficulty_outside_its_set": ({"difficulty": '"trivial"'}, ("difficulty 'trivial'", "easy | medium | hard")),
    "too_few_templates": ({"instruction": TEMPLATES_2}, ("2 distinct", "at least 3")),
    "a_template_field_setup_does_not_return": ({"instruction": TEMPLATE_FIELD},
                                               ("{dael}", "not returned by setup()")),
    "check_already_true_on_the_fresh_world": ({"check": "return True"},
                                              ("already True on the freshly seeded world",)),
    "wrong_params_equal_to_the_right_ones": ({"wrong": "return dict(p)"},
                                             ("wrong_params() returned the right parameters",)),
    "a_check_fooled_by_the_wrong_effect": ({"check": LAX_CHECK},
                                           ("True after the effect of wrong_params()", "make check() specific")),
    "a_check_the_right_effect_does_not_satisfy": ({"effect": "pass"}, ("check() is False after effect()",)),
    "parameters_that_are_not_json": ({"setup": 'return {"lead": world.pick("leads"), "status": "Won"}'},
                                     ("not JSON",)),
    "parameters_that_do_not_vary": ({"setup": 'return {"lead": "Pat Doe", "status": "Lost"}', "no_effect": True},
                                    ("only 1 distinct parameter sets over 8 seeds",)),
}


@pytest.mark.parametrize(("changes", "needles"), BAD_TASKS.values(), ids=BAD_TASKS.keys())
def test_a_bad_task_is_one_problem_line(tmp_path, changes, needles):
    only(lint_probe(tmp_path, **changes), *needles)


def test_a_string_instead_of_a_tuple(tmp_path):
    line = only(lint_probe(tmp_path, skills='("click")'), "skills is a str", "tuple")
    assert line.split(":")[1] == "9"  # the line of `skills = …`


def test_a_failing_setup_names_its_own_line(tmp_path):
    line = only(lint_probe(tmp_path, setup='return {"lead": world.db.scalar("select nme from leads")}'),
                "setup() raised OperationalError", "no such column")
    assert line.split(":")[1] == "14"


def test_every_problem_is_listed_none_cut(tmp_path):
    lines = lint_probe(tmp_path, skills='("clik",)', difficulty='"trivial"', instruction='"Set {lead}."',
                       check="return True")
    assert len(lines) == 4, lines


def test_a_class_not_derived_from_task_and_an_app_misspelt_are_load_problems(tmp_path):
    source = MODULE.format(**GOOD).replace("class Probe(Task):", "class Probe:")
    root = write_pack_with(tmp_path, "probe.py", source)
    (problem,) = lint_tasks(load_registry(root)).problems
    assert "probe.py:6:" in problem.where + ":" and "not derived from Task" in str(problem)
    root = write_pack_with(tmp_path / "b", "probe.py", MODULE.format(**{**GOOD, "app": '"crmm"'}))
    (problem,) = load_registry(root).problems
    assert "unknown app 'crmm'" in problem and "did you mean app = 'crm'?" in problem and "rename" not in problem


def test_a_task_whose_module_failed_says_so_with_the_real_line(tmp_path):
    source = MODULE.format(**GOOD).replace("from .app import STATUSES", "from .app import STATUSES\n1/0")
    registry = load_registry(write_pack_with(tmp_path, "probe.py", source))
    with pytest.raises(TaskError) as err:
        registry.get("crm/probe")
    assert "did not load" in str(err.value) and "probe.py:4: cannot import: ZeroDivisionError" in str(err.value)


def test_a_broken_app_is_named_once_as_itself_and_run_suggests_no_other_app(tmp_path):
    root = write_pack_with(tmp_path, "probe.py", MODULE.format(**GOOD))
    (root / "crm" / "app").unlink()
    (root / "crm" / "app").mkdir()
    (root / "crm" / "app" / "__init__.py").write_text("import os\ndef create_app(:\n")
    (root / "mail").symlink_to(TASKS_DIR / "mail")
    registry = load_registry(root)
    (problem,) = registry.problems
    assert problem.startswith(f"{root / 'crm' / 'app' / '__init__.py'}:2: the app of pack 'crm' cannot be imported")
    with pytest.raises(TaskError) as err:
        registry.get("crm/probe")
    assert "the app of pack 'crm'" in str(err.value) and "mail/" not in str(err.value)


def test_tasks_show_on_a_fresh_skeleton_is_one_line(tmp_path):
    root = write_pack_with(tmp_path, "probe.py", "")
    from cleantrace.tasks.skeleton import write_skeleton

    write_skeleton(load_registry(root), "crm/reopen-lead")
    registry = load_registry(root)
    with pytest.raises(TaskError) as err:
        setup_on_host(registry, registry.get("crm/reopen-lead"), 0)
    assert "reopen_lead.py:21: setup() of crm/reopen-lead" in str(err.value)
    assert "write setup()" in err.value.hint
    lines = lint_tasks(registry, ["crm/reopen-lead"]).problems
    assert [p.what.split(" raised")[0] for p in lines] == ["setup()"]


def test_the_cli_lints_and_exits_non_zero_on_problems(tmp_path):
    root = write_pack_with(tmp_path, "probe.py", MODULE.format(**{**GOOD, "difficulty": '"trivial"'}))
    result = subprocess.run([sys.executable, "-m", "cleantrace.cli", "tasks", "lint", "--seeds", "4",
                             "--tasks-dir", str(root)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "problem: " in result.stderr and "difficulty 'trivial'" in result.stderr
    assert "1 problem(s)" in result.stdout


def test_run_reports_a_failing_setup_before_any_sandbox_starts(tmp_path):
    from cleantrace.fleet import run

    source = MODULE.format(**{**GOOD, "setup": 'return {"lead": world.db.scalar("select nme from leads")}'})
    root = write_pack_with(tmp_path, "probe.py", source)
    with pytest.raises(TaskError) as err:
        run(["crm/probe"], episodes=2, out=tmp_path / "runs", tasks_dir=root)
    assert "probe.py:14: setup() of crm/probe on seed 0 raised OperationalError" in str(err.value)
    assert "(and 1 more episode(s) whose setup fails)" in str(err.value) and "no sandbox" in err.value.hint
    assert not (tmp_path / "runs").exists()


def test_the_keyboard_and_mouse_personas_force_each_branch_of_prefers_keyboard():
    from cleantrace.perform.actor import Actor
    from cleantrace.perform.persona import persona_named

    for name, expected in (("keyboard", True), ("mouse", False)):
        actor = Actor(None, None, None, seed=7, persona=persona_named(name))  # type: ignore[arg-type]
        assert {actor.prefers_keyboard() for _ in range(200)} == {expected}


def test_a_missing_target_names_the_nearest_ones_on_the_page():
    from cleantrace.perform.actor import nearest_targets

    snapshot = '- link "Leads":\n  - /url: /\n- button "Save lead"\n- button "Reopen lead"\n- textbox "Notes"\n'
    assert nearest_targets(snapshot, "button", "Reopen")[0] == "role='button' name='Reopen lead'"
    assert nearest_targets(snapshot, None, None, label="Note")[0] == "role='textbox' name='Notes'"
    assert nearest_targets(snapshot, "slider", "Volume") == []


@pytest.mark.parametrize("app", ["crm", "mail", "sheet"])
def test_the_generated_app_references_show_the_current_schema(app):
    """docs/apps/<app>.md comes from `cleantrace inspect`; its database part must match the app today."""
    from cleantrace.sandbox.inspect_app import AppInspection, inspect_schema

    registry = load_registry(TASKS_DIR)
    doc = (TASKS_DIR.parent / "docs" / "apps" / f"{app}.md").read_text()
    schema = AppInspection(app, 0, inspect_schema(registry, app, 0)).markdown()
    fix = f"regenerate: cleantrace inspect {app} --out docs/apps/{app}.md"
    assert schema.split("## Database")[1].strip() in doc, fix


def test_a_task_without_wrong_params_is_stopped_before_check_wrong_starts_a_sandbox(tmp_path):
    source = MODULE.format(**GOOD)
    source = source[:source.index("    def wrong_params")] + source[source.index("    def effect"):]
    only(lint_probe_source(tmp_path, source), "no wrong_params()", "define wrong_params(world, p)")


def test_tasks_check_says_how_many_problems_it_did_not_show(monkeypatch):
    from click.testing import CliRunner

    from cleantrace import cli
    from cleantrace.fleet import verify

    failing = verify.TaskCheck("crm/set-lead-status", episodes=5,
                               problems=[f"seed {n}: incomplete: boom {n}" for n in range(5)])
    monkeypatch.setattr(verify, "check_tasks", lambda *a, **k: [failing])
    result = CliRunner().invoke(cli.cli, ["tasks", "check", "crm/set-lead-status", "--seeds", "5"])
    assert result.exit_code == 3
    assert "boom 2" in result.output and "boom 3" not in result.output
    assert "… and 2 more problem(s) not shown" in result.output


def lint_probe_source(tmp_path, source: str) -> list[str]:
    report = lint_tasks(load_registry(write_pack_with(tmp_path, "probe.py", source)), seeds=8)
    return [str(p) for p in report.problems]


def test_the_wrong_pack_mirrors_the_packs_a_desktop_task_serves(tmp_path):
    """`tasks check --wrong` of a cross-app task loads: its web apps' packs are in the mirror too."""
    from cleantrace.fleet.verify import WRONG_SUFFIX, write_wrong_pack

    registry = load_registry()
    task = "desktop/cross-calc-total-by-mail"
    root = write_wrong_pack(registry, [task], tmp_path / "tasks")
    mirrored = load_registry(root)
    assert mirrored.problems == []
    assert [t.id for t in mirrored.select([task + WRONG_SUFFIX])] == [task + WRONG_SUFFIX]
    assert {"desktop", "mail"} <= set(mirrored.packs)
