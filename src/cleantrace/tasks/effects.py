"""What a task's `effect` uses to act through its app's own HTTP API (a Flask test client)."""

from __future__ import annotations

from typing import Any


def send(app: Any, method: str, path: str, form: dict | None = None, json: Any = None,
         query: dict | None = None) -> Any:
    """Send one request to the app as its page would (a form or a JSON body); an error status raises."""
    response = app.open(path, method=method, data=form, json=json, query_string=query)
    if response.status_code >= 400:
        body = response.get_data(as_text=True)[:200]
        raise RuntimeError(f"{method} {path} answered {response.status_code}: {body}")
    return response
