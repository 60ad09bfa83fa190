"""Where a drag may release over a window's element that another window partly hides."""

from cleantrace.sandbox.stacking import uncovered_part


def test_the_shown_part_of_a_pane_partly_under_another_window():
    # desktop/files-drag-between-windows seed 3 at 1920×1080: the Archive pane (166..1111) runs under
    # the Projects window (960..1920); released at its middle, the file fell back into Projects
    pane = (166, 150, 945, 660)
    projects = (960, 0, 960, 1040)
    assert uncovered_part(pane, [projects]) == (166, 150, 794, 660)


def test_covers_that_miss_the_box_change_nothing_and_covers_that_hide_it_all_give_none():
    box = (100, 100, 200, 100)
    assert uncovered_part(box, [(400, 0, 50, 50), (0, 300, 500, 10)]) == box
    assert uncovered_part(box, [(50, 50, 400, 400)]) is None


def test_the_biggest_strip_is_kept_cover_by_cover():
    box = (0, 0, 100, 100)
    left_cover, bottom_cover = (0, 0, 30, 100), (0, 80, 100, 20)
    assert uncovered_part(box, [left_cover, bottom_cover]) == (30, 0, 70, 80)
