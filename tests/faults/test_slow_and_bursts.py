"""A server slower than the request timeout, and floods of pushes."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import ConnectionState
from local_clearnode import LocalClearNode
from tests.integration.helpers import call, coordinator_of, wait_for

from .helpers import BALANCE, REQUEST_TIMEOUT, assert_converges, balance_push

BURST = 10_000
CHUNK = 200


async def test_a_server_slower_than_the_timeout_gives_a_translated_error(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The caller learns of the timeout; the late answer still reaches the state."""
    clearnode.faults.delay = REQUEST_TIMEOUT * 2
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "get_balances")
    assert err.value.translation_key == "timeout"
    assert "did not answer" in str(err.value) or "time" in str(err.value).lower()

    clearnode.faults.delay = 0
    await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)
    await assert_converges(hass, loaded_entry, clearnode)


async def test_a_burst_of_balance_pushes_ends_on_the_last_balance(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Ten thousand bu pushes: the last one wins and Home Assistant keeps answering."""
    frames = [balance_push(Decimal(n)) for n in range(1, BURST + 1)]
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    counting = hass.async_create_background_task(ticker(), "ticker")
    coordinator = coordinator_of(loaded_entry)
    # The server drops clients that let 256 frames queue up, as the real one does:
    # send in chunks the client has drained before the next.
    for start in range(0, BURST, CHUNK):
        for frame in frames[start : start + CHUNK]:
            await clearnode.faults.send_raw(frame)
        last = Decimal(start + CHUNK)
        await wait_for(
            hass, lambda last=last: coordinator.data.balances["usdc"] == last
        )
    await wait_for(hass, lambda: hass.states.get(BALANCE).state == str(BURST))
    counting.cancel()

    assert ticks > 0  # the loop kept running other tasks during the burst
    await call(hass, "get_balances")  # answered at once, and back to the ledger's
    await assert_converges(hass, loaded_entry, clearnode)
    client = loaded_entry.runtime_data.client
    assert client.state is ConnectionState.CONNECTED
    assert client.stats["rejected_frames"] == 0
