"""The parts of the lockdown that need no sandbox: the bwrap command, the browser policy, the shortcut grab."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cleantrace.sandbox.keys import ShortcutBlock
from cleantrace.sandbox.local import INSIDE_OUT, sandbox_command
from cleantrace.sandbox.policy import chromium_policy, write_policy
from cleantrace.sandbox.rootfs import SANDBOX_UID, write_etc


def test_the_root_is_built_from_an_allow_list_not_the_hosts(tmp_path):
    write_etc(tmp_path)
    cmd = sandbox_command(["true"], tmp_path / "run" / "ep", Path("/tasks"), tmp_path)
    triples = list(zip(cmd, cmd[1:], cmd[2:], strict=False))
    assert ("--ro-bind", "/", "/") not in triples and ("--bind", "/", "/") not in triples
    assert ("--ro-bind", "/usr", "/usr") in triples
    assert ("--ro-bind", str(tmp_path / "passwd"), "/etc/passwd") in triples
    assert ("--bind", str(tmp_path / "run" / "ep"), INSIDE_OUT) in triples
    assert cmd.count("--bind") == 1, "the episode folder is the only writable host path"
    assert ("--remount-ro", "/", "--unshare-net") in triples
    assert f"{SANDBOX_UID}" in " ".join(cmd), "the processes run as the sandbox user"
    assert f"{SANDBOX_UID}:{SANDBOX_UID}:sandbox" in (tmp_path / "passwd").read_text()


def test_the_policy_allows_only_the_apps_origin(tmp_path):
    policy = json.loads(write_policy(tmp_path).read_text())
    assert policy == chromium_policy()
    assert policy["URLBlocklist"][0] == "*" and policy["URLAllowlist"] == ["http://127.0.0.1:8000", "about:blank"]
    assert policy["DownloadRestrictions"] == 3 and policy["PrintingEnabled"] is False
    assert policy["AllowFileSelectionDialogs"] is False and policy["ExtensionInstallBlocklist"] == ["*"]
    assert "DeveloperToolsAvailability" not in policy, "it would refuse the recorder's DevTools connection"


def test_the_shortcut_block_keeps_ctrl_n_from_a_window_but_not_ctrl_s(xvfb):
    from Xlib import XK, X
    from Xlib.display import Display
    from Xlib.ext import xtest

    app = Display(xvfb)
    window = app.screen().root.create_window(0, 0, 200, 200, 0, app.screen().root_depth,
                                             event_mask=X.KeyPressMask)
    window.map()
    app.sync()
    window.set_input_focus(X.RevertToParent, X.CurrentTime)
    app.sync()
    block = ShortcutBlock(xvfb)
    try:
        for key in ("n", "s"):
            for keysym, down in (("Control_L", True), (key, True), (key, False), ("Control_L", False)):
                code = app.keysym_to_keycode(XK.string_to_keysym(keysym))
                xtest.fake_input(app, X.KeyPress if down else X.KeyRelease, code)
            app.sync()
        n, s = (app.keysym_to_keycode(XK.string_to_keysym(k)) for k in ("n", "s"))
        received, deadline = [], time.monotonic() + 10
        while s not in received:
            assert time.monotonic() < deadline, f"Ctrl+S never reached the window ({received})"
            while app.pending_events():
                event = app.next_event()
                if event.type == X.KeyPress:
                    received.append(event.detail)
            time.sleep(0.01)
        assert n not in received, "Ctrl+N reached the window"
        deadline = time.monotonic() + 10
        while "ctrl+n" not in block.blocked:
            assert time.monotonic() < deadline, "the block did not see Ctrl+N"
            time.sleep(0.01)
    finally:
        block.close()
        app.close()
