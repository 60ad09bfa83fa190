from hypothesis import given, settings
from hypothesis import strategies as st

from cleantrace.trace.reduce import TargetProbe, attach_observations, reduce_events
from cleantrace.trace.schema import Event, Frame, Target


class Stream:
    """Builds a raw event stream the way the X server reports it."""

    def __init__(self):
        self.events, self.t, self.x, self.y = [], 0.0, 0, 0

    def wait(self, ms):
        self.t += ms
        return self

    def move(self, x, y, steps=5):
        for k in range(1, steps + 1):
            self.t += 8
            self.x = self.x + round((x - self.x) * k / steps)
            self.y = self.y + round((y - self.y) * k / steps)
            self.events.append(Event(t_ms=self.t, kind="move", x=self.x, y=self.y))
        self.x, self.y = x, y
        return self

    def button(self, kind, b=1):
        self.t += 1
        self.events.append(Event(t_ms=self.t, kind=kind, x=self.x, y=self.y, button=b))
        return self

    def click(self, b=1):
        return self.button("down", b).wait(90).button("up", b)

    def key(self, kind, key):
        self.t += 1
        self.events.append(Event(t_ms=self.t, kind=kind, x=self.x, y=self.y, key=key, keysym=0))
        return self

    def tap(self, key):
        return self.key("key_down", key).wait(80).key("key_up", key).wait(120)


def kinds(actions):
    return [a.kind for a in actions]


def test_click_drag_right_click_double_click():
    s = Stream().move(100, 100).click().wait(900).move(300, 300).button("down").move(400, 350).button("up")
    s.wait(900).move(500, 500).click(b=3).wait(900).move(600, 600).click().wait(150).click()
    actions = reduce_events(s.events)
    assert kinds(actions) == ["click", "drag", "right_click", "double_click"]
    assert (actions[0].x, actions[0].y) == (100, 100)
    assert (actions[1].x, actions[1].y, actions[1].x2, actions[1].y2) == (300, 300, 400, 350)


def test_wheel_ticks_merge_into_one_scroll():
    s = Stream().move(50, 50)
    for _ in range(4):
        s.button("wheel", 5).wait(60)
    s.wait(1000).button("wheel", 4)
    actions = reduce_events(s.events)
    assert [(a.kind, a.dy) for a in actions] == [("scroll", 4), ("scroll", -1)]


# mail/scroll-and-star s4 (the issue-18 bench's one extra step): scroll_to turned one tick, looked how far
# it went, then flicked ten more in three flicks, 480 ms and 238 ms pauses over the 400 ms gap of then
SCROLL_TO_TICKS = [2143.447, 2623.355, 2651.824, 2692.447, 2734.447, 2763.447, 3001.447, 3036.072, 3095.447,
                   3140.447, 3206.395]


def wheel_at(times, button=5, x=720, y=450):
    return [Event(t_ms=t, kind="wheel", x=x, y=y, button=button) for t in times]


def test_one_announced_scroll_step_is_one_scroll_however_long_it_looked_between_flicks():
    events = wheel_at(SCROLL_TO_TICKS) + wheel_at([5000.0])  # a late tick of the same step
    [scroll] = reduce_events(events, steps=[1200.0])
    assert (scroll.kind, scroll.dy, scroll.events) == ("scroll", 12, (0, 11))
    # two announced scroll steps stay two, however close their ticks
    first, second = reduce_events(wheel_at([100.0, 130.0, 160.0]), steps=[50.0, 150.0])
    assert (first.dy, first.events, second.dy, second.events) == (2, (0, 1), 1, (2, 2))


def test_a_volunteers_continuous_scroll_is_one_scroll_and_a_new_decision_another():
    [scroll] = reduce_events(wheel_at(SCROLL_TO_TICKS))  # pauses of a finger going back up the wheel
    assert scroll.dy == 11
    looked_again = wheel_at([0.0, 40.0]) + wheel_at([1500.0, 1530.0])  # a look at the result, then more
    assert [a.dy for a in reduce_events(looked_again)] == [2, 2]
    back_up = wheel_at([0.0, 40.0]) + wheel_at([300.0], button=4)  # overshot: turned the other way
    assert [a.dy for a in reduce_events(back_up)] == [2, -1]
    elsewhere = wheel_at([0.0, 40.0]) + wheel_at([300.0], x=200, y=600)  # another pane under the pointer
    assert [a.dy for a in reduce_events(elsewhere)] == [2, 1]


