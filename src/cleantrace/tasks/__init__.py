"""Tasks: an app + seeded fake data + an instruction + a scripted solution + a success check."""

from cleantrace.tasks.effects import send
from cleantrace.tasks.loader import Pack, TaskRegistry, default_tasks_dir, load_registry
from cleantrace.tasks.spec import CheckFailed, Task, expect

__all__ = ["CheckFailed", "Pack", "Task", "TaskRegistry", "default_tasks_dir", "expect", "load_registry", "send"]
