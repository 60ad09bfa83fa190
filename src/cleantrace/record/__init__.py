"""Recorder: X-level input events, screenshots, and the DOM target of each action."""

from cleantrace.record.recorder import Recorder

__all__ = ["Recorder"]
