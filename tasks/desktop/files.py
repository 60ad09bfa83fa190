"""The file manager (rename, move, copy, make a folder, trash, drag between windows) and the text editor."""

from __future__ import annotations

import hashlib
import random
import shutil
import zlib
from pathlib import Path

from cleantrace.tasks import expect
from cleantrace.world.documents import csv_bytes, read_text, txt_bytes, xlsx_bytes

from ._common import DOCS, SENTENCES, DesktopTask, contact_rows, expense_rows, home_path

FOLDERS = ("Projects", "Invoices", "Reports", "Archive", "Clients", "Drafts", "Travel", "Team")
STEMS = ("agenda", "contacts", "invoice", "receipts", "timesheet", "inventory", "roster", "itinerary", "checklist")
TRASH = ".local/share/Trash/files"


def seeded_files(world, n: int = 4) -> dict[str, str]:
    """`n` documents of the Documents folder: name → kind (their bytes come from `file_bytes`)."""
    names: dict[str, str] = {}
    while len(names) < n:
        kind = world.choice((".txt", ".csv", ".xlsx"))
        names[f"{world.choice(STEMS)}-{world.rng.randint(10, 99)}{kind}"] = kind
    return names


class _FileWorld:
    """The seeded randomness one file's content is drawn from (its name and the episode's seed)."""

    def __init__(self, name: str, seed: int) -> None:
        from cleantrace.world.fake import FakeData

        self.rng = random.Random(f"{seed}:{name}")
        self.fake = FakeData(seed * 1000 + zlib.crc32(name.encode()) % 1000)

    def choice(self, options):
        return self.rng.choice(list(options))


def file_bytes(name: str, seed: int) -> bytes:
    """A document's content, fixed by its name and the episode's seed (fake data from reserved ranges)."""
    world = _FileWorld(name, seed)
    if name.endswith(".txt"):
        return txt_bytes([Path(name).stem.split("-")[0].title(), *world.rng.sample(SENTENCES, 3)])
    if name.endswith(".csv"):
        return csv_bytes(contact_rows(world, 4))
    return xlsx_bytes({"Sheet1": expense_rows(world, 5)})


def digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


class HomeFolder:
    """Mixed into a desktop task: where its document comes from (not a task of its own)."""

    opens = "files"

    def setup_files(self, world, folders: tuple[str, ...] = ()) -> dict:
        return {"folder": DOCS, "file": DOCS, "files": seeded_files(world), "seed": world.seed,
                "folders": list(folders)}

    def home_files(self, p):
        out = {f"{DOCS}/{name}": file_bytes(name, p["seed"]) for name in p["files"]}
        out.update({f"{DOCS}/{folder}/.keep": b"" for folder in p["folders"]})
        return out

    def expect_file(self, world, p, name: str, rel: str) -> bool:
        want = hashlib.sha256(file_bytes(name, p["seed"])).hexdigest()
        got = digest(home_path(world, rel))
        expect(got is not None, f"{rel} is not there")
        return expect(got == want, f"{rel} is not the file {name} (its content differs)")


def select(win, name: str) -> None:
    """Select a file by typing its name into the folder's detailed list (View ▸ Detailed List View,
    Ctrl+4; its type-ahead search selects the match), then close the search with Escape."""
    win.hotkey("ctrl", "4")
    win.type(name)
    win.press("Escape")


