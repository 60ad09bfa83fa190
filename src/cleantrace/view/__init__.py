"""Static HTML report of a run: no server needed, frames referenced next to the report."""

from cleantrace.view.report import write_report

__all__ = ["write_report"]
