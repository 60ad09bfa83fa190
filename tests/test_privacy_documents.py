"""Documents left in a desktop episode's home folder are part of the privacy scan: their text, read with
the checks' libraries, is scanned like typed text; a planted real-looking phone or e-mail is a finding."""

from __future__ import annotations

import json

from cleantrace.privacy.documents import record_home_documents
from cleantrace.privacy.scan import scan_episode
from cleantrace.trace import files
from cleantrace.world.documents import docx_bytes, odt_bytes, xlsx_bytes
from tests.synthetic import write_episode


def home_with(tmp_path, documents: dict[str, bytes]):
    home = tmp_path / "home"
    for rel, data in documents.items():
        (home / rel).parent.mkdir(parents=True, exist_ok=True)
        (home / rel).write_bytes(data)
    return home


def test_a_planted_phone_and_email_in_saved_documents_are_findings(tmp_path):
    episode = write_episode(tmp_path / "ep")
    home = home_with(tmp_path, {
        "Documents/contacts.xlsx": xlsx_bytes({"S": [["Name", "Phone"], ["Ada", "(212) 555-0101"],
                                                     ["Bo", "(212) 736-5000"]]}),
        "Documents/memo.docx": docx_bytes([("Normal", "Write to jane.doe@gmail.com about it.")]),
        "Documents/fine.odt": odt_bytes([("Normal", "ada@example.com, (415) 555-0199")]),
        ".config/app/settings.txt": b"ignored@gmail.com\n",  # an app's own settings are not documents
        "Documents/broken.xlsx": b"not a zip",
    })
    assert record_home_documents(home, episode) == 4
    rows = [json.loads(line) for line in (episode / files.HOME_DOCUMENTS).read_text().splitlines()]
    assert [r["path"] for r in rows] == ["Documents/broken.xlsx", "Documents/contacts.xlsx", "Documents/fine.odt",
                                         "Documents/memo.docx"]
    assert rows[0]["error"].startswith("Documents/broken.xlsx cannot be read as a spreadsheet")
    scan = scan_episode(episode, ocr=False)
    found = {(f.kind, f.text, f.record) for f in scan.findings}
    assert found == {
        ("phone", "(212) 736-5000", f"{files.HOME_DOCUMENTS}:2 ~/Documents/contacts.xlsx"),
        ("email", "jane.doe@gmail.com", f"{files.HOME_DOCUMENTS}:4 ~/Documents/memo.docx"),
    }
    assert files.unexpected_files(episode) == []  # home.jsonl is part of the trace


def test_a_home_with_only_reserved_data_scans_clean(tmp_path):
    episode = write_episode(tmp_path / "ep")
    record_home_documents(home_with(tmp_path, {"Documents/a.odt": odt_bytes([("Normal", "bo@acme.test")])}), episode)
    assert scan_episode(episode, ocr=False).clean


def test_numbers_of_neighbouring_cells_are_not_read_as_one_phone_number(tmp_path):
    """A desktop pack's order sheet: 'Headsets 27 9.25 249.75' read as one row of text was the valid
    NANP number 279-252-4975; each cell is read on its own, and a number in one cell is still found."""
    episode = write_episode(tmp_path / "ep")
    sheet = [["Item", "Quantity", "Price", "Total"], ["Headsets", 27, 9.25, 249.75], ["Chairs", 36, 87, 3132]]
    record_home_documents(home_with(tmp_path, {"Documents/orders-9.xlsx": xlsx_bytes({"Orders": sheet})}), episode)
    assert scan_episode(episode, ocr=False).clean
    sheet.append(["Call", "279 252 4975", None, None])
    record_home_documents(home_with(tmp_path, {"Documents/orders-9.xlsx": xlsx_bytes({"Orders": sheet})}), episode)
    assert [(f.kind, f.text) for f in scan_episode(episode, ocr=False).findings] == [("phone", "279 252 4975")]
