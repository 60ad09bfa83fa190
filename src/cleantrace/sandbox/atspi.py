"""The accessibility tree of native applications, read over AT-SPI's own D-Bus API with jeepney.

Pure Python on purpose: no PyGObject to build against the system's GObject introspection, the
same code in the venv, the sandbox and the container image. Calls for a whole level of the tree go
out at once and their replies are collected after (one round trip per level, not per call).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from jeepney import DBusAddress, HeaderFields, MessageType, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from cleantrace.errors import GroundingError

ACCESSIBLE = "org.a11y.atspi.Accessible"
COMPONENT = "org.a11y.atspi.Component"
REGISTRY = "org.a11y.atspi.Registry"
ROOT = "/org/a11y/atspi/accessible/root"
NULL_PATH = "/org/a11y/atspi/null"
SCREEN = 0  # ATSPI_COORD_TYPE_SCREEN
MAX_CHILDREN = 2000  # containers with more children (a spreadsheet's cells) are not listed
RELATION_LABEL_FOR = 1

# AtspiStateType bit numbers (at-spi2-core's atspi-constants.h)
STATE_BITS = {
    "active": 1, "armed": 2, "busy": 3, "checked": 4, "collapsed": 5, "defunct": 6, "editable": 7, "enabled": 8,
    "expandable": 9, "expanded": 10, "focusable": 11, "focused": 12, "modal": 16, "multi_line": 17,
    "multiselectable": 18, "pressed": 20, "selectable": 22, "selected": 23, "sensitive": 24, "showing": 25,
    "single_line": 26, "transient": 28, "visible": 30, "manages_descendants": 31, "indeterminate": 32,
    "required": 33, "invalid_entry": 36, "checkable": 41, "has_popup": 42, "read_only": 43,
}
# what the labels and a target's state keep (the rest is how the toolkit draws it)
KEPT_STATES = ("focused", "checked", "selected", "expanded", "pressed", "editable", "read_only", "required",
               "multiselectable", "has_popup", "indeterminate")
SPACES = re.compile(r"\s+")
FIELD_ROLES = {"text", "combo box", "spin button"}
TEXT_NAMED_ROLES = {"icon", "list item", "table cell"}
TAB_MEMORY = re.compile(r" - Memory usage - [0-9.,]+ ?[KMGT]?B$")
CELL_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


@dataclass
class Node:
    """One accessible object as read at one moment; `box` is (x, y, w, h) in screen pixels."""

    bus: str
    path: str
    role: str = ""
    name: str = ""
    states: frozenset[str] = frozenset()
    box: tuple[int, int, int, int] | None = None
    children: int = 0
    parent: Node | None = field(default=None, repr=False)
    depth: int = 0
    locator: dict | None = field(default=None, repr=False)  # how the Actor found it (to find it anew)

    @property
    def ref(self) -> tuple[str, str]:
        return (self.bus, self.path)

    @property
    def showing(self) -> bool:
        """Drawn on the screen now: showing and visible, with a box of some size on the screen."""
        if not {"showing", "visible"} <= self.states or self.box is None:
            return False
        x, y, w, h = self.box
        return w > 0 and h > 0 and x > -10000 and y > -10000

    @property
    def enabled(self) -> bool:
        return "sensitive" in self.states or "enabled" in self.states

    def ancestors(self) -> Iterable[Node]:
        n = self.parent
        while n is not None:
            yield n
            n = n.parent

    def window(self) -> Node | None:
        """The top-level window (frame, dialog, window…) this node is in: the child of its application."""
        top = None
        for n in [self, *self.ancestors()]:
            if n.parent is not None and n.parent.role == "application":
                top = n
        return top

    def app(self) -> str:
        root = ([self, *self.ancestors()])[-1]
        return root.name if root.role == "application" else ""

    def state(self) -> dict[str, object]:
        return {s: True for s in KEPT_STATES if s in self.states}


class Atspi:
    """A connection to the accessibility bus of one session."""

    def __init__(self, address: str | None = None, timeout: float = 2.0) -> None:
        self.timeout = timeout
        try:
            self.conn: DBusConnection = open_dbus_connection(bus=address or bus_address())
        except (OSError, ValueError, KeyError) as exc:
            raise GroundingError(f"the AT-SPI bus is not reachable: {exc}",
                                 "start at-spi-bus-launcher in the session (the desktop profile does)") from None

    # -- batched calls ----------------------------------------------------------------------
    def calls(self, messages: list) -> list:
        """Send every message, then collect the replies in order; an error reply comes back as None."""
        serials = [next(self.conn.outgoing_serial) for _ in messages]
        self.conn.sock.sendall(b"".join(m.serialise(serial=s) for m, s in zip(messages, serials, strict=True)))
        want = set(serials)
        got: dict[int, object] = {}
        while want:
            try:
                reply = self.conn.receive(timeout=self.timeout)
            except TimeoutError:
                raise GroundingError("AT-SPI did not answer (an application is hung?)", "") from None
            serial = reply.header.fields.get(HeaderFields.reply_serial)
            if serial in want:
                want.discard(serial)
                got[serial] = reply.body if reply.header.message_type == MessageType.method_return else None
        return [got[s] for s in serials]

    def call(self, ref: tuple[str, str], iface: str, method: str, sig: str | None = None, body: tuple = ()):
        out = self.calls([_method(ref, iface, method, sig, body)])[0]
        return out

    # -- reading nodes --------------------------------------------------------------------------
    def states(self, nodes: list[Node]) -> None:
        """Read the state of many nodes in one round trip."""
        replies = self.calls([_method(n.ref, ACCESSIBLE, "GetState") for n in nodes])
        for n, state in zip(nodes, replies, strict=True):
            n.states = _states(state[0]) if state else frozenset()

    def fill(self, nodes: list[Node]) -> None:
        """Read role, name, state, box and child count of many nodes in one round trip."""
        msgs = []
        for n in nodes:
            addr = DBusAddress(n.path, bus_name=n.bus, interface=ACCESSIBLE)
            msgs += [
                new_method_call(addr, "GetRoleName"),
                Properties(addr).get("Name"),
                new_method_call(addr, "GetState"),
                Properties(addr).get("ChildCount"),
                _method(n.ref, COMPONENT, "GetExtents", "u", (SCREEN,)),
            ]
        replies = self.calls(msgs)
        for k, n in enumerate(nodes):
            role, name, state, count, ext = replies[5 * k:5 * k + 5]
            n.role = role[0] if role else ""
            n.name = SPACES.sub(" ", str(name[0][1])).strip() if name else ""
            n.states = _states(state[0]) if state else frozenset()
            n.children = int(count[0][1]) if count else 0
            n.box = tuple(ext[0]) if ext else None  # type: ignore[assignment]
            if not n.name and n.role in FIELD_ROLES:
                n.name = field_name(n)
            elif n.role == "page tab":
                n.name = TAB_MEMORY.sub("", n.name)  # Chromium's tab names end in its hover card's memory use
        # a GTK2 file manager's icons carry their file name as text only
        unnamed = [n for n in nodes if not n.name and n.role in TEXT_NAMED_ROLES and "showing" in n.states]
        if unnamed:
            texts = self.calls([_method(n.ref, "org.a11y.atspi.Text", "GetText", "ii", (0, -1)) for n in unnamed])
            for n, t in zip(unnamed, texts, strict=True):
                n.name = SPACES.sub(" ", str(t[0])).strip()[:200] if t else ""

    def children(self, nodes: list[Node]) -> list[list[Node]]:
        """The children of each node (one round trip), not yet filled."""
        replies = self.calls([_method(n.ref, ACCESSIBLE, "GetChildren") for n in nodes])
        out = []
        for n, reply in zip(nodes, replies, strict=True):
            kids = [Node(bus, path, parent=n, depth=n.depth + 1) for bus, path in (reply[0] if reply else [])
                    if path != NULL_PATH]
            out.append(kids)
        return out

    def applications(self) -> list[Node]:
        """The desktop's applications (filled), each with its top-level windows as children."""
        root = Node(REGISTRY, ROOT)
        apps = self.children([root])[0]
        for a in apps:
            a.parent = None
            a.depth = 0
        self.fill(apps)
        return apps

    def windows(self) -> list[Node]:
        """Every top-level window of every application (filled)."""
        apps = self.applications()
        tops = [w for kids in self.children(apps) for w in kids]
        self.fill(tops)
        return tops

    def subtree(self, roots: list[Node], showing_only: bool = True, max_nodes: int = 20000) -> list[Node]:
        """`roots` and their descendants, level by level (roots already filled). Hidden nodes
        (`showing_only`: not in the result) and containers of more than MAX_CHILDREN children (a Calc
        sheet has 2^31 cells) are not entered."""
        out = list(roots)
        level = [n for n in roots if _enter(n, showing_only)]
        while level and len(out) < max_nodes:
            kids = [k for group in self.children(level) for k in group]
            if showing_only:  # the state first: most of a big tree is hidden (closed menus' items)
                self.states(kids)
                kids = [k for k in kids if "showing" in k.states]
            self.fill(kids)
            out += kids
            level = [n for n in kids if _enter(n, showing_only)]
        return out

    def lineage(self, node: Node, top: Node) -> list[Node]:
        """`top` down to `node` through its real parents (filled): some apps (Chromium) answer a
        point with their deepest element at once, skipping the containers between."""
        chain = [node]
        while len(chain) < 80:
            reply = self.calls([Properties(DBusAddress(chain[-1].path, bus_name=chain[-1].bus,
                                                       interface=ACCESSIBLE)).get("Parent")])[0]
            if not reply:
                break
            ref = tuple(reply[0][1])
            if ref == top.ref or ref[1] in (NULL_PATH, ROOT):
                break
            chain.append(Node(*ref))
            self.fill([chain[-1]])
        chain.append(top)
        chain.reverse()
        for parent, child in zip(chain, chain[1:], strict=False):
            child.parent, child.depth = parent, parent.depth + 1
        return chain

    def label_targets(self, label: Node) -> list[tuple[str, str]]:
        """What a label names (its LABEL_FOR relations)."""
        reply = self.call(label.ref, ACCESSIBLE, "GetRelationSet")
        out = []
        for kind, targets in (reply[0] if reply else []):
            if kind == RELATION_LABEL_FOR:
                out += [tuple(t) for t in targets]
        return out

    def cell(self, table: Node, ref: str) -> Node | None:
        """The cell `ref` ("C3") of a spreadsheet table (filled), which does not list its cells."""
        m = CELL_REF.fullmatch(ref.strip().upper())
        if not m:
            return None
        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        reply = self.call(table.ref, "org.a11y.atspi.Table", "GetAccessibleAt", "ii", (int(m.group(2)) - 1, col - 1))
        if not reply or reply[0][1] == NULL_PATH:
            return None
        cell = Node(*reply[0], parent=table, depth=table.depth + 1)
        self.fill([cell])
        return cell

    def text(self, node: Node) -> str:
        """The text of a node with the Text interface ('' without)."""
        reply = self.call(node.ref, "org.a11y.atspi.Text", "GetText", "ii", (0, -1))
        return str(reply[0]) if reply else ""

    def close(self) -> None:
        self.conn.close()


