"""A hostile volunteer's personal data, left through real X input in a real sandbox in every form the
trace keeps it (typed then erased, typed with no field focused, pasted from the clipboard, typed into
a field: an IBAN, an SSN, a street address, a date of birth), is found by `cleantrace scan`, blocks
the episode, and is stored masked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleantrace.fleet import run
from cleantrace.privacy import scan_episode
from cleantrace.trace.reader import read_episode
from tests.conftest import runner_scans_without_ocr

pytestmark = pytest.mark.e2e
PACKS = Path(__file__).parent / "packs"


def test_every_planted_identifier_is_found_in_the_recorded_episode(tmp_path):
    # what the runner's own scan must find here is in the events: reading the ~200 frames of this long
    # typed episode (86 s at load 17) asserted nothing
    with runner_scans_without_ocr():
        result = run(["leaky/leave-data-everywhere"], out=tmp_path, run_id="leaky", tasks_dir=PACKS)
    row = result.rows[0]
    assert row.status == "success", row.message
    folder = result.run_dir / row.episode_id
    catalog = json.loads((result.run_dir / "catalog.jsonl").read_text().splitlines()[0])
    assert catalog["privacy"] == "findings"  # the runner's own scan blocked it

    trace = read_episode(folder)
    pastes = [e for e in trace.events if e.kind == "paste"]
    assert [e.text for e in pastes] == ["Refund to GB29 NWBK 6016 1331 9268 19 thanks"]

    scan = scan_episode(folder, ocr=False)
    found = {(f.kind, f.text, f.record.rsplit(" ", 1)[-1]) for f in scan.findings if f.file == "events.jsonl"}
    assert ("email", "jane.doe@gmail.com", "erased") in found
    assert ("phone", "030 12345678", "typed") in found
    assert ("iban", "GB29 NWBK 6016 1331 9268 19", "pasted") in found
    kinds = {kind for kind, _, _ in found}
    assert {"iban", "national-id", "address", "birth-date"} <= kinds

    stored = trace.meta.privacy
    assert stored.scan == "findings"
    assert not any(secret in line for line in stored.findings
                   for secret in ("jane.doe", "12345678", "536-90-4399", "Fifth Avenue", "14/03/1984"))
    done = subprocess.run([sys.executable, "-m", "cleantrace.cli", "scan", str(result.run_dir), "--no-ocr"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and "0/1 clean" in done.stdout
    assert "jane.doe" not in done.stdout
