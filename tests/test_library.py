"""The movement library: recorded movements retargeted to new start and end points."""

import numpy as np
import pytest

from cleantrace.errors import CleantraceError
from cleantrace.perform.library import MovementLibrary, motion_source
from cleantrace.perform.measures import Movement, movement_of
from cleantrace.perform.motion import Box, ModelMotion
from cleantrace.perform.persona import Persona


def recorded(dx, dy, n=40, bulge=0.2):
    """A recorded movement by (dx, dy) with a sideways bulge, at 100 Hz."""
    u = np.linspace(0, 1, n)
    s = u**3 * (10 - 15 * u + 6 * u**2)
    normal = np.array([-dy, dx]) * bulge
    xy = np.outer(s, [dx, dy]) + np.outer(np.sin(np.pi * s), normal) + [500, 400]
    return Movement(u * (n - 1) / 100, xy)


LIBRARY = MovementLibrary([recorded(300, 0), recorded(0, -100), recorded(-600, 50), recorded(2, 1)])


def test_the_closest_movement_in_distance_and_direction_is_chosen():
    rng = np.random.default_rng(0)
    assert len(LIBRARY) == 3  # the 2-pixel movement is too short to keep
    picks = {LIBRARY.choose(320, 0.1, rng).distance for _ in range(30)}
    assert 300 in picks
    near_up = [LIBRARY.choose(90, -np.pi / 2, rng) for _ in range(30)]
    assert np.mean([abs(e.distance - 100) < 1 for e in near_up]) > 0.3


@pytest.mark.parametrize("start,box", [((100, 100), Box(700, 500, 40, 20)), ((1200, 700), Box(30, 40, 16, 16))])
def test_a_retargeted_movement_ends_in_the_target_keeping_its_shape(start, box):
    rng = np.random.default_rng(3)
    path = LIBRARY.move_path(start, box, rng, Persona())
    ex, ey = path.end
    assert box.x <= ex < box.x + box.w and box.y <= ey < box.y + box.h
    xy = np.vstack([start, path.points]).astype(float)
    chord = xy[-1] - xy[0]
    normal = np.array([-chord[1], chord[0]]) / np.linalg.norm(chord)
    bulge = np.abs((xy - xy[0]) @ normal).max() / np.linalg.norm(chord)
    assert 0.12 < bulge < 0.3  # the recorded bulge (0.2 of the distance), rotated and scaled along
    assert (path.delays > 0).all() and 0.2 < path.duration < 2.0


def test_model_or_library_and_clear_errors(tmp_path):
    assert isinstance(motion_source("model"), ModelMotion)
    with pytest.raises(CleantraceError, match="unknown motion source"):
        motion_source("spline")
    with pytest.raises(CleantraceError, match="no run folder"):
        motion_source(f"library:{tmp_path / 'missing'}")
    with pytest.raises(CleantraceError, match="has no movements"):
        MovementLibrary([movement_of((0, 0), ModelMotion().move_path((0, 0), Box(2, 2, 3, 3),
                                                                     np.random.default_rng(0), Persona()))])
