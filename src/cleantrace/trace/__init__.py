"""Trace: schema, streaming crash-safe writer, reader, reducer (events → actions), validator."""

from cleantrace.trace.schema import SCHEMA_VERSION, Action, CatalogRow, Event, Frame, Meta, Target

__all__ = ["SCHEMA_VERSION", "Action", "CatalogRow", "Event", "Frame", "Meta", "Target"]