def test_keystrokes_merge_into_type_with_corrections_and_shift():
    s = Stream()
    for key in "hel":
        s.tap(key)
    s.tap("w").tap("BackSpace").tap("l").tap("o")
    s.key("key_down", "Shift_L").tap("!").key("key_up", "Shift_L")
    s.tap("Return")
    actions = reduce_events(s.events)
    assert kinds(actions) == ["type", "key"]
    assert actions[0].text == "hello!"
    assert actions[1].keys == ["Return"]


def test_a_chord_is_a_hotkey_and_owns_its_modifier_release():
    s = Stream().tap("a").key("key_down", "Control_L").wait(40).tap("s").wait(30).key("key_up", "Control_L")
    actions = reduce_events(s.events)
    assert kinds(actions) == ["type", "hotkey"]
    assert actions[1].keys == ["ctrl", "s"]
    assert actions[1].events[1] == len(s.events) - 1


def test_actions_cover_events_contiguously_and_moves_belong_to_the_next_action():
    s = Stream().move(10, 10).click().wait(500).move(200, 200).click().tap("x")
    actions = reduce_events(s.events)
    assert actions[0].events[0] == 0
    for a, b in zip(actions, actions[1:], strict=False):
        assert b.events[0] == a.events[1] + 1
    assert actions[-1].events[1] == len(s.events) - 1


def test_frames_and_targets_are_attached_by_time_and_place():
    s = Stream().move(100, 100).click().wait(800).move(300, 200).click()
    events = s.events
    down_times = [e.t_ms for e in events if e.kind == "down"]
    frames = [
        Frame(i=0, t_ms=0.0, file="frames/000000.png", sha256="a", reason="action"),
        Frame(i=1, t_ms=down_times[0] + 300, file="frames/000001.png", sha256="b", reason="action"),
    ]
    target = Target(role="button", name="Save", tag="button", bbox=(90, 90, 40, 20))
    probes = [TargetProbe(down_times[0] - 5, 100, 100, target)]
    actions = attach_observations(reduce_events(events), events, frames, probes)
    assert actions[0].frame_before == 0 and actions[0].frame_after == 1
    assert actions[0].target == target
    assert actions[1].frame_before == 1 and actions[1].target is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["move", "click", "rclick", "drag", "wheel", "type", "chord", "enter"]), max_size=30))
def test_any_stream_reduces_to_ordered_actions_that_cover_every_event_up_to_the_last(ops):
    s = Stream()
    for n, op in enumerate(ops):
        s.wait(600)
        if op == "move":
            s.move(n * 37 % 1200, n * 53 % 780)
        elif op == "click":
            s.click()
        elif op == "rclick":
            s.click(b=3)
        elif op == "drag":
            s.button("down").move(s.x + 40, s.y + 10).button("up")
        elif op == "wheel":
            s.button("wheel", 5)
        elif op == "type":
            s.tap("q")
        elif op == "chord":
            s.key("key_down", "Control_L").tap("c").key("key_up", "Control_L")
        else:
            s.tap("Return")
    actions = reduce_events(s.events)
    assert reduce_events(s.events) == actions, "stable"
    expected = len([o for o in ops if o not in ("move",)])
    assert len(actions) <= expected
    start = 0
    for k, a in enumerate(actions):
        assert a.i == k and a.events[0] == start and a.events[1] >= a.events[0] and a.t1_ms >= a.t0_ms
        start = a.events[1] + 1
    if actions:
        trailing = s.events[start:]
        assert all(e.kind == "move" for e in trailing)


