"""`cleantrace inspect` reads the roles and names of a page from a real sandbox; the generated reference
docs/apps/crm.md shows what the app has today."""

from __future__ import annotations

import pytest

from cleantrace.sandbox.inspect_app import inspect_app
from cleantrace.tasks import load_registry
from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_inspect_lists_a_pages_targets_as_the_reference_shows_them():
    found = inspect_app(load_registry(), "crm", seed=0, pages=["/leads/1"])
    (page,) = found.pages.values()
    assert {("combobox", "Status"), ("combobox", "Priority"), ("textbox", "Notes"), ("button", "Save")} <= set(
        map(tuple, page["targets"]))
    section = found.markdown().split("### `/leads/{id}`")[1]
    assert section.strip() in (REPO / "docs" / "apps" / "crm.md").read_text(), \
        "regenerate: cleantrace inspect crm --out docs/apps/crm.md"
