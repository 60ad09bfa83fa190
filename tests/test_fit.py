"""Fitting personas to recordings: data generated with known parameters is fitted back."""

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from click.testing import CliRunner

from cleantrace.cli import cli
from cleantrace.errors import CleantraceError
from cleantrace.perform.fit import ASSUMED_WIDTH, fit_source, read_source
from cleantrace.perform.motion import path_between
from cleantrace.perform.persona import Persona, load_personas, persona_named
from cleantrace.perform.typing import typing_timeline

# two people, far apart in every fitted parameter
ANNA = Persona("anna", fitts_a=0.1, fitts_b=0.16, mt_spread=0.2, primary_share=0.28, primary_short=0.1,
               primary_miss_sd=0.1, bend_sd=0.05, stop_rate=0.05, noise_gain=0.4, iki_mean=0.18, iki_cv=0.6,
               hold_mean=0.08, shift_lead=0.15)
BORIS = Persona("boris", fitts_a=0.2, fitts_b=0.26, mt_spread=0.35, primary_share=0.42, primary_short=0.22,
                primary_miss_sd=0.18, bend_sd=0.1, stop_rate=0.3, correction_odds=(0.05, 0.3, 0.4, 0.25),
                noise_gain=0.8, iki_mean=0.3, iki_cv=1.0,
                hold_mean=0.11, shift_lead=0.25)
# how close the fit must come from 150 movements and 12 texts a person: relative to the true value,
# or absolute for those that can be near zero. The stop rate is not checked: most stops come from
# slow corrections, so the few deliberate ones are not identifiable from this little data.
TOLERANCE = {"fitts_b": 0.15, "mt_spread": 0.2, "primary_share": 0.2, "primary_miss_sd": 0.45, "bend_sd": 0.45,
             "noise_gain": 0.4, "iki_mean": 0.1, "iki_cv": 0.3, "hold_mean": 0.1, "shift_lead": 0.25}
ABSOLUTE = {"fitts_a": 0.08, "primary_short": 0.1}
TEXTS = ("Dana Whitfield wrote", "Invoice #4471 Paid", "Follow up on Thursday with ACME", "room B at 3 pm")


def write_log(path, people, movements=150, seed=0):
    """A CSV of raw pointer and key logs: each person clicks `movements` times and types the texts."""
    rng = np.random.default_rng(seed)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["person", "session", "timestamp", "x", "y", "button", "state", "key"])
        for person in people:
            t, here = 10.0, (640, 400)
            for n in range(movements):
                session = f"s{n // 50}"
                goal = tuple(int(v) for v in rng.uniform([40, 40], [1240, 760]))
                move = path_between(here, goal, ASSUMED_WIDTH, rng, person)
                for (x, y), when in zip(move.points.tolist(), np.cumsum(move.delays).tolist(), strict=True):
                    out.writerow([person.name, session, f"{t + when:.4f}", x, y, "NoButton", "Move", ""])
                t += move.duration + rng.uniform(0.1, 0.3)
                out.writerow([person.name, session, f"{t:.4f}", *goal, "Left", "Pressed", ""])
                out.writerow([person.name, session, f"{t + 0.1:.4f}", *goal, "Left", "Released", ""])
                t, here = t + rng.uniform(0.5, 1.5), goal
            for text in TEXTS * 3:
                for e in typing_timeline(text, rng, person):
                    out.writerow([person.name, "typing", f"{t + e.t:.4f}", "", "", "", "press" if e.down else "release",
                                  e.key])
                t += 20
    return path


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    log = write_log(tmp_path_factory.mktemp("logs") / "logs.csv", [ANNA, BORIS])
    return fit_source(log, seed=1)


@pytest.mark.parametrize("truth", [ANNA, BORIS], ids=["anna", "boris"])
def test_known_parameters_are_recovered_within_tolerance(fitted, truth):
    got = fitted["personas"][truth.name]
    for name, tolerance in [*TOLERANCE.items(), *ABSOLUTE.items()]:
        want = getattr(truth, name)
        allowed = tolerance if name in ABSOLUTE else tolerance * want
        assert abs(got[name] - want) <= allowed, f"{name}: fitted {got[name]:.3f}, true {want:.3f}"
    assert fitted["fit"][truth.name]["movements"] >= 140


def test_people_are_fitted_apart_and_pooled_between(fitted):
    anna, boris, pooled = (fitted["personas"][k] for k in ("anna", "boris", "pooled"))
    for name in ("fitts_b", "primary_share", "iki_mean", "hold_mean"):
        assert anna[name] < pooled[name] < boris[name], name


def test_the_file_names_personas_a_run_can_use(fitted, tmp_path):
    path = tmp_path / "personas.json"
    path.write_text(json.dumps(fitted))
    people = load_personas(path)
    assert set(people) == {"anna", "boris", "pooled"}
    anna = persona_named(f"fitted:{path}#anna")
    assert anna.name == "fitted-anna" and anna == people["anna"]
    assert persona_named(f"fitted:{path}") == people["pooled"]
    with pytest.raises(CleantraceError, match="no persona 'carl'"):
        persona_named(f"fitted:{path}#carl")


def test_the_cli_writes_the_personas_file(tmp_path):
    log = write_log(tmp_path / "one.csv", [replace(ANNA, name="solo")], movements=40)
    result = CliRunner().invoke(cli, ["personas", "fit", str(log), "--out", str(tmp_path / "p.json")])
    assert result.exit_code == 0, result.output
    assert set(json.loads((tmp_path / "p.json").read_text())["personas"]) == {"solo"}
    assert "fitted:" in result.output


def test_bad_logs_are_one_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,x\n1,2\n")
    with pytest.raises(CleantraceError, match="needs columns timestamp"):
        read_source(bad)
    bad.write_text("timestamp,x,y,button,state\n1.0,5,5,NoButton,Hover\n")
    with pytest.raises(CleantraceError, match=r"bad.csv:2: pointer state 'Hover'"):
        read_source(bad)
    few = tmp_path / "few.csv"
    few.write_text("timestamp,x,y,button,state\n1.0,5,5,NoButton,Move\n1.1,50,5,NoButton,Move\n")
    with pytest.raises(CleantraceError, match="too little data"):
        fit_source(few)


def test_a_fitted_persona_reaches_the_sandbox_in_the_spec_not_as_a_file(fitted, tmp_path):
    from cleantrace.fleet.plan import episode_id_for
    from cleantrace.perform.persona import expand_persona_names, persona_params

    path = tmp_path / "personas.json"
    path.write_text(json.dumps(fitted))
    names = expand_persona_names(["default", f"fitted:{path}"])
    assert names == ["default", *(f"fitted:{path.resolve()}#{p}" for p in ("anna", "boris", "pooled"))]
    assert episode_id_for("crm/x", 3, names[1]) == "crm--x--s3--fitted-anna"
    params = json.loads(json.dumps(persona_params(names[1])))  # as the spec carries it
    path.unlink()  # inside the sandbox the file is out of sight
    assert persona_named(names[1], params) == load_personas_from(fitted)["anna"]


def load_personas_from(data):
    from cleantrace.perform.persona import persona_from_params

    return {k: persona_from_params(f"fitted-{k}", {"name": f"fitted-{k}", **v}) for k, v in data["personas"].items()}
