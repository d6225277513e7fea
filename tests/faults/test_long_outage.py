"""A ClearNode unreachable for hours: reconnection keeps going, with bounded pauses."""

from __future__ import annotations

from collections.abc import Iterator
import functools
from statistics import mean
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import ClearNodeClient
from local_clearnode import LocalClearNode
from tests.integration.helpers import coordinator_of, wait_for

from .helpers import KEEPALIVE_INTERVAL

OUTAGE_ATTEMPTS = 2500  # past the 1024th attempt, where 2**attempt overflowed a float
MAX_DELAY = 60.0  # the client's default longest pause
EIGHT_HOURS = 8 * 3600


@pytest.fixture
def fast_keepalive() -> Iterator[None]:
    """Keep the production backoff (1 s doubling up to 60 s); the clock is simulated."""
    with patch(
        "custom_components.nitrolite.clearnode.factory.ClearNodeClient",
        functools.partial(ClearNodeClient, ping_interval=KEEPALIVE_INTERVAL),
    ):
        yield


async def test_a_long_outage_never_ends_reconnection(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Thousands of refused attempts over simulated hours; the entry comes back.

    Every pause stays within the longest delay, and once the backoff has grown the
    pauses spread over it (full jitter) instead of hammering the endpoint.
    """
    pauses: list[float] = []

    async def simulated_pause(_client: ClearNodeClient, seconds: float) -> None:
        pauses.append(seconds)

    with patch.object(ClearNodeClient, "_pause", simulated_pause):
        await clearnode.stop()
        await wait_for(hass, lambda: len(pauses) >= OUTAGE_ATTEMPTS)
        await clearnode.start()
        await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)

    assert sum(pauses) > EIGHT_HOURS
    assert max(pauses) <= MAX_DELAY
    assert mean(pauses[10:]) > MAX_DELAY / 3
    assert loaded_entry.runtime_data.client.stats["reconnects"] == 1
