"""An app's theme: its stylesheet `static/themes/<theme>.css` linked into every HTML page it serves.

The classic theme in light mode is the app as written, served untouched; every other (theme, scheme)
adds one `<link>` at the end of `<head>`, so roles, names and the DOM of the body never change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def theme_link(theme: str) -> bytes:
    return f'<link rel="stylesheet" href="/static/themes/{theme}.css" data-cleantrace-theme="{theme}">'.encode()


def themed(app: Any, theme: str = "classic", scheme: str = "light") -> Any:
    """`app` (a Flask app) with `theme`'s stylesheet in every page; the app itself when nothing changes."""
    if (theme, scheme) == ("classic", "light"):
        return app
    inner = app.wsgi_app
    link = theme_link(theme)

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None  # the legacy write() callable: the apps never use it

        body_iter = inner(environ, capture)
        headers = captured["headers"]
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if not content_type.startswith("text/html"):
            start_response(captured["status"], headers, captured["exc_info"])
            return body_iter
        try:
            body = b"".join(body_iter)
        finally:
            if hasattr(body_iter, "close"):
                body_iter.close()
        body = body.replace(b"</head>", link + b"\n</head>", 1)
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
        start_response(captured["status"], headers, captured["exc_info"])
        return [body]

    app.wsgi_app = wsgi
    return app
