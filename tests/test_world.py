import re

from cleantrace.privacy.ranges import is_fictional_phone
from cleantrace.tasks import load_registry
from cleantrace.world import World
from cleantrace.world.fake import EMAIL_DOMAINS, TEST_CARD_NUMBERS, FakeData


def seeded_leads(tmp_path, seed):
    world = World(seed, tmp_path / f"w{seed}.sqlite")
    load_registry().packs["crm"].load_app_module().populate(world)
    rows = world.db.rows("select name, company, email, phone, status, priority from leads order by id")
    world.close()
    return [tuple(vars(r).values()) for r in rows]


def test_same_seed_gives_the_same_world(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert seeded_leads(tmp_path / "a", 7) == seeded_leads(tmp_path / "b", 7)


def test_different_seeds_give_different_worlds(tmp_path):
    assert seeded_leads(tmp_path, 1) != seeded_leads(tmp_path, 2)


def test_identifiers_come_only_from_reserved_ranges(tmp_path):
    for seed in range(20):
        for _name, _company, email, phone, _status, _priority in seeded_leads(tmp_path, seed):
            assert email.rsplit("@", 1)[1] in EMAIL_DOMAINS
            assert is_fictional_phone(int(re.sub(r"\D", "", phone))), phone
            assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", phone)


def test_fake_cards_are_documented_test_numbers():
    fake = FakeData(3)
    assert {fake.card() for _ in range(50)} <= set(TEST_CARD_NUMBERS)
