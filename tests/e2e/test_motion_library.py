"""End to end: the movement-library performer (`run --motion library:RUN`) does a whole task.

There are no volunteer traces on this machine, so the library's source run is recorded here by
the model performer; the library then retargets those recorded movements to new points.
"""

from __future__ import annotations

import json

import pytest

from cleantrace.fleet import run
from cleantrace.perform.library import MovementLibrary
from cleantrace.trace.reader import read_episode

pytestmark = pytest.mark.e2e
TASK = "crm/set-lead-status"


def pointer_path(run_dir):
    folder = next(p for p in run_dir.iterdir() if (p / "meta.json").exists())
    return [(e.x, e.y) for e in read_episode(folder).events if e.kind == "move"]


def test_a_task_succeeds_moved_by_retargeted_recorded_movements(tmp_path):
    source = run([TASK], seed=0, out=tmp_path, run_id="source", workers=1)
    assert source.successes == 1
    library = MovementLibrary.from_run(tmp_path / "source")
    assert len(library) >= 2

    result = run([TASK], seed=0, out=tmp_path, run_id="library", workers=1, motion=f"library:{tmp_path / 'source'}")
    assert result.successes == 1, [r.status for r in result.rows]
    plan = json.loads((tmp_path / "library" / "run.json").read_text())
    assert plan["settings"]["motion"] == f"library:{(tmp_path / 'source').resolve()}"
    # the same seed and persona, another motion source: other pointer paths to the same successful end
    assert pointer_path(tmp_path / "library") != pointer_path(tmp_path / "source")
