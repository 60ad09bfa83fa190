"""crm: a fake CRM (leads, accounts and contacts, a pipeline board of deals) on the episode's SQLite database.

Every change a person makes is written to the database at once (form POST or a JSON call), because
task checks read only the database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, Response, abort, jsonify, redirect, render_template, request, url_for

from cleantrace.world import Database

from .data import INDUSTRIES, PRIORITIES, STAGES, STATUSES, TITLES, nice_date, populate, slug

__all__ = ["INDUSTRIES", "PRIORITIES", "STAGES", "STATUSES", "TITLES", "create_app", "lead_matches",
           "leads_report", "nice_date", "populate", "slug"]

HERE = Path(__file__).parent
LEAD_FILTERS = ("status", "owner", "q")


def lead_matches(lead, query: str) -> bool:
    """The lead list's search: the query is a case-insensitive part of the lead's name or company."""
    q = query.strip().lower()
    return q in lead.name.lower() or q in lead.company.lower()


REPORT_COLUMNS = ("Name", "Company", "Email", "Phone", "Status", "Owner")


def leads_report(db: Database, status: str = "") -> list[list[str]]:
    """The leads CSV report: a header, then the leads (of `status`, or all) in the list's order."""
    rows = db.rows("select * from leads order by id")
    return [list(REPORT_COLUMNS), *[[r.name, r.company, r.email, r.phone, r.status, r.owner] for r in rows
                                    if not status or r.status == status]]


def _csv_cell(value: str) -> str:
    text = str(value)
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\r\n') else text


