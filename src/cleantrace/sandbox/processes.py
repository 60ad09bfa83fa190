"""Stopping a sandbox part's process; finding the processes that descend from this one."""

from __future__ import annotations

import os
import subprocess


def stop_process(proc: subprocess.Popen | None, grace: float = 3.0) -> None:
    """Ask a process to end (SIGTERM), and kill it if it has not after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def descendants(root: int | None = None) -> list[int]:
    """Every process descending from `root` (default: this one), read from /proc.

    A process that has run a sandbox is its child subreaper, so every sandbox process that outlives
    its parent is adopted here: an empty list after an episode means nothing leaked.
    """
    children: dict[int, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or a stat line we cannot read
        children.setdefault(ppid, []).append(int(pid))
    found, todo = [], [os.getpid() if root is None else root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
