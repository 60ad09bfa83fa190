"""The sandbox's minimal root: an allow-list of host paths (read-only), a generated /etc, private tmpfs.

Nothing else of the host exists inside: not /var, /opt, /srv, /root, /home, the checkout (except the
parts the sandbox runs: its virtualenv, `src` and the task packs) nor any output folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cleantrace.sandbox.policy import desktop_policy, write_policy

SANDBOX_UID = SANDBOX_GID = 61000  # the unprivileged user every sandbox process runs as; owns nothing on the host
SANDBOX_USER = "sandbox"
SANDBOX_HOME = "/home/sandbox"
ROOT_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")  # symlinks into /usr on merged-usr systems
HOST_ETC = (  # what the system libraries, fonts and TLS read from the host's /etc (read-only)
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/fonts",
    "/etc/ssl", "/etc/ca-certificates", "/etc/mime.types",
    "/etc/libreoffice",  # LibreOffice's registry (/usr/lib/libreoffice/share/registry links here): the desktop profile
)
GENERATED_ETC = ("passwd", "group", "hostname", "hosts", "nsswitch.conf", "chromium")
PRIVATE_TMPFS = ("/tmp", "/var/tmp", "/run", "/dev/shm", SANDBOX_HOME)  # empty, writable (1777), gone afterwards


def write_etc(etc_dir: Path, web_apps: tuple[str, ...] | None = None) -> None:
    """The generated /etc files: the sandbox user, a host name that names no host, the browser policy.

    `web_apps` (a desktop episode's, else None): each is also a loopback host name `<app>.test` in
    the hosts file, and the policy is the desktop's (only those origins)."""
    (etc_dir / "passwd").write_text(
        "root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"{SANDBOX_USER}:x:{SANDBOX_UID}:{SANDBOX_GID}:{SANDBOX_USER}:{SANDBOX_HOME}:/usr/sbin/nologin\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (etc_dir / "group").write_text(f"root:x:0:\n{SANDBOX_USER}:x:{SANDBOX_GID}:\nnogroup:x:65534:\n")
    (etc_dir / "hostname").write_text("sandbox\n")
    names = "".join(f" {app}.test" for app in web_apps or ())
    (etc_dir / "hosts").write_text(f"127.0.0.1 localhost sandbox{names}\n::1 localhost\n")
    (etc_dir / "nsswitch.conf").write_text("passwd: files\ngroup: files\nshadow: files\nhosts: files\n")
    write_policy(etc_dir, policy=desktop_policy(web_apps) if web_apps is not None else None)


def root_args(etc_dir: Path, runtime: list[str]) -> list[str]:
    """bwrap arguments that build the root: /usr and its links, /etc (host allow-list + generated),
    /dev, /proc, private tmpfs, and the `runtime` folders (Python, package, tasks) read-only."""
    args = ["--ro-bind", "/usr", "/usr"]
    for link in ROOT_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
    args += ["--dev", "/dev", "--proc", "/proc", "--dir", "/etc"]
    for path in HOST_ETC:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    for name in GENERATED_ETC:
        args += ["--ro-bind", str(etc_dir / name), f"/etc/{name}"]
    for path in PRIVATE_TMPFS:
        args += ["--perms", "1777", "--tmpfs", path]
    args += ["--perms", "1777", "--dir", "/tmp/.X11-unix"]  # made by root, as X servers expect
    for folder in sorted({str(parent) for path in runtime for parent in Path(path).parents} - {"/"}, key=len):
        if folder not in PRIVATE_TMPFS:
            args += ["--perms", "0755", "--dir", folder]  # else made like the host's (e.g. /root: 0700)
    for path in runtime:
        args += ["--ro-bind", path, path]
    return args


def runtime_paths(tasks_dir: Path) -> list[str]:
    """What the sandbox runs from outside /usr: the Python installation, the package, the task packs
    (and the folders their symlinks point to), outermost first, none inside another."""
    import cleantrace

    tasks_dir = Path(tasks_dir).resolve()
    linked = {str(p.resolve()) for p in tasks_dir.glob("*/*") if p.is_symlink()}  # packs may link their app
    package_root = str(Path(cleantrace.__file__).resolve().parents[1])
    needed = {sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix), package_root, str(tasks_dir), *linked}
    needed = {p for p in needed if not _is_within(p, "/usr")}
    kept = [p for p in needed if not any(q != p and _is_within(p, q) for q in needed)]
    return sorted(kept, key=lambda p: (p.count("/"), p))


def allowed_mounts(etc_dir: Path, tasks_dir: Path, writable: list[str]) -> set[str]:
    """Every mount point the sandbox may have (what its mount table is checked against)."""
    return {
        "/", "/usr", "/dev", "/proc", *[p for p in ROOT_LINKS if os.path.isdir(p) and not os.path.islink(p)],
        *[p for p in HOST_ETC if os.path.exists(p)], *[f"/etc/{n}" for n in GENERATED_ETC], *PRIVATE_TMPFS,
        *runtime_paths(tasks_dir), *writable,
    }


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")
