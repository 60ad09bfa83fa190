from cleantrace.record.clock import EpisodeClock


def clock_started_at(ns: int) -> EpisodeClock:
    clock = EpisodeClock()
    clock._t0 = ns
    return clock


def test_server_timestamps_map_onto_the_episode_clock():
    clock = clock_started_at(5_000_250_000)  # 5000.25 ms of CLOCK_MONOTONIC
    assert clock.from_server_ms(5000) == -0.25  # the millisecond the clock started in
    assert clock.from_server_ms(5001) == 0.75
    assert clock.from_server_ms(6234) == 1233.75


def test_server_timestamps_wrap_around_at_32_bits():
    start_ns = (2**32 - 10) * 1_000_000  # ten milliseconds before the server's clock wraps
    clock = clock_started_at(start_ns)
    assert clock.from_server_ms(2**32 - 5) == 5.0
    assert clock.from_server_ms(3) == 13.0