class RenameFile(HomeFolder, DesktopTask):
    id = "desktop/files-rename"
    skills = ("file-manager", "typing", "shortcut")
    difficulty = "easy"
    instruction = (
        "In the Documents folder, rename {name} to {new}.",
        "Give the file {name} (in Documents) the new name {new}.",
        "Use the file manager to rename Documents/{name} as {new}.",
    )

    def setup(self, world):
        p = self.setup_files(world)
        name = world.choice(sorted(p["files"]))
        return {**p, "name": name, "new": f"{world.choice(('final', 'old', 'shared', 'q3', 'signed'))}-{name}"}

    def solve(self, actor, p):
        win = actor.native.window("Documents")
        select(win, p["name"])
        win.press("F2")
        dialog = actor.native.window("Rename File")
        dialog.type(p["new"], role="text", replace=True)
        dialog.press("Return")

    def check(self, world, p):
        expect(not home_path(world, f"{DOCS}/{p['name']}").exists(), f"{DOCS}/{p['name']} is still there")
        return self.expect_file(world, p, p["name"], f"{DOCS}/{p['new']}")

    def effect(self, app, world, p):
        home_path(world, f"{DOCS}/{p['name']}").rename(home_path(world, f"{DOCS}/{p['new']}"))

    def wrong_params(self, world, p):
        return {**p, "new": f"copy-{p['new']}"}


class MakeFolder(HomeFolder, DesktopTask):
    id = "desktop/files-make-folder"
    skills = ("file-manager", "shortcut", "typing")
    difficulty = "easy"
    instruction = (
        "Make a new folder called {new} inside Documents.",
        "Create the folder Documents/{new} with the file manager.",
        "In Documents, add a folder named {new}.",
    )

    def setup(self, world):
        return {**self.setup_files(world), "new": f"{world.choice(FOLDERS)} {world.rng.randint(2024, 2027)}"}

    def solve(self, actor, p):
        win = actor.native.window("Documents")
        win.hotkey("ctrl", "shift", "n")
        dialog = actor.native.window("Creating New Folder")
        dialog.type(p["new"], role="text", replace=True)
        dialog.press("Return")

    def check(self, world, p):
        return expect(home_path(world, f"{DOCS}/{p['new']}").is_dir(), f"there is no folder {DOCS}/{p['new']}")

    def effect(self, app, world, p):
        home_path(world, f"{DOCS}/{p['new']}").mkdir()

    def wrong_params(self, world, p):
        return {**p, "new": p["new"].split()[0]}


class MoveIntoFolder(HomeFolder, DesktopTask):
    id = "desktop/files-move-into-folder"
    skills = ("file-manager", "copy-paste", "double-click")
    difficulty = "medium"
    instruction = (
        "Move {name} from Documents into the folder {target}.",
        "Put the file Documents/{name} into Documents/{target} (move it, do not copy).",
        "File {name} away in the {target} folder of Documents.",
    )

    def setup(self, world):
        folders = tuple(world.rng.sample(FOLDERS, 3))
        p = self.setup_files(world, folders)
        return {**p, "name": world.choice(sorted(p["files"])), "target": world.choice(folders)}

    def solve(self, actor, p):
        win = actor.native.window("Documents")
        select(win, p["name"])
        win.hotkey("ctrl", "x")
        select(win, p["target"])
        win.press("Return")
        actor.native.window(p["target"]).hotkey("ctrl", "v")

    def check(self, world, p):
        expect(not home_path(world, f"{DOCS}/{p['name']}").exists(), f"{DOCS}/{p['name']} is still there")
        return self.expect_file(world, p, p["name"], f"{DOCS}/{p['target']}/{p['name']}")

    def effect(self, app, world, p):
        shutil.move(home_path(world, f"{DOCS}/{p['name']}"), home_path(world, f"{DOCS}/{p['target']}/{p['name']}"))

    def wrong_params(self, world, p):
        return {**p, "target": world.choice([f for f in p["folders"] if f != p["target"]])}


