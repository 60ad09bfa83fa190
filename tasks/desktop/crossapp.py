"""Tasks across applications: a document's figures into a web app, a web app's data into a document,
a mail's link opened in a new tab, a mail's table into Calc."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cleantrace.tasks import expect
from cleantrace.world.documents import odt_bytes, read_document, read_text, txt_bytes, xlsx_bytes

from ._common import (
    DOCS,
    ITEMS,
    DesktopTask,
    expect_same_rows,
    expense_rows,
    file_name,
    go_to_cell,
    home_path,
    money,
    save_as,
    select_span,
    sheet_of,
    total,
    window_of,
)

MAIL_ME = "robin.vale@example.com"


def post(client, path: str, form: dict | None = None, json: dict | None = None):
    response = client.post(path, data=form, json=json)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {path} answered {response.status_code}")
    return response


def add_mail(world, sender: str, subject: str, body: str) -> int:
    """A new unread inbox thread from the contact `sender` (the mail app's world), newest of all."""
    db = world.db
    email = db.scalar("select email from contacts where name = ?", sender)
    stamp = (datetime.fromisoformat(db.scalar("select max(updated_at) from threads")) + timedelta(minutes=7))
    when = stamp.isoformat(timespec="minutes")
    tid = db.execute("insert into threads (subject, folder, starred, unread, updated_at) values (?, 'inbox', 0, 1, ?)",
                     subject, when).lastrowid
    mid = db.execute("insert into messages (thread_id, sender_name, sender_email, outgoing, sent_at, body)"
                     " values (?,?,?,0,?,?)", tid, sender, email, when, body).lastrowid
    db.execute("insert into recipients (message_id, name, email) values (?, 'Robin Vale', ?)", mid, MAIL_ME)
    return tid


def mail_prefix(mail, name: str) -> str:
    """The shortest start (3+ letters) of the contact's last or first name that the mail app's To box
    suggests only them for (its rule: a word of the name, or the address, starts with what is typed)."""
    contacts = mail.db.rows("select name, email from contacts order by name")

    def matches(q: str) -> list[str]:
        q = q.lower()
        return [c.name for c in contacts if any(w.startswith(q) for w in c.name.lower().split())
                or c.name.lower().startswith(q) or c.email.startswith(q)]

    for word in (name.split()[-1], name.split()[0]):
        for n in range(3, len(word) + 1):
            if matches(word[:n]) == [name]:
                return word[:n]
    return name


def switch_to_browser(actor) -> None:
    """Alt+Tab back to the browser window (the one in front before the native app)."""
    actor.hotkey("alt", "Tab")


def statuses(crm) -> list[str]:
    """The lead statuses the crm's leads have (its Status list offers them)."""
    return [r.status for r in crm.db.rows("select distinct status from leads order by status")]


def sent_bodies(world, email: str) -> list[str]:
    return [r.body for r in world.db.rows(
        "select m.body from messages m join recipients r on r.message_id = m.id where m.outgoing = 1 and r.email = ?"
        " order by m.id", email)]


class DealTotalFromCalc(DesktopTask):
    id = "desktop/cross-calc-total-to-crm-deal"
    web_apps = ("crm",)
    skills = ("cross-app", "spreadsheet", "formula", "window-switch", "form")
    difficulty = "hard"
    instruction = (
        "Add up the amounts in {file} in Calc and enter the total as the Amount of the deal {deal} in the CRM; save.",
        "The quote {file} lists the parts of {deal}: put their total into that deal's Amount field and save the deal.",
        "Work out the sum of the Amount column of {file} and set {deal}'s amount in the crm to it.",
    )

    def setup(self, world):
        crm = world.app("crm")
        deal = crm.pick("deals")
        items = world.rng.sample(ITEMS, world.rng.randint(3, 6))
        rows = [["Item", "Amount"], *[[i, world.rng.randint(4, 90) * 50] for i in items]]
        if sum(r[1] for r in rows[1:]) == deal.amount:
            rows[1][1] += 50
        return {"deal": deal.name, "deal_id": deal.id, "file": f"{DOCS}/{file_name(world)}", "rows": rows,
                "total": sum(r[1] for r in rows[1:])}

    def home_files(self, p):
        return {p["file"]: xlsx_bytes({"Quote": p["rows"]})}

    def open_at_start(self, p):
        return [("browser", f"http://crm.test/deals/{p['deal_id']}"), ("calc", p["file"])]

    def solve(self, actor, p):
        calc = window_of(actor, p["file"])
        n = len(p["rows"])
        go_to_cell(calc, f"B{n + 1}")
        calc.type(f"=SUM(B2:B{n})")
        calc.press("Return")
        switch_to_browser(actor)
        actor.type(str(p["total"]), label="Amount (USD)", replace=True)
        actor.click(role="button", name="Save")

    def check(self, world, p):
        amount = world.app("crm").db.scalar("select amount from deals where name = ?", p["deal"])
        return expect(amount == p["total"], f"the amount of {p['deal']} is {amount}, not {p['total']}")

    def effect(self, app, world, p):
        deal = world.app("crm").db.rows("select * from deals where name = ?", p["deal"])[0]
        post(app["crm"], f"/deals/{deal.id}", {"stage": deal.stage, "amount": str(p["total"]),
                                               "close_date": deal.close_date})

    def wrong_params(self, world, p):  # the total without the last item (the deal's page is open at the start:
        return {**p, "total": p["total"] - p["rows"][-1][1]}  # another deal in p would not change what is typed)


class MailLinkInNewTab(DesktopTask):
    id = "desktop/cross-mail-link-new-tab"
    web_apps = ("mail", "crm")
    skills = ("cross-app", "browser-tabs", "native-select", "click")
    difficulty = "hard"
    instruction = (
        "Read {sender}'s mail \"{subject}\", open the CRM link in it in a new tab, and do what the mail asks.",
        "In the mail from {sender} about {lead}, open the link in a new tab and set that lead's status as requested.",
        "Open the lead linked in the message \"{subject}\" in a new browser tab and change its status to what "
        "{sender} wants.",
    )

    def setup(self, world):
        crm, mail = world.app("crm"), world.app("mail")
        lead = crm.pick("leads")
        status = world.choice([s for s in statuses(crm) if s != lead.status])
        sender = mail.pick("contacts").name
        subject = f"Please update {lead.name}"
        body = (f"Hi Robin, we spoke with {lead.name} today. Could you set the lead to {status}? "
                f"Here it is: http://crm.test/leads/{lead.id}")
        add_mail(mail, sender, subject, body)
        return {"lead": lead.name, "lead_id": lead.id, "status": status, "sender": sender, "subject": subject}

    def open_at_start(self, p):
        return [("browser", "http://mail.test/")]

    def solve(self, actor, p):
        actor.click(role="link", name=p["subject"])
        actor.click(role="link", name=f"http://crm.test/leads/{p['lead_id']}", hold=("ctrl",))
        actor.hotkey("ctrl", "Tab")  # to the new tab (opened behind, to the right)
        actor.select(label="Status", option=p["status"])
        actor.click(role="button", name="Save")

    def check(self, world, p):
        status = world.app("crm").db.scalar("select status from leads where name = ?", p["lead"])
        return expect(status == p["status"], f"{p['lead']}'s status is {status}, not {p['status']}")

    def effect(self, app, world, p):
        lead = world.app("crm").db.rows("select * from leads where name = ?", p["lead"])[0]
        post(app["crm"], f"/leads/{lead.id}", {"status": p["status"], "priority": lead.priority,
                                               "notes": lead.notes or ""})

    def wrong_params(self, world, p):
        current = world.app("crm").db.scalar("select status from leads where name = ?", p["lead"])
        return {**p, "status": world.choice([s for s in statuses(world.app("crm")) if s not in (p["status"], current)])}


class PhoneFromNotes(DesktopTask):
    id = "desktop/cross-notes-phone-to-crm"
    web_apps = ("crm",)
    skills = ("cross-app", "text-editor", "window-switch", "form", "typing")
    difficulty = "medium"
    instruction = (
        "{file} has a new phone number for {account}: put it into the account in the CRM and save.",
        "Update {account}'s phone in the crm with the number written in {file}.",
        "Read the note {file} and enter the phone number it gives for {account} on that account; save it.",
    )

    def setup(self, world):
        account = world.app("crm").pick("accounts")
        phone = world.fake.phone()
        while phone == account.phone:
            phone = world.fake.phone()
        name = f"{DOCS}/{world.choice(('call-notes', 'notes', 'phone-list', 'updates'))}.txt"
        return {"account": account.name, "account_id": account.id, "phone": phone, "file": name}

    def home_files(self, p):
        return {p["file"]: txt_bytes(["Notes from today's calls", "",
                                      f"{p['account']} has a new main number: {p['phone']}",
                                      "Ask about the renewal next month."])}

    def open_at_start(self, p):
        return [("browser", f"http://crm.test/accounts/{p['account_id']}"), ("editor", p["file"])]

    def solve(self, actor, p):
        switch_to_browser(actor)
        actor.type(p["phone"], label="Phone", replace=True)
        actor.click(role="button", name="Save account")

    def check(self, world, p):
        read_text(home_path(world, p["file"]))  # the note is still there to read
        phone = world.app("crm").db.scalar("select phone from accounts where name = ?", p["account"])
        return expect(phone == p["phone"], f"the phone of {p['account']} is {phone}, not {p['phone']}")

    def effect(self, app, world, p):
        account = world.app("crm").db.rows("select * from accounts where name = ?", p["account"])[0]
        post(app["crm"], f"/accounts/{account.id}", {"industry": account.industry, "phone": p["phone"],
                                                     "email": account.email})

    def wrong_params(self, world, p):  # another number typed (the account's page is open at the start: another
        phone = world.fake.phone()     # account in p would not change what is typed)
        while phone == p["phone"]:
            phone = world.fake.phone()
        return {**p, "phone": phone}


class MailCalcTotal(DesktopTask):
    id = "desktop/cross-calc-total-by-mail"
    web_apps = ("mail",)
    skills = ("cross-app", "spreadsheet", "formula", "aria-combobox", "typing")
    difficulty = "hard"
    instruction = (
        "Send {contact} a mail with the subject \"{subject}\" giving the total of the Amount column of {file}.",
        "Work out the total amount in {file} and mail it to {contact} (subject \"{subject}\").",
        "E-mail {contact} the sum of the amounts listed in {file}; use the subject \"{subject}\".",
    )

    def setup(self, world):
        mail = world.app("mail")
        contact = mail.pick("contacts")
        book = expense_rows(world, world.rng.randint(4, 7))
        return {"contact": contact.name, "email": contact.email, "prefix": mail_prefix(mail, contact.name),
                "file": f"{DOCS}/{file_name(world)}",
                "rows": book, "total": money(total(book)), "subject": f"Total for {file_name(world, suffix='')}"}

    def home_files(self, p):
        return {p["file"]: xlsx_bytes({"Sheet1": p["rows"]})}

    def open_at_start(self, p):
        return [("browser", "http://mail.test/"), ("calc", p["file"])]

    def solve(self, actor, p):
        calc = window_of(actor, p["file"])
        n = len(p["rows"])
        go_to_cell(calc, f"C{n + 1}")
        calc.type(f"=SUM(C2:C{n})")
        calc.press("Return")
        switch_to_browser(actor)
        actor.click(role="button", name="Compose")
        actor.type(p["prefix"], label="To")
        actor.click(role="option", name=p["contact"])
        actor.type(p["subject"], label="Subject")
        actor.type(f"The total is {p['total']}.", label="Message")
        actor.click(role="button", name="Send")
        actor.wait_for(text="Message sent")

    def check(self, world, p):
        bodies = sent_bodies(world.app("mail"), p["email"])
        expect(bodies, f"nothing was sent to {p['contact']}")
        return expect(any(p["total"] in b.replace(",", "") for b in bodies),
                      f"the mail to {p['contact']} does not give the total {p['total']}")

    def effect(self, app, world, p):
        post(app["mail"], "/api/send", json={"to": [p["email"]], "subject": p["subject"],
                                             "body": f"The total is {p['total']}."})

    def wrong_params(self, world, p):
        other = world.choice(world.app("mail").db.rows("select * from contacts where name != ? order by id",
                                                       p["contact"]))
        return {**p, "contact": other.name, "email": other.email, "prefix": mail_prefix(world.app("mail"), other.name)}


class LeadToDocument(DesktopTask):
    id = "desktop/cross-crm-lead-to-writer"
    web_apps = ("crm",)
    skills = ("cross-app", "word-processor", "file-dialog", "typing")
    difficulty = "medium"
    instruction = (
        "Write the e-mail address and the phone number of the lead {lead} (from the CRM) into a new document "
        "and save it as {file}.",
        "Copy {lead}'s e-mail and phone from the crm into a new Writer document saved as {file}.",
        "Make a document {file} holding the contact details (e-mail, phone) of the CRM lead {lead}.",
    )

    def setup(self, world):
        lead = world.app("crm").pick("leads")
        return {"lead": lead.name, "lead_id": lead.id, "email": lead.email, "phone": lead.phone,
                "file": f"{DOCS}/{world.choice(('contact', 'lead', 'callback'))}-{world.rng.randint(1, 99)}.odt"}

    def open_at_start(self, p):
        return [("browser", f"http://crm.test/leads/{p['lead_id']}"), ("writer", None)]

    def solve(self, actor, p):
        writer = actor.native.window("LibreOffice Writer")
        writer.type(p["lead"])
        writer.press("Return")
        writer.type(p["email"])
        writer.press("Return")
        writer.type(p["phone"])
        writer.hotkey("ctrl", "s")
        actor.native.file_dialog(p["file"])

    def check(self, world, p):
        text = read_document(home_path(world, p["file"])).text
        for what in ("email", "phone"):
            expect(p[what] in text, f"{p['file']} does not give the {what} {p[what]} of {p['lead']}")
        return True

    def effect(self, app, world, p):
        home_path(world, p["file"]).parent.mkdir(parents=True, exist_ok=True)
        home_path(world, p["file"]).write_bytes(odt_bytes([("Normal", p["lead"]), ("Normal", p["email"]),
                                                           ("Normal", p["phone"])]))

    def wrong_params(self, world, p):
        other = world.choice(world.app("crm").db.rows("select * from leads where name != ? order by id", p["lead"]))
        return {**p, "lead": other.name, "lead_id": other.id, "email": other.email, "phone": other.phone}


class MailTableToCalc(DesktopTask):
    id = "desktop/cross-mail-table-to-calc"
    web_apps = ("mail",)
    skills = ("cross-app", "copy-paste", "spreadsheet", "file-dialog", "window-switch")
    difficulty = "hard"
    version = 3  # 3: a last row whose price equals its quantity gets a price one higher (seed 6 had two cells named 3)
    instruction = (
        "Copy the table in {sender}'s mail \"{subject}\" into a new spreadsheet and save it as {file}.",
        "Put the order table from the message \"{subject}\" into Calc and save the sheet as {file}.",
        "Take the table {sender} mailed (\"{subject}\") into a new Calc document, saved as {file} (Excel format).",
    )

    def setup(self, world):
        mail = world.app("mail")
        sender = mail.pick("contacts").name
        rows = [["Item", "Quantity", "Price"], *[[i, world.rng.randint(2, 30), world.rng.randint(3, 60)]
                                                for i in world.rng.sample(ITEMS, world.rng.randint(3, 5))]]
        if rows[-1][1] == rows[-1][2]:  # the selection ends on the last price: no other cell of its row may share it
            rows[-1][2] += 1
        subject = f"Order list {world.rng.randint(100, 999)}"
        table = "\n".join(" | ".join(str(c) for c in row) for row in rows)
        add_mail(mail, sender, subject, f"Hi Robin, here is what we need:\n{table}\nThanks!")
        return {"sender": sender, "subject": subject, "rows": rows,
                "file": f"{DOCS}/{world.choice(('order', 'orders', 'request'))}-{world.rng.randint(1, 99)}.xlsx"}

    def open_at_start(self, p):
        return [("calc", None), ("browser", "http://mail.test/")]

    def solve(self, actor, p):
        actor.click(role="link", name=p["subject"])
        first, last = p["rows"][0][0], p["rows"][-1][-1]
        last_row = {"role": "row", "name": " ".join(str(c) for c in p["rows"][-1])}  # a number may repeat
        select_span(actor, {"role": "columnheader", "name": first},
                    {"role": "cell", "name": str(last), "within": last_row}, (first, str(last)))
        actor.hotkey("ctrl", "c")
        calc = actor.native.focus("LibreOffice Calc")
        go_to_cell(calc, "A1")
        calc.hotkey("ctrl", "v")
        actor.native.window("Import Options").press("Return")  # Calc asks how to read the pasted HTML table
        save_as(actor, calc, p["file"], "Excel 2007-365 (.xlsx)")

    def check(self, world, p):
        rows = sheet_of(world, p["file"]).rows
        return expect_same_rows(rows, p["rows"], p["file"])

    def effect(self, app, world, p):
        home_path(world, p["file"]).parent.mkdir(parents=True, exist_ok=True)
        home_path(world, p["file"]).write_bytes(xlsx_bytes({"Sheet1": p["rows"]}))

    def wrong_params(self, world, p):  # the table without its last row
        return {**p, "rows": p["rows"][:-1]}



class CrmReportToCalc(DesktopTask):
    id = "desktop/cross-crm-csv-to-calc"
    web_apps = ("crm",)
    skills = ("cross-app", "click", "spreadsheet", "file-dialog", "window-switch")
    difficulty = "hard"
    instruction = (
        "Download the CRM's report of {status} leads (CSV, on crm.test/reports), open it in Calc and save it "
        "as {file}.",
        "From the crm's Reports page, get the {status} leads as CSV, then keep them as the spreadsheet {file}.",
        "Export the {status} leads from the CRM to CSV and save that table from Calc as {file} (Excel format).",
    )

    def setup(self, world):
        crm = world.app("crm")
        counts = {r.status: r.n for r in crm.db.rows("select status, count(*) as n from leads group by status")}
        status = world.choice(sorted(s for s, n in counts.items() if n >= 2))
        return {"status": status, "csv": f"Downloads/leads-{status.lower()}.csv",
                "file": f"{DOCS}/{world.choice(('leads', 'report', 'export'))}-{world.rng.randint(1, 99)}.xlsx"}

    def open_at_start(self, p):
        return [("calc", None), ("browser", "http://crm.test/reports")]

    def expected(self, world, status: str) -> list[list[str]]:
        rows = world.app("crm").db.rows("select * from leads order by id")
        table = [["Name", "Company", "Email", "Phone", "Status", "Owner"],
                 *[[r.name, r.company, r.email, r.phone, r.status, r.owner] for r in rows if r.status == status]]
        return [row[:-1] if not row[-1] else row for row in table]  # an empty last cell is no cell

    def solve(self, actor, p):
        actor.click(role="link", name=f"{p['status']} leads (CSV)")
        calc = actor.native.focus("LibreOffice Calc")
        calc.hotkey("ctrl", "o")
        actor.native.file_dialog(p["csv"])
        actor.native.window("Text Import").press("Return")  # the import's defaults: comma-separated, UTF-8
        save_as(actor, actor.native.window(Path(p["csv"]).name), p["file"], "Excel 2007-365 (.xlsx)")

    def check(self, world, p):
        return expect_same_rows(sheet_of(world, p["file"]).rows, self.expected(world, p["status"]), p["file"])

    def effect(self, app, world, p):
        import csv
        import io

        response = app["crm"].get(f"/reports/leads.csv?status={p['status']}")
        expect(response.status_code == 200, f"the report answered {response.status_code}")
        home_path(world, p["csv"]).parent.mkdir(parents=True, exist_ok=True)
        home_path(world, p["csv"]).write_bytes(response.data)
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8"))))
        home_path(world, p["file"]).parent.mkdir(parents=True, exist_ok=True)
        home_path(world, p["file"]).write_bytes(xlsx_bytes({"Sheet1": rows}))

    def wrong_params(self, world, p):
        crm = world.app("crm")
        counts = {r.status: r.n for r in crm.db.rows("select status, count(*) as n from leads group by status")}
        status = world.choice(sorted(s for s, n in counts.items() if n >= 2 and s != p["status"]))
        return {**p, "status": status, "csv": f"Downloads/leads-{status.lower()}.csv"}