def create_app(db_path: str | Path) -> Flask:
    """The CRM web app serving the database at `db_path`."""
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    db = Database(db_path)
    app.jinja_env.filters["nice_date"] = nice_date

    def owners() -> list[str]:
        return [r.name for r in db.rows("select name from owners order by name")]

    def saved_view() -> dict[str, str]:
        return {r.key: r.value for r in db.rows("select key, value from ui_state")}

    # -- leads -------------------------------------------------------------------------------
    @app.get("/")
    def leads():
        if request.args.get("clear"):
            db.execute("delete from ui_state where key in ('status','owner','q')")
            return redirect(url_for("leads"))
        if "apply" in request.args:  # the filter form was submitted: remember the view, like a CRM does
            for key in LEAD_FILTERS:
                db.execute("insert or replace into ui_state (key, value) values (?, ?)",
                           key, request.args.get(key, "").strip())
        view = saved_view()
        status, owner, query = view.get("status", ""), view.get("owner", ""), view.get("q", "")
        rows = db.rows("select * from leads order by id")
        rows = [r for r in rows if (not status or r.status == status) and (not owner or r.owner == owner)
                and (not query or lead_matches(r, query))]
        return render_template(
            "leads.html", leads=rows, statuses=STATUSES, owners=owners(), status=status, owner=owner,
            query=query, filtered=bool(status or owner or query), total=db.scalar("select count(*) from leads"),
        )

    @app.post("/leads/bulk")
    def bulk_edit_leads():
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        field, value = request.form.get("field"), request.form.get("value", "")
        allowed = {"status": STATUSES, "owner": owners()}
        if field not in allowed or value not in allowed[field] or not ids:
            abort(400)
        marks = ",".join("?" * len(ids))
        db.execute(f"update leads set {field}=? where id in ({marks})", value, *ids)  # noqa: S608 (field is allowed)
        return redirect(url_for("leads", updated=len(ids)))

    @app.post("/api/leads/<int:lead_id>/star")
    def star_lead(lead_id: int):
        db.execute("update leads set starred = 1 - starred where id=?", lead_id)
        starred = db.scalar("select starred from leads where id=?", lead_id)
        if starred is None:
            abort(404)
        return jsonify(starred=bool(starred))

    @app.get("/leads/<int:lead_id>")
    def lead(lead_id: int):
        rows = db.rows("select * from leads where id=?", lead_id)
        if not rows:
            abort(404)
        return render_template(
            "lead.html", lead=rows[0], statuses=STATUSES, priorities=PRIORITIES,
            saved=request.args.get("saved") == "1",
        )

    @app.post("/leads/<int:lead_id>")
    def save_lead(lead_id: int):
        form = request.form
        if form.get("status") not in STATUSES or form.get("priority") not in PRIORITIES:
            abort(400)
        db.execute(
            "update leads set status=?, priority=?, notes=?, saves=saves+1 where id=?",
            form["status"], form["priority"], form.get("notes", ""), lead_id,
        )
        return redirect(url_for("lead", lead_id=lead_id, saved=1))

    # -- accounts and contacts --------------------------------------------------------------
    @app.get("/accounts")
    def accounts():
        query = request.args.get("q", "").strip()
        rows = db.rows(
            "select a.*, (select count(*) from contacts c where c.account_id=a.id) as contacts"
            " from accounts a where a.name like ? order by lower(a.name)=lower(?) desc, a.name",
            f"%{query}%", query,
        )
        return render_template("accounts.html", accounts=rows, query=query, industries=INDUSTRIES)

    @app.post("/accounts")
    def create_account():
        form = request.form
        name = form.get("name", "").strip()
        if not name or form.get("industry") not in INDUSTRIES:
            abort(400)
        if db.scalar("select id from accounts where name=?", name):
            abort(409)
        cur = db.execute(
            "insert into accounts (name, industry, phone, email) values (?,?,?,?)",
            name, form["industry"], form.get("phone", "").strip(), form.get("email", "").strip(),
        )
        return redirect(url_for("account", account_id=cur.lastrowid, created=1))

    @app.get("/accounts/<int:account_id>")
    def account(account_id: int):
        rows = db.rows("select * from accounts where id=?", account_id)
        if not rows:
            abort(404)
        return render_template(
            "account.html", account=rows[0], industries=INDUSTRIES,
            contacts=db.rows("select * from contacts where account_id=? order by id", account_id),
            deals=db.rows("select * from deals where account_id=? order by id", account_id),
            notice=request.args.get("notice", ""), created=request.args.get("created") == "1",
        )

    @app.post("/accounts/<int:account_id>")
    def save_account(account_id: int):
        form = request.form
        if form.get("industry") not in INDUSTRIES:
            abort(400)
        db.execute("update accounts set industry=?, phone=?, email=? where id=?", form["industry"],
                   form.get("phone", "").strip(), form.get("email", "").strip(), account_id)
        return redirect(url_for("account", account_id=account_id, notice="Account saved"))

    @app.post("/accounts/<int:account_id>/contacts")
    def add_contact(account_id: int):
        form = request.form
        name = form.get("name", "").strip()
        if not name or not db.scalar("select id from accounts where id=?", account_id):
            abort(400)
        db.execute(
            "insert into contacts (account_id, name, title, email, phone) values (?,?,?,?,?)", account_id, name,
            form.get("title", "").strip(), form.get("email", "").strip(), form.get("phone", "").strip(),
        )
        return redirect(url_for("account", account_id=account_id, notice=f"Contact {name} added"))

    # -- reports: CSV exports (reached at /reports; no menu entry, so the other pages stay as they were) --
    @app.get("/reports")
    def reports():
        return render_template("reports.html", statuses=STATUSES, section="reports")

    @app.get("/reports/leads.csv")
    def leads_csv():
        status = request.args.get("status", "")
        if status and status not in STATUSES:
            abort(404)
        rows = leads_report(db, status)
        name = f"leads-{status.lower()}.csv" if status else "leads.csv"
        body = "".join(",".join(_csv_cell(v) for v in row) + "\r\n" for row in rows)
        return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={name}"})

    # -- pipeline and deals -----------------------------------------------------------------
    @app.get("/pipeline")
    def pipeline():
        deals = db.rows(
            "select d.*, a.name as account from deals d join accounts a on a.id=d.account_id"
            " order by d.position, d.id"
        )
        columns = [(stage, [d for d in deals if d.stage == stage]) for stage in STAGES]
        return render_template("pipeline.html", columns=columns)

    @app.post("/api/deals/<int:deal_id>/stage")
    def move_deal(deal_id: int):
        stage = (request.get_json(silent=True) or {}).get("stage")
        if stage not in STAGES or not db.scalar("select id from deals where id=?", deal_id):
            abort(400)
        top = db.scalar("select coalesce(max(position), 0) + 1 from deals")
        db.execute("update deals set stage=?, position=? where id=?", stage, top, deal_id)
        return jsonify(id=deal_id, stage=stage)

    @app.get("/deals/<int:deal_id>")
    def deal(deal_id: int):
        rows = db.rows(
            "select d.*, a.name as account from deals d join accounts a on a.id=d.account_id where d.id=?", deal_id
        )
        if not rows:
            abort(404)
        return render_template("deal.html", deal=rows[0], stages=STAGES, saved=request.args.get("saved") == "1")

    @app.post("/deals/<int:deal_id>")
    def save_deal(deal_id: int):
        form = request.form
        try:
            close = dt.date.fromisoformat(form.get("close_date", "")).isoformat()
            amount = int(form.get("amount", "").replace(",", "").strip() or 0)
        except ValueError:
            abort(400)
        if form.get("stage") not in STAGES:
            abort(400)
        db.execute("update deals set stage=?, amount=?, close_date=? where id=?",
                   form["stage"], amount, close, deal_id)
        return redirect(url_for("deal", deal_id=deal_id, saved=1))

    return app
