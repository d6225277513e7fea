"""Warnings a peer can provoke are logged once, then summarised at most once a minute."""

import logging

import pytest

from custom_components.nitrolite.clearnode.throttle import ThrottledWarning

LOGGER = logging.getLogger("tests.throttle")


class Clock:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        """Start at an arbitrary moment."""
        self.now = 1000.0

    def __call__(self) -> float:
        """Return the current simulated time."""
        return self.now


@pytest.fixture
def clock() -> Clock:
    """Return a simulated clock."""
    return Clock()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Return the warning messages logged so far."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_the_first_occurrence_is_logged_the_rest_of_the_minute_held_back(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """Within the interval only the first warning appears; the rest are counted."""
    warn = ThrottledWarning(LOGGER, "Rejected a frame", clock=clock)
    warn("first")
    for _ in range(59):
        clock.now += 1
        warn("flood")
    assert warnings(caplog) == ["Rejected a frame: first"]


def test_after_the_interval_a_summary_counts_what_was_held_back(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """The first occurrence after a minute is logged with the number held back."""
    warn = ThrottledWarning(LOGGER, "Rejected a frame", clock=clock)
    warn("first")
    for _ in range(1000):
        warn("flood")
    clock.now += 61
    warn("latest")
    clock.now += 1
    warn("held back again")
    assert warnings(caplog) == [
        "Rejected a frame: first",
        "Rejected a frame: latest (and 1000 more in the last 61 s)",
    ]


def test_a_quiet_interval_starts_afresh(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    """An occurrence after a quiet minute is logged plainly, with no summary."""
    warn = ThrottledWarning(LOGGER, "Rejected a frame", clock=clock)
    warn("one")
    clock.now += 3600
    warn("two")
    assert warnings(caplog) == ["Rejected a frame: one", "Rejected a frame: two"]
