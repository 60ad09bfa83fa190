"""What the desktop tasks share: seeded documents from the episode's fake data, Actor steps on native
windows (LibreOffice, the file manager, the editor), and effects done with the document libraries."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cleantrace.errors import PerformError
from cleantrace.tasks import Task, expect
from cleantrace.world.documents import read_workbook

DOCS = "Documents"
ITEMS = (
    "Printer paper", "Toner", "Coffee beans", "Whiteboard markers", "Desk lamps", "Monitor stands", "Headsets",
    "Notebooks", "Sticky notes", "Cables", "Chairs", "Water filters", "Plants", "Batteries", "Label tape",
    "Staplers", "Folders", "Webcams", "Keyboards", "Mouse pads",
)
CATEGORIES = ("Office", "IT", "Kitchen", "Facilities")
FILE_STEMS = ("expenses", "budget", "supplies", "orders", "purchases", "costs", "spending", "stock")
MEMO_STEMS = ("memo", "minutes", "report", "summary", "brief", "proposal", "notes", "plan")
TOPICS = ("Budget", "Hiring", "Schedule", "Vendors", "Training", "Security", "Travel", "Facilities", "Risks",
          "Next steps", "Open items", "Timeline")
SENTENCES = (
    "The team reviewed the figures for the quarter.", "Two vendors sent new offers this week.",
    "We agreed to move the review to the end of the month.", "The new process starts on Monday.",
    "Costs stayed within the plan so far.", "The office move needs one more week.",
    "Everyone should update their entries by Friday.", "The pilot went well and will be extended.",
)
CELL_COLUMNS = "ABCDEFGH"


# -- seeded data ----------------------------------------------------------------------------------
def expense_rows(world, n: int = 6, quantities: bool = False) -> list[list[Any]]:
    """A header and `n` rows of office spending: Item, Category, Amount (and Quantity, Price)."""
    items = world.rng.sample(ITEMS, n)
    if quantities:
        rows = [[i, world.rng.randint(2, 40), world.rng.randint(3, 90) + world.rng.choice((0, 0.5, 0.25))]
                for i in items]
        return [["Item", "Quantity", "Price"], *rows]
    amounts = world.rng.sample(range(1200, 98000), n)
    body = [[i, world.choice(CATEGORIES), a / 100] for i, a in zip(items, amounts, strict=True)]
    return [["Item", "Category", "Amount"], *body]


def contact_rows(world, n: int = 6) -> list[list[Any]]:
    """A header and `n` fake contacts: Name, Company, Email, Phone (reserved ranges only)."""
    rows, names = [], set()
    while len(rows) < n:
        name = world.fake.name()
        if name in names:
            continue
        names.add(name)
        rows.append([name, world.fake.company(), world.fake.email(name), world.fake.phone()])
    return [["Name", "Company", "Email", "Phone"], *rows]


def memo_paragraphs(world, sections: int = 3) -> list[list[str]]:
    """A short document: a title, then per section a heading line and a sentence (all "Normal")."""
    topics = world.rng.sample(TOPICS, sections)
    title = f"{world.choice(('Team', 'Project', 'Office', 'Quarterly'))} {world.choice(MEMO_STEMS)}"
    paragraphs = [["Title", title.title()]]
    for topic in topics:
        paragraphs += [["Normal", topic], ["Normal", world.choice(SENTENCES)]]
    return paragraphs


def file_name(world, stems=FILE_STEMS, suffix: str = ".xlsx") -> str:
    return f"{world.choice(stems)}-{world.rng.randint(2, 9)}{suffix}"


def total(rows: list[list[Any]], column: int = 2) -> float:
    return round(sum(float(r[column]) for r in rows[1:]), 2)


def money(value: float) -> str:
    return f"{value:.2f}"


# -- checks ---------------------------------------------------------------------------------------
def home_path(world, rel: str) -> Path:
    return Path(world.home) / rel


def sheet_of(world, rel: str, name: str | None = None):
    return read_workbook(home_path(world, rel)).sheet(name)


def expect_same_rows(actual: list[list[Any]], wanted: list[list[Any]], where: str) -> bool:
    """Rows equal cell by cell (numbers within a cent, text stripped)."""
    expect(len(actual) == len(wanted), f"{where} has {len(actual)} rows, not {len(wanted)}")
    for n, (got, row) in enumerate(zip(actual, wanted, strict=True), start=1):
        expect(len(got) >= len(row) and all(same(a, b) for a, b in zip(got, row, strict=False)),
               f"row {n} of {where} is {shown_row(got)}, not {shown_row(row)}")
    return True


def same(a: Any, b: Any) -> bool:
    if isinstance(b, (int, float)) and not isinstance(b, bool):
        try:
            return abs(float(a) - float(b)) < 0.005
        except (TypeError, ValueError):
            return False
    return str(a if a is not None else "").strip() == str(b).strip()


def shown_row(row: list[Any]) -> str:
    return ", ".join("" if v is None else str(v) for v in row)


# -- effects: the outcome done with the document libraries ------------------------------------------
def edit_xlsx(world, rel: str, change, target: str | None = None) -> None:
    """Open `rel` with openpyxl, apply `change(sheet)`, save to `target` (default: the same file)."""
    from openpyxl import load_workbook

    book = load_workbook(home_path(world, rel))
    change(book.worksheets[0])
    out = home_path(world, target or rel)
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)


def edit_docx(world, rel: str, change, target: str | None = None) -> None:
    from docx import Document

    doc = Document(str(home_path(world, rel)))
    change(doc)
    out = home_path(world, target or rel)
    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))


# -- solve steps on native windows ----------------------------------------------------------------
def window_of(actor, rel: str):
    """The native actor scoped to the window showing the file `rel` (its title starts with the name)."""
    return actor.native.window(Path(rel).name)


def go_to_cell(win, ref: str) -> None:
    """Put the cell cursor on `ref` ("B7"), or select a range ("C2:C7"), through the Name Box
    (Ctrl+Shift+F5 puts the cursor there), as people jump to a cell by its reference."""
    win.hotkey("ctrl", "shift", "F5")
    win.type(ref)
    win.press("Return")


TEXT_BOX_JS = """e => { const r = document.createRange(); r.selectNodeContents(e);
  const b = r.getBoundingClientRect(); return [b.x, b.y, b.width, b.height]; }"""
# whether the page shows element e at the text's side (not a sticky bar over it): before its text, or after it
UNCOVERED_JS = """(e, before) => { const r = document.createRange(); r.selectNodeContents(e);
  const b = r.getBoundingClientRect(); const c = e.getBoundingClientRect();
  const x = before ? (c.left + b.left) / 2 : (b.right + c.right) / 2, y = b.top + b.height / 2;
  return y >= 0 && y < innerHeight && e.contains(document.elementFromPoint(x, y)); }"""
SELECTION_JS = "() => window.getSelection().toString()"


def select_span(actor, first: dict, last: dict, wanted: tuple[str, str], tries: int = 3) -> None:
    """Select a page's text from the start of element `first` to the end of element `last` (locator
    dicts), as a person selects a table taller than the window: click in the padding before the
    first cell's text, scroll to the last cell, shift-click in the padding after its text. Each
    press point is checked to show the cell (a sticky bar may cover it: the page is turned back a
    wheel tick), and the selection is read back: one missing `wanted` (its first and last words)
    is made again."""
    from cleantrace.perform.actor import WHEEL_UP
    from cleantrace.perform.motion import Box
    from cleantrace.perform.xinput import BUTTONS

    def spot(locator: dict, before: bool) -> Box:
        for _ in range(6):
            loc = actor._locate(**locator)
            cell = actor._screen_box(loc)  # scrolled into the viewport first
            if loc.evaluate(UNCOVERED_JS, before):
                break
            actor.inputs.button(WHEEL_UP, True)
            actor.inputs.button(WHEEL_UP, False)
            time.sleep(0.3)
        text = actor._to_screen(*loc.evaluate(TEXT_BOX_JS))
        if before:
            x0, x1 = cell.x + 2, max(cell.x + 3, text.x - 1)
        else:
            x0, x1 = min(text.x + text.w + 1, cell.x + cell.w - 3), cell.x + cell.w - 2
        return Box(x0, text.y + text.h * 0.25, x1 - x0, text.h * 0.5)

    def press_at(locator: dict, before: bool, hold: tuple[str, ...] = ()) -> None:
        for _ in range(3):  # the point is checked before pressing: a person corrects a miss
            box = spot(locator, before)
            actor.inputs.move_along(actor.motion.move_path(actor.inputs.position, box, actor.rng, actor.persona,
                                                           actor.screen))
            time.sleep(float(actor.rng.uniform(0.08, 0.2)))
            x, y = actor.inputs.position
            if box.x <= x <= box.x + box.w and box.y <= y <= box.y + box.h:
                break
        with actor._held(hold):
            actor._press(BUTTONS["left"])

    def into_view(locator: dict, what: str) -> None:  # a step of its own, before the press's step
        if not actor._locate(**locator).evaluate(UNCOVERED_JS, True):
            actor._described = f"Scroll to {what}"
            actor.scroll_to(**locator)

    for attempt in range(tries):
        again = " again" if attempt else ""
        into_view(first, f"the table's first cell '{wanted[0]}'")
        with actor._step(f"Click{again} before '{wanted[0]}', the start of the table"):
            press_at(first, before=True)
        into_view(last, f"the table's last cell '{wanted[1]}'")
        with actor._step(f"Shift-click after '{wanted[1]}' to select the table up to its end"):
            press_at(last, before=False, hold=("shift",))
        chosen = " ".join(actor.page.evaluate(SELECTION_JS).split())
        if chosen.startswith(wanted[0]) and chosen.endswith(wanted[1]):
            return
    raise PerformError(f"the table was never selected whole ({wanted[0]!r} … {wanted[1]!r}: got {chosen[:60]!r})",
                       "is the table in sight and its text selectable?")


def save_keeping_format(actor, win) -> None:
    """Ctrl+S on an xlsx/docx file: saved in its own format (the desktop's LibreOffice does not ask)."""
    win.hotkey("ctrl", "s")


def save_as(actor, win, rel: str, file_type: str | None = None) -> None:
    """File ▸ Save As… (Ctrl+Shift+S), the file type chosen when given, the path typed into the dialog
    (the desktop's LibreOffice saves in another format without asking to keep the old one)."""
    win.hotkey("ctrl", "shift", "s")
    if file_type:
        actor.native.window("Save").select(label="File type", option=file_type)  # "Save As", or "Save" when new
    actor.native.file_dialog(rel)


class DesktopTask(Task):
    """A task of the desktop pack: the desktop profile, its document opened in `opens` at the start."""

    app = "desktop"
    profile = "desktop"
    opens: str | None = None  # calc | writer | files | editor: the app showing p["file"] when recording starts

    def open_at_start(self, p):
        return [(self.opens, p["file"])] if self.opens else []

    def home_files(self, p):
        """A home with an empty Documents folder (where a new document is saved)."""
        return {f"{DOCS}/.keep": b""}
