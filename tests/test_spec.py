"""The episode contract: per-consumer seed streams, the typed performer, the host's placeholder meta."""

from __future__ import annotations

import numpy as np
import pytest

from cleantrace.errors import CleantraceError
from cleantrace.spec import (
    SEED_CONSUMERS,
    EpisodeSpec,
    RecordingSettings,
    ReplayPerformer,
    VolunteerPerformer,
    placeholder_meta,
    seed_stream,
)
from cleantrace.trace.seal import meta_from_placeholder


def test_a_seed_gives_each_consumer_its_own_reproducible_stream():
    draws = {c: seed_stream(7, c).integers(0, 2**32, 8).tolist() for c in SEED_CONSUMERS}
    assert draws == {c: seed_stream(7, c).integers(0, 2**32, 8).tolist() for c in SEED_CONSUMERS}
    assert len({tuple(d) for d in draws.values()}) == len(SEED_CONSUMERS), "no two consumers share a stream"
    assert seed_stream(8, "world").integers(0, 2**32, 8).tolist() != draws["world"]


def test_the_streams_are_numpys_spawned_children_of_the_seed():
    children = np.random.SeedSequence(7).spawn(len(SEED_CONSUMERS))
    for index, consumer in enumerate(SEED_CONSUMERS):
        expected = np.random.Generator(np.random.PCG64(children[index])).random(3)
        assert seed_stream(7, consumer).random(3).tolist() == expected.tolist()


def test_more_draws_by_one_consumer_leave_the_others_unchanged():
    world = seed_stream(3, "world")
    world.random(1000)
    assert seed_stream(3, "actor").random(2).tolist() == seed_stream(3, "actor").random(2).tolist()


@pytest.mark.parametrize(("seed", "consumer"), [(1, "weather"), (-1, "world")])
def test_an_unknown_consumer_or_a_negative_seed_is_refused(seed, consumer):
    with pytest.raises(CleantraceError):
        seed_stream(seed, consumer)


def test_the_performer_is_a_typed_union_that_survives_json():
    spec = EpisodeSpec(run_id="r", episode_id="e", task="crm/a", seed=1, tasks_dir="/t",
                       performer=ReplayPerformer(source="/runs/r/e"))
    back = EpisodeSpec.model_validate_json(spec.model_dump_json())
    assert isinstance(back.performer, ReplayPerformer) and back.performer.source == "/runs/r/e"
    assert back.settings == RecordingSettings() and "out_dir" not in spec.model_dump()


def test_the_placeholder_meta_names_a_volunteer_and_their_consent():
    seat = VolunteerPerformer(id="vol-1", consent_version="v1", consent_time="2026-01-01T00:00:00Z")
    spec = EpisodeSpec(run_id="r", episode_id="e", task="crm/a", seed=1, tasks_dir="/t", performer=seat,
                       settings=RecordingSettings(screen=(1024, 768), backend="docker"))
    meta = meta_from_placeholder(placeholder_meta(spec))
    assert (meta.performer.kind, meta.performer.id, meta.consent.version) == ("volunteer", "vol-1", "v1")
    assert (meta.sandbox.backend, meta.sandbox.screen.w, meta.outcome.status) == ("docker", 1024, "incomplete")
    replayed = spec.model_copy(update={"performer": ReplayPerformer(source="/x")})
    script = meta_from_placeholder(placeholder_meta(replayed))
    assert script.performer.kind == "script" and script.consent is None


def test_the_world_fake_data_and_instruction_draw_from_their_own_streams(tmp_path):
    import random

    from cleantrace.spec import seed_for
    from cleantrace.world import World

    world = World(5, tmp_path / "a.sqlite")
    assert world.rng.random() != world.fake.rng.random(), "the task's picks and fake data are not one sequence"
    assert random.Random(seed_for(5, "world")).random() == World(5, tmp_path / "b.sqlite").rng.random()
    busy = World(5, tmp_path / "c.sqlite")
    [busy.fake.name() for _ in range(50)]  # a pack making more fake records …
    assert busy.choice(range(10**6)) == World(5, tmp_path / "d.sqlite").choice(range(10**6))  # … picks the same
    assert len({seed_for(5, c) for c in SEED_CONSUMERS}) == len(SEED_CONSUMERS)
    for w in (world, busy):
        w.close()
