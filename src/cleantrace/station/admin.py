"""The data team's pages: a login of their own, the submitted episodes, accept or reject with a reason.

Reviewers are added with `cleantrace station reviewer NAME` (a salted hash in the database). A decision
is stored (reviews, audit; a payment row for an accepted campaign episode) and written beside the
episode's run as `reviews.json`, which exports read: volunteer episodes are exported only once accepted.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask, abort, redirect, render_template, request, send_from_directory, session, url_for

from cleantrace.trace import files

REVIEWS_FILE = "reviews.json"  # in a run folder: {episode_id: "accepted" | "rejected"}


def register_admin(app: Flask, station) -> None:
    """Add the review pages under /admin to the station's app."""
    store = station.store

    def reviewer() -> str:
        name = session.get("reviewer")
        if not name:
            abort(redirect(url_for("admin_login")))
        return name

    def episode_or_404(key: str) -> tuple[dict, Path]:
        row = store.episode(key)
        if row is None or row["state"] != "submitted" or not (Path(row["folder"]) / files.META).exists():
            abort(404)
        return row, Path(row["folder"])

    @app.route("/admin/login", methods=["GET", "POST"])
    def admin_login():
        error = ""
        if request.method == "POST":
            name, password = request.form.get("name", ""), request.form.get("password", "")
            if store.check_reviewer(name, password):
                session["reviewer"] = name
                return redirect(url_for("admin_list"))
            error = "wrong name or password"
        return render_template("admin_login.html", error=error), 401 if error else 200

    @app.post("/admin/logout")
    def admin_logout():
        session.pop("reviewer", None)
        return redirect(url_for("admin_login"))

    @app.get("/admin")
    def admin_list():
        who = reviewer()
        decided = store.decisions()
        rows = [dict(e, decision=decided.get(e["id"])) for e in store.episodes() if e["state"] == "submitted"]
        return render_template("admin_list.html", rows=rows, reviewer=who)

    @app.get("/admin/episode/<path:key>")
    def admin_episode(key: str):
        from cleantrace.station.review import review_of

        who = reviewer()
        row, folder = episode_or_404(key)
        return render_template("admin_episode.html", row=row, review=review_of(folder), reviewer=who,
                               decision=store.decisions().get(key))

    @app.get("/admin/frames/<path:key>/<name>")
    def admin_frame(key: str, name: str):
        reviewer()
        _, folder = episode_or_404(key)
        return send_from_directory(folder / files.FRAMES_DIR, name)

    @app.post("/admin/episode/<path:key>/decide")
    def admin_decide(key: str):
        who = reviewer()
        row, folder = episode_or_404(key)
        decision, reason = request.form.get("decision"), request.form.get("reason", "").strip()
        if decision not in ("accepted", "rejected"):
            abort(400)
        if decision == "rejected" and not reason:
            return render_template("admin_episode.html", row=row, review=None, reviewer=who, decision=None,
                                   error="say why it is rejected (the volunteer's pay depends on it)"), 400
        campaign = station.campaign
        pay = campaign.pay(1, row["seconds_on_task"]) if campaign else 0.0
        store.decide(key, who, decision, reason, pay, campaign.currency if campaign else "")
        write_reviews(folder.parent, store)
        return redirect(url_for("admin_list"))


def write_reviews(run_dir: Path, store, dropped: str | None = None) -> None:
    """`reviews.json` of a run: each reviewed episode's latest decision (what exports go by), but for
    episodes deleted since (withdrawn, or past their retention)."""
    gone = {e["id"] for e in store.episodes() if e["state"] in ("withdrawn", "deleted")}
    decided = {}
    for key, review in store.decisions().items():
        run, _, episode = key.partition("/")
        if run == run_dir.name and key not in gone and episode != dropped:
            decided[episode] = review["decision"]
    files.replace_json(run_dir / REVIEWS_FILE, decided)


def read_reviews(run_dir: Path) -> dict[str, str]:
    """A run's review decisions (none for a run that is not a station's)."""
    path = Path(run_dir) / REVIEWS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
