"""TLS in front of the station: an nginx configuration (Debian's `nginx` package) that terminates HTTPS
and forwards everything, the screen's websocket included, to the station on loopback.

    cleantrace station nginx-conf --listen 443 --cert /etc/ssl/station.pem --key /etc/ssl/station.key \\
        --upstream 127.0.0.1:8600 > /etc/nginx/conf.d/station.conf

The station then runs with `--host 127.0.0.1 --public-url https://<your host>/`: it trusts the
proxy's X-Forwarded-For / X-Forwarded-Proto (one proxy), accepts only the public origin on its
websocket and marks its cookie Secure. The tests run this same configuration on loopback with a
self-signed certificate.
"""

from __future__ import annotations

from pathlib import Path

SERVER = """\
    server {{
        listen {listen} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        client_max_body_size 1m;
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $station_connection;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_buffering off;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
    }}
"""
UPGRADE_MAP = """\
    map $http_upgrade $station_connection {
        default upgrade;
        ''      close;
    }
"""


def server_block(listen: str, cert: Path, key: Path, upstream: str) -> str:
    """The `map` and `server` blocks to put inside nginx's `http { }` (e.g. a file in /etc/nginx/conf.d/)."""
    return UPGRADE_MAP + SERVER.format(listen=listen, cert=cert, key=key, upstream=upstream)


def standalone_config(listen: str, cert: Path, key: Path, upstream: str, prefix: Path) -> str:
    """A whole nginx.conf that runs unprivileged in the foreground with every file under `prefix`."""
    return f"""\
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{server_block(listen, cert, key, upstream)}}}
"""
