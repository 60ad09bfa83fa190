"""`cleantrace tasks try ID --keep`: after the episode the sandbox's browser stays reachable on the host's
loopback (and only there) until Ctrl-C; then the sandbox is gone and nothing is left running."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import sandboxed_processes, wait_until

pytestmark = pytest.mark.e2e
CLI = str(Path(sys.executable).parent / "cleantrace")


def test_a_kept_sandbox_serves_its_page_until_ctrl_c_then_nothing_is_left(tmp_path):
    before = sandboxed_processes()
    keep_folders = set(Path("/tmp").glob("cleantrace-keep-*"))
    proc = subprocess.Popen([CLI, "tasks", "try", "crm/set-lead-status", "--seed", "1", "--keep", "--out",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("kept:" in ln for ln in lines) or proc.poll() is not None,
                   "the kept browser's URL printed", timeout=300, poll=0.1)
        kept = next((ln for ln in lines if "kept:" in ln), None)
        assert kept, "".join(lines)
        url = kept.split("browser is at ")[1].split()[0]
        host, port = url.removeprefix("http://").split(":")
        assert host == "127.0.0.1"
        assert sandboxed_processes() - before, "the sandbox is still up while kept"

        pages = json.load(urllib.request.urlopen(f"{url}/json/list", timeout=30))
        (page,) = [p for p in pages if p["type"] == "page"]
        assert page["url"].startswith("http://127.0.0.1:8000/")
        meta = json.loads(next(tmp_path.glob("*/*/meta.json")).read_text())
        assert meta["outcome"]["status"] == "success"  # sealed before it was kept

        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:  # drive the very page the episode left, through the printed URL
            browser = pw.chromium.connect_over_cdp(url)
            shown = browser.contexts[0].pages[0].evaluate("document.body.innerText")
        assert meta["params"]["lead"] in shown

        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=300) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    out = "".join(lines)
    assert "success" in out and "tearing the sandbox down" in out
    assert sandboxed_processes() <= before, "every process of the sandbox is gone"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(port))) != 0, "the loopback relay is closed"
    assert set(Path("/tmp").glob("cleantrace-keep-*")) <= keep_folders, "the keep folder is removed"
