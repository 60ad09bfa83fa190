"""LibreOffice Writer: heading styles, find & replace, tables, PDF export, new documents, Save As."""

from __future__ import annotations

from pathlib import Path

from cleantrace.tasks import expect
from cleantrace.world.documents import docx_bytes, odt_bytes, pdf_bytes, read_document, read_pdf_text

from ._common import (
    DOCS,
    MEMO_STEMS,
    SENTENCES,
    DesktopTask,
    file_name,
    home_path,
    memo_paragraphs,
    save_as,
    save_keeping_format,
    window_of,
)


def document_bytes(rel: str, paragraphs, tables=()) -> bytes:
    make = docx_bytes if rel.endswith(".docx") else odt_bytes
    return make([tuple(p) for p in paragraphs], tables)


def seeded_memo(world, suffix: str | None = None) -> dict:
    suffix = suffix or world.choice((".docx", ".odt"))
    return {"file": f"{DOCS}/{file_name(world, MEMO_STEMS, suffix)}", "paragraphs": memo_paragraphs(world)}


def document_of(world, rel: str):
    return read_document(home_path(world, rel))


def rewrite(world, rel: str, paragraphs, tables=(), target: str | None = None) -> None:
    """The effect of editing a document and saving it: the file written again with the change."""
    path = home_path(world, target or rel)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(document_bytes(target or rel, paragraphs, tables))


def save(actor, win, rel: str) -> None:
    if rel.endswith(".docx"):
        save_keeping_format(actor, win)
    else:
        win.hotkey("ctrl", "s")


class WriterDocument:
    """Mixed into a desktop task: where its document comes from (not a task of its own)."""

    opens = "writer"

    def home_files(self, p):
        return {p["file"]: document_bytes(p["file"], p["paragraphs"])}


class HeadingStyle(WriterDocument, DesktopTask):
    id = "desktop/writer-heading-style"
    skills = ("word-processor", "shortcut", "keyboard-nav")
    difficulty = "easy"
    instruction = (
        "In {file}, make the line \"{line}\" a Heading {level} and save the document.",
        "Apply the paragraph style Heading {level} to \"{line}\" in {file}, then save.",
        "Turn \"{line}\" in {file} into a level-{level} heading and keep the file's format when saving.",
    )

    def setup(self, world):
        memo = seeded_memo(world)
        index = world.choice(range(1, len(memo["paragraphs"]), 2))
        return {**memo, "index": index, "line": memo["paragraphs"][index][1], "level": world.choice((1, 2, 3))}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        win.hotkey("ctrl", "Home")
        win.press("Down", times=p["index"])
        win.hotkey("ctrl", str(p["level"]))
        save(actor, win, p["file"])

    def check(self, world, p):
        style = document_of(world, p["file"]).styled(p["line"])
        expect(style is not None, f"\"{p['line']}\" is no longer a paragraph of {p['file']}")
        return expect(style == f"Heading {p['level']}", f"\"{p['line']}\" in {p['file']} has the style {style}, "
                      f"not Heading {p['level']}")

    def effect(self, app, world, p):
        paragraphs = [list(x) for x in p["paragraphs"]]
        paragraphs[p["index"]][0] = f"Heading {p['level']}"
        rewrite(world, p["file"], paragraphs)

    def wrong_params(self, world, p):
        return {**p, "level": world.choice([n for n in (1, 2, 3) if n != p["level"]])}


