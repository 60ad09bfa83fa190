"""The seeded workbook: a budget, an inventory, a contact list and a long order log (fake data only)."""

from __future__ import annotations

from cleantrace.world import World

from .model import SCHEMA, add_sheet

BUDGET = "Q3 budget"
INVENTORY = "Inventory"
CONTACTS = "Contacts"
ORDERS = "Orders"
SHEETS = (BUDGET, INVENTORY, CONTACTS, ORDERS)

CATEGORIES = ("Rent", "Salaries", "Software", "Travel", "Marketing", "Utilities", "Training", "Office supplies")
MONTHS = ("July", "August", "September", "October")
BUDGET_TITLES = ("Category", *MONTHS, "Total")
ITEMS = (
    "Stapler", "Desk lamp", "Whiteboard", "Marker set", "Label printer", "Paper ream", "Monitor stand",
    "USB hub", "Desk chair", "Filing cabinet", "Headset", "Webcam", "Notebook pack", "Sticky notes",
    "Cable ties", "Laptop stand", "Keyboard", "Mouse pad", "Printer toner", "Shredder", "Coat rack",
    "Wall clock", "Water filter", "Extension lead",
)
LOCATIONS = ("Shelf A1", "Shelf A2", "Shelf B1", "Shelf B3", "Bin C2", "Bin C4", "Cage D1", "Rack E2")
INVENTORY_TITLES = ("SKU", "Item", "Qty", "Unit price", "Location")
CONTACT_TITLES = ("Name", "Company", "E-mail", "Phone", "City")
ORDER_TITLES = ("Order", "Customer", "Item", "Qty", "Total", "Status")
STATUSES = ("Pending", "Shipped", "Delivered", "Cancelled", "On hold")
INVENTORY_ROWS, CONTACT_ROWS, ORDER_ROWS = 18, 20, 90


def populate(world: World) -> None:
    """Create the schema and the four seeded sheets."""
    world.db.executescript(SCHEMA)
    with world.db.transaction():
        _fill(world)


def _fill(world: World) -> None:
    rng = world.rng
    budget = [list(BUDGET_TITLES)]
    for r, category in enumerate(CATEGORIES, start=2):
        budget.append([category, *(rng.randrange(200, 9000, 10) for _ in range(3)), "", f"=SUM(B{r}:E{r})"])
    add_sheet(world.db, BUDGET, budget)

    skus = rng.sample(range(1000, 9999), INVENTORY_ROWS)
    prices = {item: round(rng.uniform(1.5, 120), 2) for item in ITEMS}
    inventory = [list(INVENTORY_TITLES)] + [
        [f"SKU-{sku}", item, rng.randrange(0, 250), prices[item], rng.choice(LOCATIONS)]
        for sku, item in zip(skus, rng.sample(ITEMS, INVENTORY_ROWS), strict=True)
    ]
    add_sheet(world.db, INVENTORY, inventory)

    names: list[str] = []
    while len(names) < CONTACT_ROWS:
        if (name := world.fake.name()) not in names:
            names.append(name)
    contacts = [list(CONTACT_TITLES)] + [
        [name, world.fake.company(), world.fake.email(name), world.fake.phone(), world.fake.faker.city()]
        for name in names
    ]
    add_sheet(world.db, CONTACTS, contacts)

    customers = [world.fake.company() for _ in range(25)]
    orders = [list(ORDER_TITLES)]
    for n in range(ORDER_ROWS):
        item, qty = rng.choice(ITEMS), rng.randrange(1, 40)
        orders.append([f"ORD-{1001 + n}", rng.choice(customers), item, qty, round(qty * prices[item], 2),
                       rng.choice(STATUSES)])
    add_sheet(world.db, ORDERS, orders)
