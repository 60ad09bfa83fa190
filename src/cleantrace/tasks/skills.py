"""The skill vocabulary: what a task exercises, named the same way in every pack."""

from __future__ import annotations

SKILLS: dict[str, str] = {
    "click": "point at an element and click it",
    "form": "fill in and submit a form",
    "typing": "type text into a field",
    "textarea": "type into a multi-line text area",
    "native-select": "choose in a native <select> dropdown",
    "aria-combobox": "choose in a custom (ARIA) dropdown or combobox, possibly by typing ahead",
    "autocomplete": "type part of a value and pick a suggestion",
    "nested-menu": "open a menu (menubar or context menu) and a submenu inside it",
    "context-menu": "right-click for a context menu and choose in it",
    "multi-select": "select several items (checkboxes, Ctrl/Shift-click)",
    "date-picker": "choose a date in a calendar picker",
    "modal-dialog": "work inside a modal dialog",
    "keyboard-nav": "navigate with Tab, arrow keys and Enter only",
    "shortcut": "use a Ctrl/Cmd key combination",
    "single-key-shortcut": "use a single-key shortcut (Gmail style)",
    "drag-drop": "drag an item and drop it somewhere else",
    "scroll": "scroll a long list to find an item",
    "search": "search, then act on a result",
    "multi-step": "a task of eight or more actions",
    "double-click": "double-click to open or edit",
    "copy-paste": "copy and paste with the clipboard",
    "undo-redo": "undo and redo with shortcuts",
    "table": "work with rows and cells of a table or grid",
    "filter": "narrow a list with filters",
    "bulk-edit": "change many items in one go",
    "tabs": "switch between tabs of a page",
    # desktop tasks (issue 14): native applications and several apps in one task
    "spreadsheet": "work in a spreadsheet application (cells, ranges, sheets)",
    "formula": "write a spreadsheet formula",
    "word-processor": "edit a document in a word processor (styles, tables, export)",
    "file-manager": "rename, move, copy or delete files in a file manager",
    "text-editor": "edit and save a plain text file",
    "file-dialog": "pick or name a file in an Open/Save/Attach dialog",
    "menu-bar": "choose a command from an application's menu bar",
    "window-switch": "switch between application windows",
    "browser-tabs": "open and switch between browser tabs",
    "cross-app": "carry information from one application into another",
}

# What the shipped library must cover between its packs (issue 4).
REQUIRED_SKILLS = (
    "native-select", "aria-combobox", "nested-menu", "multi-select", "date-picker", "modal-dialog",
    "keyboard-nav", "shortcut", "single-key-shortcut", "drag-drop", "scroll", "search", "multi-step",
)
DIFFICULTIES = ("easy", "medium", "hard")