class FindReplace(WriterDocument, DesktopTask):
    id = "desktop/writer-find-replace"
    skills = ("word-processor", "modal-dialog", "shortcut", "typing")
    difficulty = "medium"
    instruction = (
        "Replace every \"{old}\" with \"{new}\" in {file} and save it.",
        "In {file}, the company is now called {new}: use Find & Replace to change all \"{old}\", then save.",
        "Change each occurrence of \"{old}\" in {file} to \"{new}\" (Find and Replace, Replace All); save the file.",
    )

    def setup(self, world):
        memo = seeded_memo(world)
        old, new = world.fake.company(), world.fake.company()
        paragraphs = memo["paragraphs"]
        spots = sorted(world.rng.sample(range(2, len(paragraphs) + 1, 2), 2))
        for n, at in enumerate(spots):
            line = f"{old} confirmed the offer." if n == 0 else f"Next meeting with {old} is on Friday."
            paragraphs.insert(at + n, ["Normal", line])
        return {**memo, "paragraphs": paragraphs, "old": old, "new": new}

    def replaced(self, p, new):
        return [[style, text.replace(p["old"], new)] for style, text in p["paragraphs"]]

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        win.hotkey("ctrl", "h")
        dialog = actor.native.window("Find and Replace")
        dialog.type(p["old"], label="Find:", replace=True)
        dialog.type(p["new"], label="Replace:", replace=True)
        dialog.click(role="push button", name="Replace All")
        dialog.click(role="push button", name="Close")
        save(actor, win, p["file"])

    def check(self, world, p):
        text = document_of(world, p["file"]).text
        expect(p["old"] not in text, f"{p['file']} still says \"{p['old']}\" {text.count(p['old'])} time(s)")
        count = sum(t.count(p["old"]) for _, t in p["paragraphs"])
        return expect(text.count(p["new"]) == count, f"{p['file']} names \"{p['new']}\" {text.count(p['new'])} "
                      f"time(s), not {count}")

    def effect(self, app, world, p):
        rewrite(world, p["file"], self.replaced(p, p["new"]))

    def wrong_params(self, world, p):
        return {**p, "new": world.fake.company()}


class InsertTable(WriterDocument, DesktopTask):
    id = "desktop/writer-insert-table"
    skills = ("word-processor", "modal-dialog", "shortcut")
    difficulty = "medium"
    instruction = (
        "Insert a table with {rows} rows and {cols} columns at the end of {file}, and save.",
        "At the end of {file}, add an empty {cols}-column, {rows}-row table; save the document.",
        "Put a table ({cols} columns × {rows} rows) after the last paragraph of {file}, then save it.",
    )

    def setup(self, world):
        return {**seeded_memo(world), "rows": world.rng.randint(2, 6), "cols": world.rng.randint(2, 5)}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        win.hotkey("ctrl", "End")
        win.press("Return")
        win.hotkey("ctrl", "F12")
        dialog = actor.native.window("Insert Table")
        for value in (p["cols"], p["rows"]):  # from the Name field: Tab to Columns, then to Rows
            dialog.press("Tab")
            dialog.hotkey("ctrl", "a")
            dialog.type(str(value))
        dialog.press("Return")  # Insert, the default button
        save(actor, win, p["file"])

    def check(self, world, p):
        shapes = [(len(t), max((len(r) for r in t), default=0)) for t in document_of(world, p["file"]).tables]
        shown = ", ".join(f"{r}×{c}" for r, c in shapes) or "none"
        return expect((p["rows"], p["cols"]) in shapes,
                      f"{p['file']} has table(s) of rows×columns {shown}, not {p['rows']}×{p['cols']}")

    def effect(self, app, world, p):
        rewrite(world, p["file"], p["paragraphs"], [[[""] * p["cols"] for _ in range(p["rows"])]])

    def wrong_params(self, world, p):  # rows and columns swapped (or one row short when square)
        if p["rows"] != p["cols"]:
            return {**p, "rows": p["cols"], "cols": p["rows"]}
        return {**p, "rows": p["rows"] - 1}


class ExportPdf(WriterDocument, DesktopTask):
    id = "desktop/writer-export-pdf"
    skills = ("word-processor", "click", "file-dialog")
    difficulty = "medium"
    instruction = (
        "Export {file} as a PDF named {pdf}.",
        "Make a PDF of {file} (File ▸ Export As ▸ Export Directly as PDF) and save it as {pdf}.",
        "Save a PDF copy of the document {file} as {pdf}.",
    )

    def setup(self, world):
        memo = seeded_memo(world)
        stem = Path(memo["file"]).stem
        return {**memo, "pdf": f"{DOCS}/{world.choice((stem, f'{stem}-print', f'{stem}-share'))}.pdf"}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        win.click(role="push button", name="Export Directly as PDF")  # the Standard toolbar's (File ▸ Export As)
        actor.native.file_dialog(p["pdf"], button="Export")

    def check(self, world, p):
        pages, text = read_pdf_text(home_path(world, p["pdf"]))
        title = p["paragraphs"][0][1]
        expect(pages >= 1, f"{p['pdf']} has no page")
        return expect(" ".join(title.split()) in " ".join(text.split()),
                      f"{p['pdf']} does not show the title \"{title}\" of {p['file']}")

    def effect(self, app, world, p):
        home_path(world, p["pdf"]).write_bytes(pdf_bytes([t for _, t in p["paragraphs"]]))

    def wrong_params(self, world, p):  # exported, but under another name
        return {**p, "pdf": p["pdf"].replace(".pdf", "-1.pdf")}