class CopyToFolder(HomeFolder, DesktopTask):
    id = "desktop/files-copy-to-folder"
    skills = ("file-manager", "copy-paste", "double-click")
    difficulty = "medium"
    instruction = (
        "Copy {name} into the folder {target}, keeping the original in Documents.",
        "Put a copy of Documents/{name} in Documents/{target}.",
        "Duplicate {name} into {target} (Documents keeps its own copy).",
    )

    def setup(self, world):
        folders = tuple(world.rng.sample(FOLDERS, 2))
        p = self.setup_files(world, folders)
        return {**p, "name": world.choice(sorted(p["files"])), "target": world.choice(folders)}

    def solve(self, actor, p):
        win = actor.native.window("Documents")
        select(win, p["name"])
        win.hotkey("ctrl", "c")
        select(win, p["target"])
        win.press("Return")
        actor.native.window(p["target"]).hotkey("ctrl", "v")

    def check(self, world, p):
        self.expect_file(world, p, p["name"], f"{DOCS}/{p['name']}")
        return self.expect_file(world, p, p["name"], f"{DOCS}/{p['target']}/{p['name']}")

    def effect(self, app, world, p):
        shutil.copy(home_path(world, f"{DOCS}/{p['name']}"), home_path(world, f"{DOCS}/{p['target']}/{p['name']}"))

    def wrong_params(self, world, p):
        return {**p, "name": world.choice([n for n in p["files"] if n != p["name"]])}


class TrashFile(HomeFolder, DesktopTask):
    id = "desktop/files-trash"
    skills = ("file-manager", "click")
    difficulty = "easy"
    instruction = (
        "Move {name} in Documents to the trash.",
        "Delete the file Documents/{name} (to the trash, so it can be restored).",
        "Throw {name} away: put it in the trash from the file manager.",
    )

    def setup(self, world):
        p = self.setup_files(world)
        return {**p, "name": world.choice(sorted(p["files"]))}

    def solve(self, actor, p):
        win = actor.native.window("Documents")
        select(win, p["name"])
        win.press("Delete")
        confirm = actor.native.window("Question")  # pcmanfm asks before moving to the trash
        confirm.press("Return")

    def check(self, world, p):
        expect(not home_path(world, f"{DOCS}/{p['name']}").exists(), f"{DOCS}/{p['name']} is still there")
        others = [n for n in p["files"] if n != p["name"]]
        gone = [n for n in others if not home_path(world, f"{DOCS}/{n}").exists()]
        expect(not gone, f"{DOCS}/{gone[0] if gone else ''} was removed too")
        return self.expect_file(world, p, p["name"], f"{TRASH}/{p['name']}")

    def effect(self, app, world, p):
        trash = home_path(world, TRASH)
        trash.mkdir(parents=True, exist_ok=True)
        shutil.move(home_path(world, f"{DOCS}/{p['name']}"), trash / p["name"])

    def wrong_params(self, world, p):
        return {**p, "name": world.choice([n for n in p["files"] if n != p["name"]])}


class DragBetweenWindows(HomeFolder, DesktopTask):
    id = "desktop/files-drag-between-windows"
    skills = ("file-manager", "drag-drop", "window-switch")
    difficulty = "hard"
    instruction = (
        "Drag {name} from the {source} window into the {target} window.",
        "With both folders open, move {name} from {source} to {target} by dragging it across.",
        "Drag the file {name} out of Documents/{source} and drop it into Documents/{target}.",
    )

    def setup(self, world):
        source, target = world.rng.sample(FOLDERS, 2)
        p = self.setup_files(world, (source, target))
        name = world.choice(sorted(p["files"]))
        return {**p, "name": name, "source": source, "target": target}

    def home_files(self, p):
        out = {f"{DOCS}/{p['source']}/{n}": file_bytes(n, p["seed"]) for n in p["files"]}
        out[f"{DOCS}/{p['target']}/.keep"] = b""
        return out

    def open_at_start(self, p):
        return [("files", f"{DOCS}/{p['target']}"), ("files", f"{DOCS}/{p['source']}")]

    def solve(self, actor, p):
        actor.native.drag({"text": p["name"]}, {"role": "layered pane", "within": {"name": p["target"]}})

    def check(self, world, p):
        expect(not home_path(world, f"{DOCS}/{p['source']}/{p['name']}").exists(),
               f"{DOCS}/{p['source']}/{p['name']} is still there")
        return self.expect_file(world, p, p["name"], f"{DOCS}/{p['target']}/{p['name']}")

    def effect(self, app, world, p):
        shutil.move(home_path(world, f"{DOCS}/{p['source']}/{p['name']}"),
                    home_path(world, f"{DOCS}/{p['target']}/{p['name']}"))

    def wrong_params(self, world, p):
        return {**p, "name": world.choice([n for n in p["files"] if n != p["name"]])}