def test_a_click_with_modifiers_held_carries_them_and_ends_with_their_release():
    s = Stream().move(100, 100).key("key_down", "Control_L").wait(120).click().wait(80).key("key_up", "Control_L")
    s.wait(900).move(200, 200).click()
    actions = reduce_events(s.events)
    assert kinds(actions) == ["click", "click"]
    assert actions[0].keys == ["ctrl"] and actions[1].keys is None
    released = next(i for i, e in enumerate(s.events) if e.kind == "key_up")
    assert actions[0].events[1] == released


def test_shift_with_a_non_printable_key_is_a_hotkey_but_shifted_letters_are_typed():
    s = Stream().key("key_down", "Shift_L").tap("Down").tap("Down").key("key_up", "Shift_L").wait(300)
    s.key("key_down", "Shift_L").tap("A").key("key_up", "Shift_L").tap("b")
    actions = reduce_events(s.events)
    assert kinds(actions) == ["hotkey", "hotkey", "type"]
    assert actions[0].keys == ["shift", "Down"] and actions[1].keys == ["shift", "Down"]
    assert actions[2].text == "Ab"


BODY = Target(role="", name="", tag="body", selector="body")
SEARCH = Target(role="searchbox", name="Search mail", tag="input", selector="#q")


def frame(i, t):
    return Frame(i=i, t_ms=t, file=f"frames/{i:06d}.png", sha256=str(i), reason="action")


def test_single_key_shortcuts_outside_a_text_field_are_one_step_each():
    """The audit's case (mail/archive-with-keys): j j j j j e with the focus on the page was one
    `type "jjjjje"` without a target; and `/` then the query merged the same way."""
    s = Stream()
    probes = []
    for key in "jjjjje/":
        probes.append(TargetProbe(s.t + 0.5, None, None, BODY, kind="focus"))
        s.wait(1).tap(key)
    probes.append(TargetProbe(s.t + 0.5, None, None, SEARCH, kind="focus"))
    for key in "invoice":
        s.wait(1).tap(key)
    actions = attach_observations(reduce_events(s.events, probes), s.events, [frame(0, 0.0)], probes)
    assert kinds(actions) == ["key"] * 7 + ["type"]
    assert [a.keys for a in actions[:7]] == [[k] for k in "jjjjje/"]
    assert actions[-1].text == "invoice" and actions[-1].target == SEARCH
    assert reduce_events(s.events)[0].text == "jjjjje/invoice"  # without focus probes: typing, as before


def test_a_click_after_the_last_focus_probe_makes_the_focus_unknown_so_keys_stay_typing():
    s = Stream()
    probes = [TargetProbe(0.5, None, None, BODY, kind="focus")]
    s.wait(1).move(50, 50).click().wait(50).tap("a").tap("b")
    assert kinds(reduce_events(s.events, probes)) == ["click", "type"]


def test_a_declared_hover_is_its_own_action_and_the_click_after_it_sees_the_opened_submenu():
    """The audit's case (mail/move-with-more-menu): the hover over "Move to ▸" merged into the click
    on "Archive", whose frame_before then showed no submenu."""
    more = Target(role="menuitem", name="Move to ▸", tag="div", bbox=(90, 90, 80, 20))
    archive = Target(role="menuitem", name="Archive", tag="div", bbox=(180, 90, 80, 20))
    s = Stream().wait(100).move(100, 100)
    hover_t = s.t + 5
    s.wait(500)
    submenu_t = s.t  # the frame after the hover shows the submenu
    s.wait(100).move(200, 100)
    press_t = s.t + 1
    s.click().wait(400)
    probes = [TargetProbe(hover_t, 100, 100, more, kind="hover"), TargetProbe(press_t - 1, 200, 100, archive)]
    frames = [frame(0, 0.0), frame(1, submenu_t), frame(2, s.t)]
    actions = attach_observations(reduce_events(s.events, probes), s.events, frames, probes)
    assert kinds(actions) == ["hover", "click"]
    hover, click = actions
    assert hover.target == more and (hover.x, hover.y) == (100, 100)
    assert hover.frame_before == 0 and hover.frame_after == 1
    assert click.frame_before == 1 and click.target == archive and click.frame_after == 2
    assert hover.events[1] + 1 == click.events[0]


