"""How many sandboxes this machine holds at once, from measured costs per sandbox.

Measured on the project's machines (bench/results/sandbox.json, bench/results/throughput.json): a
demonstrating sandbox peaks at ≈ 680 MB PSS, and an episode keeps about half a core busy over
its length (13.4 CPU-s in 25.6 s on a quiet 2-core machine, the privacy scan's OCR included): a
humanlike performer spends most of its time waiting between inputs. So two sandboxes per core:
on 2 cores, 4 workers gave 433 verified episodes/h at 82 % CPU (1: 140, 2: 248). More only
queue for CPU: 8 workers gave 563/h at 98 % CPU, each episode slower and its input timing more
exposed to the scheduler; ask for them with `--workers`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

MB_PER_SANDBOX = 700  # peak PSS of a demonstrating sandbox (678 MB measured), rounded up
CORES_PER_SANDBOX = 0.5  # an episode keeps about half a core busy over its length (0.52 measured)
MEMORY_HEADROOM = 0.8  # leave a fifth of the available memory to the host and its page cache


@dataclass(frozen=True)
class WorkerChoice:
    """How many episodes run at once, and why."""

    workers: int
    by_memory: int
    by_cpu: int
    cores: int
    mem_available_mb: int

    @property
    def limit(self) -> str:
        """The resource that bounds the choice: "cpu" or "memory"."""
        return "memory" if self.by_memory < self.by_cpu else "cpu"

    def describe(self) -> str:
        return (
            f"{self.workers} workers ({self.limit} bound: {self.cores} cores hold {self.by_cpu}, "
            f"{self.mem_available_mb} MB available holds {self.by_memory} at {MB_PER_SANDBOX} MB each)"
        )


def choose_workers(cores: int, mem_available_mb: int) -> WorkerChoice:
    """The number of sandboxes that fit: the smaller of the CPU and memory bounds, at least 1."""
    by_cpu = max(1, int(cores / CORES_PER_SANDBOX))
    by_memory = max(1, int(mem_available_mb * MEMORY_HEADROOM // MB_PER_SANDBOX))
    return WorkerChoice(min(by_cpu, by_memory), by_memory, by_cpu, cores, mem_available_mb)


def machine_workers() -> WorkerChoice:
    """`choose_workers` for this machine: the cores this process may use and MemAvailable."""
    return choose_workers(len(os.sched_getaffinity(0)), mem_available_mb())


def mem_available_mb() -> int:
    """MemAvailable from /proc/meminfo, in MB."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0
