"""Runs inside a sandbox (tests/e2e/test_isolation.py) and prints, as JSON, what it can reach."""

import errno
import json
import os
import socket
import sys


def tcp(host, port):
    try:
        socket.create_connection((host, port), timeout=2).close()
        return "connected"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))


def udp_route(host):
    """connect() on UDP sends nothing: it only asks the kernel for a route to `host`."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((host, 53))
        return "route"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))
    finally:
        s.close()


def dns(name):
    try:
        return socket.getaddrinfo(name, 80)[0][4][0]
    except OSError as exc:
        return type(exc).__name__


def readable(path):
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, "rb") as f:
            return f.read(64).decode(errors="replace")
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc))


def writable(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return True
    except OSError:
        return False


def text(path):
    with open(path) as f:
        return f.read()


args = json.loads(sys.argv[1])
interfaces = [line.split(":")[0].strip() for line in text("/proc/net/dev").splitlines()[2:]]
routes = text("/proc/net/route").splitlines()[1:]
facts = {
    "interfaces": interfaces,
    "ipv4_routes": routes,
    "host_loopback_server": tcp("127.0.0.1", args["host_port"]),
    "route_to_documentation_net": udp_route("192.0.2.1"),
    "route_to_loopback": udp_route("127.0.0.1"),
    "dns": dns("example.com"),
    "hostname": socket.gethostname(),
    "etc_hostname": text("/etc/hostname").strip(),
    "etc_hosts": text("/etc/hosts"),
    "environ": dict(os.environ),
    "paths": {p: readable(p) for p in args["paths"]},
    "write": {p: writable(p) for p in args["writes"]},
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
}
print(json.dumps(facts))
