"""The ClearNode restarts while a payment is on its way."""

from __future__ import annotations

import asyncio

from homeassistant.const import STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import ConnectionState
from local_clearnode import LocalClearNode
from tests.integration.helpers import call, coordinator_of, open_session, wait_for

from .helpers import BALANCE, CONNECTIVITY, assert_converges


async def test_a_restart_fails_the_pending_call_at_once_and_nothing_is_retried(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The pending call fails at once saying it may have applied; the node saw it once."""
    session_id = await open_session(hass)
    clearnode.faults.delay = 0.2
    payment = asyncio.ensure_future(
        call(hass, "pay_in_session", app_session_id=session_id, amount="1")
    )
    await wait_for(hass, lambda: clearnode.faults.received["submit_app_state"] == 1)
    await clearnode.restart()
    clearnode.faults.delay = 0

    with pytest.raises(HomeAssistantError) as err:
        await payment
    assert err.value.translation_key == "change_unanswered"
    assert "may have been applied" in str(err.value)

    client = loaded_entry.runtime_data.client
    await wait_for(hass, lambda: client.state is ConnectionState.CONNECTED)
    await wait_for(hass, lambda: hass.states.get(CONNECTIVITY).state == STATE_ON)
    await wait_for(hass, lambda: hass.states.get(BALANCE).state != STATE_UNAVAILABLE)
    await assert_converges(hass, loaded_entry, clearnode)
    assert clearnode.faults.received["submit_app_state"] == 1


async def test_payments_continue_in_a_session_after_a_reconnect(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A reconnect does not make the integration forget a session's allocations."""
    session_id = await open_session(hass)
    client = loaded_entry.runtime_data.client
    await clearnode.restart()
    await wait_for(hass, lambda: client.stats["reconnects"] == 1)
    await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)

    response = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    assert response is not None
    assert response["version"] == 2
    await assert_converges(hass, loaded_entry, clearnode)