class EditorAppendLine(DesktopTask):
    id = "desktop/editor-append-line"
    opens = "editor"
    skills = ("text-editor", "typing", "shortcut")
    difficulty = "easy"
    instruction = (
        "Add the line \"{line}\" at the end of {file} and save it.",
        "In the text editor, append \"{line}\" as the last line of {file}, then save.",
        "Finish {file} with one more line, \"{line}\", and save the file.",
    )

    def setup(self, world):
        lines = ["To do", *world.rng.sample(SENTENCES, 3)]
        present = set(lines)
        return {"file": f"{DOCS}/{world.choice(('todo', 'notes', 'ideas', 'log'))}-{world.rng.randint(1, 9)}.txt",
                "lines": lines, "line": world.choice([s for s in SENTENCES if s not in present])}

    def home_files(self, p):
        return {p["file"]: txt_bytes(p["lines"])}

    def solve(self, actor, p):
        win = actor.native.window(Path(p["file"]).name)
        win.hotkey("ctrl", "End")
        win.type(p["line"])
        win.hotkey("ctrl", "s")

    def check(self, world, p):
        lines = [line.strip() for line in read_text(home_path(world, p["file"])).splitlines() if line.strip()]
        expect(lines[:len(p["lines"])] == p["lines"], f"the first lines of {p['file']} changed")
        return expect(lines[len(p["lines"]):] == [p["line"]],
                      f"{p['file']} ends with \"{lines[-1] if lines else ''}\", not \"{p['line']}\"")

    def effect(self, app, world, p):
        home_path(world, p["file"]).write_bytes(txt_bytes([*p["lines"], p["line"]]))

    def wrong_params(self, world, p):
        present = set(p["lines"]) | {p["line"]}
        return {**p, "line": world.choice([s for s in SENTENCES if s not in present])}


class EditorNewFile(DesktopTask):
    id = "desktop/editor-new-file"
    skills = ("text-editor", "typing", "file-dialog")
    difficulty = "easy"
    version = 3  # 3: the editor is opened from the taskbar, not from a launcher command
    instruction = (
        "Write \"{text}\" in a new text file and save it as {file}.",
        "Create the plain text file {file} containing the sentence \"{text}\"",
        "In the text editor, type \"{text}\" and save it under {file}.",
    )

    def setup(self, world):
        return {"file": f"{DOCS}/{world.choice(('reminder', 'note', 'draft', 'message'))}-{world.rng.randint(1, 9)}"
                        f".txt", "text": world.choice(SENTENCES)}

    def open_at_start(self, p):
        return []  # the editor is opened from the taskbar

    def solve(self, actor, p):
        win = actor.native.open_app("editor")
        win.type(p["text"])
        win.hotkey("ctrl", "s")
        actor.native.file_dialog(p["file"])

    def check(self, world, p):
        text = read_text(home_path(world, p["file"]))
        return expect(text.strip() == p["text"], f"{p['file']} says \"{text.strip()[:60]}\", not \"{p['text']}\"")

    def effect(self, app, world, p):
        home_path(world, p["file"]).parent.mkdir(parents=True, exist_ok=True)
        home_path(world, p["file"]).write_bytes(txt_bytes([p["text"]]))

    def wrong_params(self, world, p):
        return {**p, "text": world.choice([s for s in SENTENCES if s != p["text"]])}