class NewDocument(DesktopTask):
    id = "desktop/writer-new-document"
    opens = "writer"
    skills = ("word-processor", "typing", "file-dialog", "shortcut")
    difficulty = "easy"
    instruction = (
        "In a new text document, write \"{text}\" and save it as {file}.",
        "Create a document that says \"{text}\" and save it in the ODF format as {file}.",
        "Type \"{text}\" into a new Writer document, then save it as {file}.",
    )

    def setup(self, world):
        return {"file": f"{DOCS}/{file_name(world, MEMO_STEMS, '.odt')}", "text": world.choice(SENTENCES)}

    def open_at_start(self, p):
        return [("writer", None)]

    def solve(self, actor, p):
        win = actor.native.window("LibreOffice Writer")
        win.type(p["text"])
        win.hotkey("ctrl", "s")
        actor.native.file_dialog(p["file"])

    def check(self, world, p):
        text = document_of(world, p["file"]).text
        return expect(p["text"] in text, f"{p['file']} does not say \"{p['text']}\"")

    def effect(self, app, world, p):
        rewrite(world, p["file"], [["Normal", p["text"]]])

    def wrong_params(self, world, p):
        return {**p, "text": world.choice([s for s in SENTENCES if s != p["text"]])}


class AppendParagraph(WriterDocument, DesktopTask):
    id = "desktop/writer-append-paragraph"
    skills = ("word-processor", "typing", "shortcut")
    difficulty = "easy"
    instruction = (
        "Add the paragraph \"{text}\" at the end of {file} and save.",
        "Finish {file} with a new last paragraph, \"{text}\", and save the document.",
        "At the end of {file}, write \"{text}\" as its own paragraph, then save it.",
    )

    def setup(self, world):
        memo = seeded_memo(world)
        present = {t for _, t in memo["paragraphs"]}
        return {**memo, "text": world.choice([s for s in SENTENCES if s not in present])}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        win.hotkey("ctrl", "End")
        win.press("Return")
        win.type(p["text"])
        save(actor, win, p["file"])

    def check(self, world, p):
        texts = [x.text.strip() for x in document_of(world, p["file"]).paragraphs if x.text.strip()]
        return expect(texts and texts[-1] == p["text"], f"the last paragraph of {p['file']} is "
                      f"\"{texts[-1] if texts else ''}\", not \"{p['text']}\"")

    def effect(self, app, world, p):
        rewrite(world, p["file"], [*p["paragraphs"], ["Normal", p["text"]]])

    def wrong_params(self, world, p):
        present = {t for _, t in p["paragraphs"]} | {p["text"]}
        return {**p, "text": world.choice([s for s in SENTENCES if s not in present])}


class SaveAsWord(WriterDocument, DesktopTask):
    id = "desktop/writer-save-as"
    skills = ("word-processor", "file-dialog", "shortcut")
    difficulty = "medium"
    instruction = (
        "Save {file} as {target} ({kind}).",
        "Keep a {kind} copy of {file}: File ▸ Save As, named {target}.",
        "Convert the document {file} to {kind} by saving it as {target}.",
    )
    KINDS = {".docx": ("Word 2007-365", "Word 2007-365 (.docx)"), ".odt": ("ODF Text Document",
                                                                          "ODF Text Document (.odt)")}

    def setup(self, world):
        memo = seeded_memo(world)
        target = ".docx" if memo["file"].endswith(".odt") else ".odt"
        stem = Path(memo["file"]).stem
        return {**memo, "target": f"{DOCS}/{world.choice((stem, f'{stem}-copy', f'{stem}-v2'))}{target}",
                "kind": self.KINDS[target][0]}

    def solve(self, actor, p):
        win = window_of(actor, p["file"])
        save_as(actor, win, p["target"], self.KINDS[Path(p["target"]).suffix][1])

    def check(self, world, p):
        got = [x.text for x in document_of(world, p["target"]).paragraphs if x.text.strip()]
        want = [t for _, t in p["paragraphs"]]
        return expect(got == want, f"{p['target']} does not hold the text of {p['file']}")

    def effect(self, app, world, p):
        rewrite(world, p["file"], p["paragraphs"], target=p["target"])

    def wrong_params(self, world, p):
        return {**p, "target": str(Path(p["target"]).with_suffix(Path(p["file"]).suffix))}
