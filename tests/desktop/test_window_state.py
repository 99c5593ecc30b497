"""The remembered window state: defaults, damaged files, clamping, screens, and the tracker."""

from __future__ import annotations

import json
import logging
import time

import pytest

from chatkit_desktop.desktop.window_state import (
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    MIN_HEIGHT,
    MIN_WIDTH,
    Rect,
    WindowState,
    WindowStateTracker,
    fit_to_screens,
    load_state,
    save_state,
)


def test_no_file_means_the_defaults(tmp_path):
    state = load_state(tmp_path / "window-state.json")
    assert state == WindowState(DEFAULT_WIDTH, DEFAULT_HEIGHT, None, None, False)


def test_saved_state_comes_back(tmp_path):
    path = tmp_path / "window-state.json"
    assert save_state(path, WindowState(900, 700, 12, -30, True))
    assert load_state(path) == WindowState(900, 700, 12, -30, True)
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"width": "wide", "height": 600}',
        '{"height": 600}',
        '{"width": 800, "height": 600, "maximized": "yes"}',
        '{"width": true, "height": 600}',
        "",
    ],
)
def test_a_damaged_file_is_ignored_with_a_log_line(tmp_path, caplog, content):
    path = tmp_path / "window-state.json"
    path.write_text(content)
    with caplog.at_level(logging.WARNING):
        assert load_state(path) == WindowState()
    assert "Ignoring the damaged window state" in caplog.text


def test_sizes_are_clamped_to_sensible_minimums_and_maximums():
    state = WindowState.from_json({"width": 10, "height": -5, "x": 0, "y": 0})
    assert (state.width, state.height) == (MIN_WIDTH, MIN_HEIGHT)
    huge = WindowState.from_json({"width": 10**9, "height": 10**9})
    assert huge.width <= 16384 and huge.height <= 16384


def test_absurd_or_half_positions_are_dropped():
    assert WindowState.from_json({"width": 800, "height": 600, "x": 10**7, "y": 5}).x is None
    half = WindowState.from_json({"width": 800, "height": 600, "x": 10, "y": None})
    assert (half.x, half.y) == (None, None)


SCREEN = Rect(0, 0, 1280, 800)


def test_a_place_on_a_screen_is_kept():
    state = WindowState(800, 600, 100, 50)
    assert fit_to_screens(state, [SCREEN]) == state


def test_a_place_no_screen_shows_is_dropped_so_the_window_centres():
    unplugged = WindowState(800, 600, 2000, 100)  # was on a second monitor
    assert fit_to_screens(unplugged, [SCREEN]) == WindowState(800, 600, None, None)
    title_bar_above = WindowState(800, 600, 100, -500)
    assert fit_to_screens(title_bar_above, [SCREEN]).x is None


def test_a_window_on_a_second_screen_stays_there():
    state = WindowState(800, 600, 1500, 100)
    assert fit_to_screens(state, [SCREEN, Rect(1280, 0, 1920, 1080)]) == state


def test_a_window_bigger_than_every_screen_shrinks_to_fit():
    state = fit_to_screens(WindowState(4000, 3000, None, None), [SCREEN])
    assert (state.width, state.height) == (1280, 800)


def test_unknown_screens_change_nothing():
    state = WindowState(4000, 3000, 99999, 5)
    assert fit_to_screens(state, []) == state


def _saved(path):
    return json.loads(path.read_text()) if path.exists() else None


def test_tracker_writes_a_moment_after_moves_stop_and_at_close(tmp_path):
    path = tmp_path / "window-state.json"
    tracker = WindowStateTracker(path, WindowState(), delay=0.2)
    tracker.set_origin(0, 0)
    for x in range(0, 50, 10):
        tracker.on_moved(x, 20)
    tracker.on_resized(900, 650)
    assert _saved(path) is None  # not on every event
    time.sleep(0.5)
    assert _saved(path)["x"] == 40 and _saved(path)["width"] == 900
    tracker.on_moved(60, 70)
    final = tracker.close()
    assert (final.x, final.y) == (60, 70)
    assert (_saved(path)["x"], _saved(path)["y"]) == (60, 70)


def test_positions_are_kept_relative_to_the_primary_screen(tmp_path):
    tracker = WindowStateTracker(tmp_path / "s.json", WindowState(), delay=10)
    tracker.set_origin(1920, 0)  # primary screen right of another one
    tracker.on_moved(2000, 40)
    assert (tracker.state.x, tracker.state.y) == (80, 40)


def test_maximize_keeps_the_normal_size_even_when_its_resize_came_first(tmp_path):
    path = tmp_path / "window-state.json"
    tracker = WindowStateTracker(path, WindowState(900, 650, 10, 10), delay=0.2)
    tracker.on_resized(1280, 800)  # the maximize's own resize, reported before the state change
    tracker.on_moved(0, 0)
    tracker.on_maximized()
    tracker.on_resized(1280, 800)  # ignored while maximized
    final = tracker.close()
    assert final == WindowState(900, 650, 10, 10, maximized=True)
    assert _saved(path)["maximized"] is True


def test_minimizing_is_not_remembered_and_restoring_goes_back(tmp_path):
    tracker = WindowStateTracker(tmp_path / "s.json", WindowState(900, 650, 10, 10), delay=10)
    tracker.on_minimized()
    tracker.on_moved(-32000, -32000)  # Windows parks minimized windows far away
    assert tracker.is_minimized
    tracker.on_restored()
    assert not tracker.is_minimized
    assert tracker.close() == WindowState(900, 650, 10, 10)


def test_unmaximize_records_normal_geometry_again(tmp_path):
    tracker = WindowStateTracker(tmp_path / "s.json", WindowState(maximized=True), delay=10)
    tracker.on_resized(1280, 800)
    tracker.on_restored()
    tracker.on_resized(700, 500)
    assert tracker.close() == WindowState(700, 500, None, None, False)


def test_an_unwritable_place_is_logged_not_raised(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING):
        assert not save_state(blocker / "window-state.json", WindowState())
    assert "Could not save the window state" in caplog.text
