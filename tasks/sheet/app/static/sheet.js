// Ledgerly Sheets: the grid, its editor, menus, clipboard, find and rename. The server owns the state:
// every change is POSTed at once (in order) and the answer replaces the page's copy of the sheet.
(() => {
  "use strict";
  let S = JSON.parse(document.getElementById("state").textContent);
  const $ = id => document.getElementById(id);
  const grid = $("grid"), nameBox = $("namebox"), formula = $("formula"), saving = $("saving");
  const findbar = $("findbar"), findInput = $("find-input"), findStatus = $("find-status");
  const contextMenu = $("context"), menubar = $("menubar");
  const renameBackdrop = $("rename-backdrop"), renameInput = $("rename-input"), renameError = $("rename-error");

  let anchor = { r: 1, c: 1 }, active = { r: 1, c: 1 };
  let editing = null;           // { r, c, input, mode: "enter" | "edit", from: "cell" | "bar" }
  let clip = null;              // { block, origin, text }
  let pasteHandled = false, dragging = false, pending = 0, queue = Promise.resolve();
  let cells = [];               // cells[r][c] -> td
  let built = { rows: 0, cols: 0 };

  // -- helpers ---------------------------------------------------------------------------------
  const colName = c => { let s = ""; while (c) { const m = (c - 1) % 26; s = String.fromCharCode(65 + m) + s; c = (c - 1 - m) / 26; } return s; };
  const ref = (r, c) => colName(c) + r;
  const parseRef = text => {
    const m = /^\s*([A-Za-z]{1,2})(\d+)\s*$/.exec(text);
    if (!m) return null;
    let c = 0; for (const ch of m[1].toUpperCase()) c = c * 26 + ch.charCodeAt(0) - 64;
    return { r: +m[2], c };
  };
  const data = (r, c) => S.cells[r + ":" + c] || ["", "", ""];
  const rect = () => ({
    r1: Math.min(anchor.r, active.r), r2: Math.max(anchor.r, active.r),
    c1: Math.min(anchor.c, active.c), c2: Math.max(anchor.c, active.c),
  });
  const isNumber = text => /^\s*-?[$]?[\d,]*\.?\d+%?\s*$/.test(text) && text.trim() !== "";
  const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));
  const focusGrid = () => grid.focus({ preventScroll: true });

  // -- talking to the server -------------------------------------------------------------------
  function send(action, body = {}) {
    pending++;
    saving.textContent = "Saving…";
    queue = queue.then(() => fetch(`/api/sheets/${S.id}/${action}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then(r => r.json()).then(state => {
      pending--;
      if (state.error) { saving.textContent = "Not saved: " + state.error; return state; }
      if (pending === 0) { S = state; refresh(); saving.textContent = "All changes saved"; }
      return state;
    }).catch(err => { pending--; saving.textContent = "Not saved: " + err; }));
    return queue;
  }

  // -- drawing ---------------------------------------------------------------------------------
  function build() {
    grid.textContent = "";
    const colgroup = document.createElement("colgroup");
    const rowHeadCol = document.createElement("col"); rowHeadCol.style.width = "46px"; colgroup.append(rowHeadCol);
    S.widths.forEach(w => { const col = document.createElement("col"); col.style.width = w + "px"; colgroup.append(col); });
    const thead = document.createElement("thead"), headRow = document.createElement("tr");
    headRow.setAttribute("role", "row");
    const corner = document.createElement("th"); corner.className = "corner"; corner.setAttribute("aria-hidden", "true");
    headRow.append(corner);
    for (let c = 1; c <= S.cols; c++) {
      const th = document.createElement("th");
      th.setAttribute("role", "columnheader"); th.textContent = colName(c); th.dataset.c = c;
      headRow.append(th);
    }
    thead.append(headRow);
    const tbody = document.createElement("tbody");
    cells = [];
    for (let r = 1; r <= S.rows; r++) {
      const tr = document.createElement("tr"); tr.setAttribute("role", "row");
      const th = document.createElement("th"); th.setAttribute("role", "rowheader"); th.textContent = r; th.dataset.r = r;
      tr.append(th);
      cells[r] = [];
      for (let c = 1; c <= S.cols; c++) {
        const td = document.createElement("td");
        td.setAttribute("role", "gridcell"); td.setAttribute("aria-label", ref(r, c));
        td.dataset.r = r; td.dataset.c = c;
        cells[r][c] = td; tr.append(td);
      }
      tbody.append(tr);
    }
    grid.append(colgroup, thead, tbody);
    built = { rows: S.rows, cols: S.cols };
    paint();
  }

  function refresh() {
    active = { r: clamp(active.r, 1, S.rows), c: clamp(active.c, 1, S.cols) };
    anchor = { r: clamp(anchor.r, 1, S.rows), c: clamp(anchor.c, 1, S.cols) };
    if (built.rows !== S.rows || built.cols !== S.cols) { if (editing) cancelEdit(); build(); } else paint();
    document.getElementById("sheet-title").textContent = S.name;
    grid.setAttribute("aria-label", S.name);
    document.title = S.name + " · Ledgerly Sheets";
  }

  function paint() {
    const { r1, r2, c1, c2 } = rect();
    for (let r = 1; r <= S.rows; r++) {
      for (let c = 1; c <= S.cols; c++) {
        const td = cells[r][c];
        const inside = r >= r1 && r <= r2 && c >= c1 && c <= c2;
        td.classList.toggle("selected", inside);
        td.classList.toggle("active", r === active.r && c === active.c);
        td.setAttribute("aria-selected", inside ? "true" : "false");
        if (editing && editing.from === "cell" && editing.r === r && editing.c === c) continue;
        const shown = data(r, c)[1];
        if (td.textContent !== shown) td.textContent = shown;
        td.classList.toggle("num", isNumber(shown));
      }
    }
    grid.querySelectorAll("thead th[data-c]").forEach(th => th.classList.toggle("selected", +th.dataset.c >= c1 && +th.dataset.c <= c2));
    grid.querySelectorAll("tbody th[data-r]").forEach(th => th.classList.toggle("selected", +th.dataset.r >= r1 && +th.dataset.r <= r2));
    nameBox.value = r1 === r2 && c1 === c2 ? ref(active.r, active.c) : `${ref(r1, c1)}:${ref(r2, c2)}`;
    if (!(editing && editing.from === "bar") && document.activeElement !== formula) formula.value = data(active.r, active.c)[0];
    grid.setAttribute("aria-activedescendant", "");
  }

  function reveal(r, c) { const td = cells[r] && cells[r][c]; if (td) td.scrollIntoView({ block: "nearest", inline: "nearest" }); }

  // -- selection -------------------------------------------------------------------------------
  function select(r, c, extend = false) {
    active = { r: clamp(r, 1, S.rows), c: clamp(c, 1, S.cols) };
    if (!extend) anchor = { ...active };
    paint(); reveal(active.r, active.c);
  }
  function selectRange(r1, c1, r2, c2) { anchor = { r: r2, c: c2 }; active = { r: r1, c: c1 }; paint(); }
  function move(dr, dc, extend = false) { select(active.r + dr, active.c + dc, extend); }

  // -- editing ---------------------------------------------------------------------------------
  function startEdit(mode, initial) {
    if (editing) commitEdit();
    const { r, c } = active, td = cells[r][c];
    const input = document.createElement("input");
    input.setAttribute("aria-label", "Edit " + ref(r, c)); input.autocomplete = "off"; input.spellcheck = false;
    input.value = initial;
    td.textContent = ""; td.classList.add("editing"); td.append(input);
    editing = { r, c, input, mode, from: "cell" };
    input.addEventListener("input", () => { formula.value = input.value; });
    input.addEventListener("keydown", editorKeys);
    input.focus(); input.setSelectionRange(initial.length, initial.length);
    formula.value = initial;
  }

  function finishEdit(save) {
    if (!editing) return;
    const { r, c, input, from } = editing;
    const value = from === "cell" ? input.value : formula.value;
    editing = null;
    if (from === "cell") { cells[r][c].classList.remove("editing"); input.remove(); }
    if (save && value !== data(r, c)[0]) {
      const old = data(r, c);
      S.cells[r + ":" + c] = [value, value.startsWith("=") ? "…" : value, old[2]];
      send("cells", { cells: [[r, c, value]] });
    }
    paint();
  }
  const commitEdit = () => finishEdit(true);
  const cancelEdit = () => finishEdit(false);

  function editorKeys(e) {
    const enterMode = editing && editing.mode === "enter";
    if (e.key === "Enter") { e.preventDefault(); commitEdit(); move(e.shiftKey ? -1 : 1, 0); focusGrid(); }
    else if (e.key === "Tab") { e.preventDefault(); commitEdit(); move(0, e.shiftKey ? -1 : 1); focusGrid(); }
    else if (e.key === "Escape") { e.preventDefault(); cancelEdit(); focusGrid(); }
    else if (enterMode && e.key.startsWith("Arrow")) {
      e.preventDefault(); commitEdit();
      const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
      move(d[0], d[1]); focusGrid();
    }
    e.stopPropagation();
  }

  // -- commands (menus, context menu, shortcuts) -------------------------------------------------
  function copy() {
    const { r1, r2, c1, c2 } = rect(), block = [], lines = [];
    for (let r = r1; r <= r2; r++) {
      const raws = [], shown = [];
      for (let c = c1; c <= c2; c++) { raws.push(data(r, c)[0]); shown.push(data(r, c)[1]); }
      block.push(raws); lines.push(shown.join("\t"));
    }
    clip = { block, origin: [r1, c1], text: lines.join("\n"), system: false };
    grid.querySelectorAll("td.copied").forEach(td => td.classList.remove("copied"));
    for (let r = r1; r <= r2; r++) for (let c = c1; c <= c2; c++) cells[r][c].classList.add("copied");
    return clip;
  }

  function pasteBlock(block, origin) {
    const { r, c } = active;
    const height = block.length, width = Math.max(...block.map(line => line.length));
    block.forEach((line, i) => line.forEach((raw, j) => {
      const key = (r + i) + ":" + (c + j), old = S.cells[key] || ["", "", ""];
      S.cells[key] = [raw, raw.startsWith("=") ? "…" : raw, old[2]];
    }));
    send("paste", { row: r, col: c, block, origin });
    anchor = { r: clamp(r + height - 1, 1, S.rows), c: clamp(c + width - 1, 1, S.cols) };
    paint();
  }

  function pasteText(text) {
    if (clip && text === clip.text) return pasteBlock(clip.block, clip.origin);
    const block = text.replace(/\r/g, "").replace(/\n$/, "").split("\n").map(line => line.split("\t"));
    pasteBlock(block, null);
  }

  function command(cmd) {
    const { r1, r2, c1, c2 } = rect();
    const [name, arg] = cmd.split(":");
    closeMenus();
    if (editing) commitEdit();
    if (name === "undo" || name === "redo") send(name);
    else if (name === "copy") copy();
    else if (name === "paste") { if (clip) pasteBlock(clip.block, clip.origin); }
    else if (name === "clear") {
      for (let r = r1; r <= r2; r++) for (let c = c1; c <= c2; c++) delete S.cells[r + ":" + c];
      send("clear", { r1, c1, r2, c2 }); paint();
    }
    else if (name === "format") send("format", { r1, c1, r2, c2, format: arg || "" });
    else if (name === "sort") send("sort", { col: active.c, descending: arg === "desc" });
    else if (name === "insert") send("insert-rows", { at: arg === "above" ? r1 : r2 + 1, count: 1 });
    else if (name === "delete-rows") send("delete-rows", { r1, r2 });
    else if (name === "find") { openFind(); return; }
    else if (name === "rename") { openRename(); return; }
    else if (name === "home") { window.location.href = "/"; return; }
    focusGrid();
  }

  // -- menus -----------------------------------------------------------------------------------
  let openRoot = null, subTimer = null, switchTimer = null;
  const roots = [...menubar.querySelectorAll(".menu-root")];

  function closeSubs(menu, except = null) {
    menu.querySelectorAll(".menu.sub").forEach(sub => {
      if (sub === except) return;
      sub.hidden = true; sub.previousElementSibling.setAttribute("aria-expanded", "false");
    });
  }
  function openSub(parentItem) {
    const sub = parentItem.nextElementSibling;
    closeSubs(parentItem.closest(".menu"), sub);
    sub.hidden = false; parentItem.setAttribute("aria-expanded", "true");
    return sub;
  }
  function openMenu(root) {
    closeMenus();
    const button = root.firstElementChild, menu = button.nextElementSibling;
    menu.hidden = false; button.setAttribute("aria-expanded", "true"); openRoot = root;
  }
  function closeMenus() {
    roots.forEach(root => {
      const button = root.firstElementChild, menu = button.nextElementSibling;
      menu.hidden = true; button.setAttribute("aria-expanded", "false"); closeSubs(menu);
    });
    contextMenu.hidden = true; openRoot = null; clearTimeout(subTimer); clearTimeout(switchTimer);
  }
  function openContext(x, y) {
    closeMenus();
    contextMenu.hidden = false;
    const w = contextMenu.offsetWidth, h = contextMenu.offsetHeight;
    contextMenu.style.left = Math.min(x, innerWidth - w - 4) + "px";
    contextMenu.style.top = Math.min(y, innerHeight - h - 4) + "px";
  }

  function wireMenu(menu) {
    menu.addEventListener("click", e => {
      const item = e.target.closest("[role=menuitem]");
      if (!item) return;
      e.stopPropagation();
      if (item.getAttribute("aria-haspopup")) { openSub(item); return; }
      if (item.dataset.cmd) command(item.dataset.cmd);
    });
    menu.addEventListener("mouseover", e => {
      const item = e.target.closest("[role=menuitem]");
      if (!item) return;
      const owner = item.closest(".menu");
      clearTimeout(subTimer);
      if (item.getAttribute("aria-haspopup")) openSub(item);
      else if (owner.classList.contains("sub")) { /* inside a submenu: keep it open */ }
      else subTimer = setTimeout(() => closeSubs(owner), 600);  // a pointer crossing on its way stays harmless
    });
    menu.addEventListener("keydown", menuKeys);
  }

  function menuKeys(e) {
    const item = e.target.closest("[role=menuitem]");
    if (!item) return;
    const menu = item.closest(".menu");
    const items = [...menu.children].map(el => el.matches("[role=menuitem]") ? el : el.querySelector(":scope > [role=menuitem]")).filter(Boolean);
    const i = items.indexOf(item);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") { e.preventDefault(); items[(i + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length].focus(); }
    else if (e.key === "ArrowRight" && item.getAttribute("aria-haspopup")) { e.preventDefault(); openSub(item).querySelector("[role=menuitem]").focus(); }
    else if (e.key === "ArrowLeft" && menu.classList.contains("sub")) { e.preventDefault(); closeSubs(menu.parentElement.closest(".menu")); menu.previousElementSibling.focus(); }
    else if (e.key === "Enter" || e.key === " ") { e.preventDefault(); item.click(); }
    else if (e.key === "Escape") { e.preventDefault(); closeMenus(); focusGrid(); }
    e.stopPropagation();
  }

  roots.forEach(root => {
    const button = root.firstElementChild;
    button.addEventListener("mousedown", e => e.preventDefault());
    button.addEventListener("click", e => { e.stopPropagation(); if (editing) commitEdit(); openRoot === root ? closeMenus() : openMenu(root); });
    // with a menu open, resting on another title switches to its menu; a pointer only crossing it does not
    button.addEventListener("mouseenter", () => {
      clearTimeout(switchTimer);
      if (openRoot && openRoot !== root) switchTimer = setTimeout(() => { if (openRoot) openMenu(root); }, 450);
    });
    button.addEventListener("mouseleave", () => clearTimeout(switchTimer));
    wireMenu(button.nextElementSibling);
  });
  wireMenu(contextMenu);
  [contextMenu, ...roots].forEach(el => el.addEventListener("mousedown", e => { if (e.target.closest("[role=menuitem]")) e.preventDefault(); }));
  document.addEventListener("mousedown", e => { if (!e.target.closest(".menu, .menu-root")) closeMenus(); });

  // -- mouse on the grid -----------------------------------------------------------------------
  grid.addEventListener("mousedown", e => {
    const td = e.target.closest("td[role=gridcell]"), colHead = e.target.closest("th[data-c]"), rowHead = e.target.closest("th[data-r]");
    if (editing && td && editing.from === "cell" && +td.dataset.r === editing.r && +td.dataset.c === editing.c) return;
    if (e.button === 2) {  // a right click keeps a selection it falls in, else selects what it is on
      const { r1, r2, c1, c2 } = rect();
      if (editing) commitEdit();
      if (td && !(+td.dataset.r >= r1 && +td.dataset.r <= r2 && +td.dataset.c >= c1 && +td.dataset.c <= c2)) select(+td.dataset.r, +td.dataset.c);
      if (rowHead && !(+rowHead.dataset.r >= r1 && +rowHead.dataset.r <= r2 && c1 === 1 && c2 === S.cols)) selectRange(+rowHead.dataset.r, 1, +rowHead.dataset.r, S.cols);
      e.preventDefault(); focusGrid(); return;
    }
    if (e.button !== 0) return;
    e.preventDefault();
    if (editing) commitEdit();
    if (td) { select(+td.dataset.r, +td.dataset.c, e.shiftKey); dragging = true; }
    else if (colHead) {
      const c = +colHead.dataset.c;
      if (e.shiftKey) { anchor = { r: S.rows, c: anchor.c }; active = { r: 1, c }; paint(); }
      else selectRange(1, c, S.rows, c);
    } else if (rowHead) {
      const r = +rowHead.dataset.r;
      if (e.shiftKey) { anchor = { r: anchor.r, c: S.cols }; active = { r, c: 1 }; paint(); }
      else selectRange(r, 1, r, S.cols);
    }
    focusGrid();
  });
  grid.addEventListener("mouseover", e => {
    const td = e.target.closest("td[role=gridcell]");
    if (dragging && td && (e.buttons & 1)) { active = { r: +td.dataset.r, c: +td.dataset.c }; paint(); }
  });
  document.addEventListener("mouseup", () => { dragging = false; });
  grid.addEventListener("dblclick", e => {
    const td = e.target.closest("td[role=gridcell]");
    if (!td || editing) return;
    select(+td.dataset.r, +td.dataset.c);
    startEdit("edit", data(active.r, active.c)[0]);
  });
  grid.addEventListener("contextmenu", e => {
    if (!e.target.closest("td[role=gridcell], th[data-r]")) return;
    e.preventDefault(); openContext(e.clientX, e.clientY);
  });
  document.addEventListener("contextmenu", e => { if (e.target.closest(".menu")) e.preventDefault(); });

  // -- keyboard on the grid --------------------------------------------------------------------
  const gridHasFocus = () => document.activeElement === grid || document.activeElement === document.body;
  const ARROWS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

  document.addEventListener("keydown", e => {
    const ctrl = e.ctrlKey || e.metaKey, k = e.key.toLowerCase();
    if (ctrl && k === "f" && renameBackdrop.hidden) { e.preventDefault(); if (editing) commitEdit(); openFind(); return; }
    if (!gridHasFocus() || !renameBackdrop.hidden) return;
    if (!contextMenu.hidden || openRoot) {
      if (e.key === "Escape") { closeMenus(); e.preventDefault(); }
      return;
    }
    if (ctrl) {
      if (k === "z" && !e.shiftKey) { e.preventDefault(); send("undo"); }
      else if (k === "y" || (k === "z" && e.shiftKey)) { e.preventDefault(); send("redo"); }
      else if (k === "c") copy();  // the copy event that follows fills the system clipboard too
      else if (k === "v") {       // the paste event brings the clipboard's text; without one, paste ours
        pasteHandled = false;
        setTimeout(() => { if (!pasteHandled && clip) pasteBlock(clip.block, clip.origin); }, 80);
      }
      else if (k === "a") { e.preventDefault(); selectRange(1, 1, S.rows, S.cols); }
      else if (e.key === "Home") { e.preventDefault(); select(1, 1); }
      return;
    }
    if (e.altKey) return;
    if (ARROWS[e.key]) { e.preventDefault(); move(...ARROWS[e.key], e.shiftKey); }
    else if (e.key === "Tab") { e.preventDefault(); move(0, e.shiftKey ? -1 : 1); }
    else if (e.key === "Enter") { e.preventDefault(); move(e.shiftKey ? -1 : 1, 0); }
    else if (e.key === "F2") { e.preventDefault(); startEdit("edit", data(active.r, active.c)[0]); }
    else if (e.key === "Delete" || e.key === "Backspace") { e.preventDefault(); command("clear"); }
    else if (e.key === "Escape") { grid.querySelectorAll("td.copied").forEach(td => td.classList.remove("copied")); }
    // Type-to-edit: open an empty editor and let the browser put the key's character into it (a key
    // freshly mapped for a non-ASCII character reports e.key "\u0000" on its first press).
    else if (e.key.length === 1) { startEdit("enter", ""); }
  });

  document.addEventListener("copy", e => {
    if (!gridHasFocus() || editing) return;
    const c = copy();
    e.clipboardData.setData("text/plain", c.text);
    c.system = true;  // the system clipboard holds this copy: a later paste may read it from there
    e.preventDefault();
  });
  document.addEventListener("paste", e => {
    if (!gridHasFocus() || editing) return;
    const text = e.clipboardData.getData("text/plain");
    e.preventDefault();
    pasteHandled = true;
    if (clip && (!clip.system || !text)) pasteBlock(clip.block, clip.origin);  // copied by menu: ours is newer
    else if (text) pasteText(text);
  });

  // -- name box and formula bar ----------------------------------------------------------------
  nameBox.addEventListener("focus", () => nameBox.select());
  nameBox.addEventListener("keydown", e => {
    if (e.key === "Enter") {
      e.preventDefault();
      const [first, last] = nameBox.value.split(":").map(parseRef);
      if (first) { select(first.r, first.c); if (last) { anchor = { r: last.r, c: last.c }; paint(); } }
      focusGrid();
    } else if (e.key === "Escape") { paint(); focusGrid(); }
  });
  formula.addEventListener("focus", () => { if (editing && editing.from === "cell") commitEdit(); editing = { r: active.r, c: active.c, from: "bar" }; });
  formula.addEventListener("keydown", e => {
    if (e.key === "Enter") { e.preventDefault(); commitEdit(); move(1, 0); focusGrid(); }
    else if (e.key === "Escape") { e.preventDefault(); cancelEdit(); focusGrid(); }
  });
  formula.addEventListener("blur", () => { if (editing && editing.from === "bar") commitEdit(); });

  // -- find ------------------------------------------------------------------------------------
  function openFind() {
    closeMenus();
    findbar.hidden = false; findStatus.textContent = "";
    findInput.focus(); findInput.select();
  }
  function closeFind() { findbar.hidden = true; grid.querySelectorAll("td.found").forEach(td => td.classList.remove("found")); focusGrid(); }
  function findNext() {
    const needle = findInput.value.trim().toLowerCase();
    if (!needle) return;
    const total = S.rows * S.cols, start = (active.r - 1) * S.cols + (active.c - 1);
    for (let step = 1; step <= total; step++) {
      const i = (start + step) % total, r = Math.floor(i / S.cols) + 1, c = (i % S.cols) + 1;
      const [raw, shown] = data(r, c);
      if (shown.toLowerCase().includes(needle) || raw.toLowerCase().includes(needle)) {
        grid.querySelectorAll("td.found").forEach(td => td.classList.remove("found"));
        select(r, c); cells[r][c].classList.add("found");
        findStatus.textContent = "Found in " + ref(r, c);
        return;
      }
    }
    findStatus.textContent = "No match";
  }
  findInput.addEventListener("keydown", e => {
    if (e.key === "Enter") { e.preventDefault(); findNext(); }
    else if (e.key === "Escape") { e.preventDefault(); closeFind(); }
  });
  $("find-next").addEventListener("click", findNext);
  $("find-close").addEventListener("click", closeFind);

  // -- rename dialog ---------------------------------------------------------------------------
  function openRename() {
    renameBackdrop.hidden = false; renameError.textContent = "";
    renameInput.value = S.name; renameInput.focus(); renameInput.select();
  }
  function closeRename() { renameBackdrop.hidden = true; focusGrid(); }
  $("rename-dialog").addEventListener("submit", e => {
    e.preventDefault();
    const name = renameInput.value.trim();
    if (!name) { renameError.textContent = "A sheet needs a name."; return; }
    send("rename", { name }).then(state => {
      if (state && state.error) renameError.textContent = state.error;
      else closeRename();
    });
  });
  $("rename-cancel").addEventListener("click", closeRename);
  renameBackdrop.addEventListener("keydown", e => { if (e.key === "Escape") { e.preventDefault(); closeRename(); } });
  renameBackdrop.addEventListener("mousedown", e => { if (e.target === renameBackdrop) e.preventDefault(); });

  // -- start -----------------------------------------------------------------------------------
  document.documentElement.style.setProperty("--top-h", $("top").offsetHeight + "px");
  new ResizeObserver(() => document.documentElement.style.setProperty("--top-h", $("top").offsetHeight + "px")).observe($("top"));
  build();
  focusGrid();
})();
