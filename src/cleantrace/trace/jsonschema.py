"""The trace schema as JSON Schema, for consumers that do not use Python (docs/trace-schema.json)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from cleantrace.trace.schema import SCHEMA_VERSION, Action, CatalogRow, Event, Frame, LabelRow, Meta, ScreenLabels

RECORDS: dict[str, tuple[str, type[BaseModel]]] = {
    "meta": ("meta.json", Meta),
    "event": ("events.jsonl (one per line)", Event),
    "action": ("actions.jsonl (one per line)", Action),
    "frame": ("frames.jsonl (one per line)", Frame),
    "label_row": ("labels.jsonl (one per line)", LabelRow),
    "screen_labels": ("labels/<hash>.json.gz (gzipped JSON, one per distinct labelled screen)", ScreenLabels),
    "catalog_row": ("catalog.jsonl (one per line, per run)", CatalogRow),
}


def trace_json_schema() -> dict[str, Any]:
    """One JSON Schema document holding a definition per record of schema version SCHEMA_VERSION."""
    definitions: dict[str, Any] = {}
    for name, (where, model) in RECORDS.items():
        schema = model.model_json_schema(ref_template=f"#/$defs/{name}/$defs/{{model}}")
        schema["description"] = f"{where}. " + (schema.get("description") or "")
        definitions[name] = schema
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://cleantrace.example.org/trace-schema/v{SCHEMA_VERSION}.json",
        "title": f"cleantrace trace, schema version {SCHEMA_VERSION}",
        "x-schema-version": SCHEMA_VERSION,
        "$defs": definitions,
    }


def dumps_trace_json_schema() -> str:
    return json.dumps(trace_json_schema(), indent=2, sort_keys=True) + "\n"