def test_a_drag_records_the_dragged_element_the_drop_element_and_the_drop_point():
    card = Target(role="listitem", name="Acme renewal", tag="li", selector="li.deal", bbox=(10, 10, 100, 40))
    lane = Target(role="region", name="Won", tag="section", selector="section.lane", bbox=(300, 0, 200, 400))
    s = Stream().move(50, 30)
    press_t = s.t + 1
    s.button("down").move(400, 200, steps=10)
    drop_t = s.t + 0.5
    s.wait(100).button("up")
    probes = [TargetProbe(press_t - 1, 50, 30, card), TargetProbe(drop_t, 400, 200, None, "CDP: detached", "drop"),
              TargetProbe(drop_t + 1, 400, 200, lane, kind="drop")]
    [drag] = attach_observations(reduce_events(s.events, probes), s.events, [frame(0, 0.0)], probes)
    assert drag.kind == "drag" and drag.target == card and drag.drop_target == lane
    assert (drag.x2, drag.y2) == (400, 200)


def test_a_failed_grounding_is_recorded_with_its_reason_never_dropped():
    """The audit's case (scroll-then-click): the CDP error was swallowed and the click had no target
    and no reason."""
    s = Stream().move(80, 80)
    probes = [TargetProbe(s.t, 80, 80, None, "CDP: No node found at given location at (80, 80)")]
    s.click()
    s.wait(300).move(90, 90).click()
    first, second = attach_observations(reduce_events(s.events, probes), s.events, [frame(0, 0.0)], probes)
    assert first.target is None and first.target_error == "CDP: No node found at given location at (80, 80)"
    assert second.target is None and second.target_error == "no element was probed under the press point"


def test_the_last_action_has_a_frame_after_even_when_the_result_frame_came_before_the_key_release():
    """The audit's case: Enter's result was captured at the key press (a change frame); the frame
    taken after the release was identical, so not stored, and frame_after was null."""
    s = Stream().wait(100).key("key_down", "Return")
    changed = s.t + 30
    s.wait(80).key("key_up", "Return")
    identical_after = s.t + 300
    frames = [frame(0, 0.0), frame(1, changed)]
    [enter] = attach_observations(reduce_events(s.events), s.events, frames, [], captures=[identical_after])
    assert enter.frame_before == 0 and enter.frame_after == 1
    [unseen] = attach_observations(reduce_events(s.events), s.events, frames, [])
    assert unseen.frame_after is None  # no capture after the release: not claimed


def test_typing_into_a_grid_cell_the_performer_said_it_types_into_stays_one_type():
    """Found by bench/data_quality.py on sheet/update-order-status: 'Pending' typed into a focused
    grid cell (no text field until typing starts) was split into seven shortcuts."""
    cell = Target(role="gridcell", name="F90", tag="td", selector="#f90")
    s = Stream()
    probes = [TargetProbe(0.5, None, None, cell, kind="typing")]
    for key in "Pending":
        s.wait(1).tap(key)
    [typed] = attach_observations(reduce_events(s.events, probes), s.events, [frame(0, 0.0)], probes)
    assert typed.kind == "type" and typed.text == "Pending" and typed.target == cell


def test_a_hover_probe_during_a_drag_is_no_step_and_a_log_cut_at_the_release_still_reduces():
    """A seal of a killed episode crashed here (IndexError): a hover probe taken while the button was held
    became a gesture inside the drag's range, left with no event of its own at the end of the log."""
    s = Stream().move(50, 30).button("down").move(400, 200, steps=10)
    hover_t = s.events[-4].t_ms + 0.5  # the pointer is still on its way, the button held
    s.button("up")  # the log ends here
    probes = [TargetProbe(hover_t, 300, 150, Target(role="menuitem", name="Move to"), kind="hover")]
    actions = reduce_events(s.events, probes)
    assert kinds(actions) == ["drag"] and actions[0].events == (0, len(s.events) - 1)