def field_name(node: Node) -> str:
    """The name a person gives a field its toolkit left unnamed (LibreOffice 7.4's GTK3 tool bars):
    the named panel it sits in alone ("Font Name", "Font Size"), and the Calc formula bar's cell
    reference field, "Name Box" as LibreOffice's tooltip calls it. '' when nothing names it."""
    for a in node.ancestors():
        if a.role == "tool bar" and a.name == "Formula Tool Bar" and node.role == "text":
            return "Name Box"
        if a.name:
            return a.name if a.role in ("panel", "filler") and node.app() == "soffice" else ""
    return ""


def bus_address() -> str:
    """The accessibility bus: $AT_SPI_BUS_ADDRESS, else asked of the session bus (org.a11y.Bus)."""
    if os.environ.get("AT_SPI_BUS_ADDRESS"):
        return os.environ["AT_SPI_BUS_ADDRESS"]
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise KeyError("no DBUS_SESSION_BUS_ADDRESS in the environment")
    with open_dbus_connection(bus="SESSION") as session:
        reply = session.send_and_get_reply(
            new_method_call(DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.a11y.Bus"),
                            "GetAddress"), timeout=5)
    if reply.header.message_type != MessageType.method_return:
        raise KeyError(f"org.a11y.Bus: {reply.body}")
    return str(reply.body[0])


def _method(ref: tuple[str, str], iface: str, method: str, sig: str | None = None, body: tuple = ()):
    return new_method_call(DBusAddress(ref[1], bus_name=ref[0], interface=iface), method, sig, body)


def _states(words: list[int]) -> frozenset[str]:
    bits = int(words[0]) | (int(words[1]) << 32 if len(words) > 1 else 0)
    return frozenset(name for name, bit in STATE_BITS.items() if bits >> bit & 1)


def _enter(node: Node, showing_only: bool) -> bool:
    if node.children <= 0 or node.children > MAX_CHILDREN:
        return False  # a Calc sheet says it has 2^31 cells; a file list's few hundred rows are read
    if showing_only and node.role != "application":
        if "showing" not in node.states:
            return False
        # (a GTK notebook's page tab is showing with a box of -1 or 0 x 0: its page is entered); a container
        # drawn with no area holds nothing one sees (LibreOffice keeps a second, empty menu bar)
        if node.box is not None and node.box[0] > -2 ** 30 and node.role != "page tab" \
                and (node.box[2] <= 0 or node.box[3] <= 0):
            return False
    return True
