import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleantrace.perform.motion import Box, fitts_duration, move_path
from cleantrace.perform.persona import PERSONAS, Persona

SCREEN = (1280, 800)
persona = Persona()


DEFAULT_BOX = Box(100, 600, 80, 30)


def path(seed, start=(640, 400), box=DEFAULT_BOX):
    return move_path(start, box, np.random.default_rng(seed), persona, SCREEN)


def test_same_seed_gives_the_same_trajectory():
    a, b = path(11), path(11)
    assert np.array_equal(a.points, b.points) and np.array_equal(a.delays, b.delays)
    assert not np.array_equal(path(12).points, a.points)


@settings(max_examples=300, deadline=None)
@given(
    sx=st.integers(0, 1279), sy=st.integers(0, 799),
    x=st.integers(0, 1270), y=st.integers(0, 790), w=st.integers(4, 400), h=st.integers(4, 200),
    seed=st.integers(0, 2**32 - 1), who=st.sampled_from(sorted(PERSONAS)),
)
def test_the_path_ends_inside_the_target_and_stays_on_screen(sx, sy, x, y, w, h, seed, who):
    w, h = min(w, 1280 - x), min(h, 800 - y)
    box = Box(x, y, w, h)
    p = move_path((sx, sy), box, np.random.default_rng(seed), PERSONAS[who], SCREEN)
    ex, ey = p.end
    assert box.x <= ex < box.x + box.w and box.y <= ey < box.y + box.h
    assert (p.points >= 0).all() and (p.points[:, 0] < 1280).all() and (p.points[:, 1] < 800).all()
    assert (p.delays > 0).all()
    assert not (np.diff(p.points, axis=0) == 0).all(axis=1).any(), "no sample repeats the previous point"


def test_duration_grows_with_distance_and_shrinks_with_width():
    assert fitts_duration(800, 20, persona) > fitts_duration(200, 20, persona) > fitts_duration(200, 80, persona)
    far = np.mean([path(s, box=Box(1150, 700, 30, 20)).duration for s in range(20)])
    near = np.mean([path(s, box=Box(660, 410, 30, 20)).duration for s in range(20)])
    assert far > near * 1.5


def test_speed_is_bell_shaped_and_sampling_is_irregular():
    peaks_inside = 0
    for seed in range(30):
        p = path(seed, start=(100, 100), box=Box(1000, 650, 40, 30))
        steps = np.linalg.norm(np.diff(p.points, axis=0), axis=1) / p.delays[1:]
        peak = int(np.argmax(steps)) / len(steps)
        peaks_inside += 0.1 < peak < 0.8
        rate = 1 / p.delays[1:]
        assert 40 < np.median(rate) < 160
        assert np.std(p.delays[1:]) / np.mean(p.delays[1:]) > 0.1
    assert peaks_inside >= 27


def test_the_path_is_curved_not_a_straight_line():
    deviations = []
    for seed in range(20):
        p = path(seed, start=(100, 100), box=Box(1000, 650, 40, 30))
        a, b = p.points[0].astype(float), p.points[-1].astype(float)
        d = b - a
        normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)
        deviations.append(np.abs((p.points - a) @ normal).max())
    assert np.median(deviations) > 3
