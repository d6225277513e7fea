"""A change that gets no answer may have been applied: say so, find out, and wait for it.

The local ClearNode applies a request and withholds its answer (silent methods), holds
it past the request timeout (delay), or drops the socket before applying it. Home
Assistant must report "may have been applied", settle the outcome by re-reading the
state, fire the event of a change that did apply, and compute no new change of the
session from a state that may be outdated.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.nitrolite.clearnode import ClearNodeClient
from custom_components.nitrolite.const import CONF_REQUEST_TIMEOUT, DOMAIN
from local_clearnode import LocalClearNode
from tests.integration.conftest import COUNTERPARTY, WALLET, entry_data, wallet_entry
from tests.integration.helpers import call, coordinator_of, open_session, wait_for
from tests.integration.test_presets import preset_subentry

from .helpers import assert_converges

PRESET_STATUS = "sensor.ev_charger_session_status"
PRESET_SESSION_ID = "sensor.ev_charger_session_id"
PRESET_PAID = "sensor.ev_charger_total_paid"


@pytest.fixture
def config_entry(
    clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Return the fault entry with an EV-charger preset: 4 usdc, 0.5 a unit."""
    return wallet_entry(
        clearnode,
        options=config_entry.options,
        entry_id=config_entry.entry_id,
        subentries_data=[preset_subentry()],
    )


async def unanswered(hass: HomeAssistant, service: str, **data: Any) -> str:
    """Call an action that gets no answer; return the message it raises."""
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, service, **data)
    assert err.value.translation_key in {"change_unanswered", "transfer_unanswered"}
    return str(err.value)


def preset_state(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state of one of the preset's sensors."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


async def test_an_unanswered_payment_may_have_been_applied_and_its_event_fires(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The error says so; the payment event fires once; the state is the server's."""
    session_id = await open_session(hass)
    payments = async_capture_events(hass, f"{DOMAIN}_app_session_payment")
    clearnode.faults.silent_methods.add("submit_app_state")

    message = await unanswered(
        hass, "pay_in_session", app_session_id=session_id, amount="1"
    )

    assert f"{session_id} may have been applied" in message
    assert "Home Assistant is checking" in message
    await wait_for(
        hass, lambda: session_id not in coordinator_of(loaded_entry).unanswered
    )
    assert [event.data["amount"] for event in payments] == ["1"]
    assert clearnode.faults.received["submit_app_state"] == 1
    await assert_converges(hass, loaded_entry, clearnode)


async def test_an_unanswered_create_is_found_with_its_allocations(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The created event fires and the session can be paid in without naming allocations."""
    created = async_capture_events(hass, f"{DOMAIN}_app_session_created")
    clearnode.faults.silent_methods.add("create_app_session")

    await unanswered(
        hass, "create_app_session", counterparty=COUNTERPARTY, asset="usdc", amount="4"
    )
    await wait_for(hass, lambda: bool(created))
    clearnode.faults.silent_methods.clear()
    [session_id] = clearnode.app_sessions

    assert created[0].data["app_session_id"] == session_id
    assert created[0].data["allocations"][0] == {
        "participant": WALLET,
        "asset": "usdc",
        "amount": "4",
    }
    paid = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")
    assert paid["version"] == 2
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(1)


async def test_an_unanswered_close_fires_the_closed_event_with_the_final_split(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Once settled, the session shows closed with the allocations it was closed with."""
    session_id = await open_session(hass)
    closed = async_capture_events(hass, f"{DOMAIN}_app_session_closed")
    clearnode.faults.silent_methods.add("close_app_session")
    final = [
        {"participant": WALLET, "asset": "usdc", "amount": "3"},
        {"participant": COUNTERPARTY, "asset": "usdc", "amount": "1"},
    ]

    await unanswered(
        hass, "close_app_session", app_session_id=session_id, allocations=final
    )
    await wait_for(hass, lambda: bool(closed))

    assert closed[0].data["allocations"] == final
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(21)
    await assert_converges(hass, loaded_entry, clearnode)


async def test_a_change_not_applied_is_settled_as_such(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The socket drops before the server applies it: no event; the next payment works."""
    session_id = await open_session(hass)
    events = async_capture_events(hass, f"{DOMAIN}_app_session_payment")
    clearnode.faults.close_on_methods.add("submit_app_state")

    await unanswered(hass, "pay_in_session", app_session_id=session_id, amount="1")
    clearnode.faults.close_on_methods.clear()
    await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)
    paid = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    assert paid["version"] == 2
    assert [event.data["version"] for event in events] == [2]
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(1)


async def test_a_change_waits_for_the_outcome_of_the_one_before(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """On a NitroRPC/0.2 session a payment sent after an unanswered one adds to it.

    The first payment is held past its timeout and applied later; the second waits for
    the re-read that settles the first, so it is computed from the state that includes it
    rather than overwriting it with an absolute state from before.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode),
        options={CONF_REQUEST_TIMEOUT: 2},
    )
    entry.add_to_hass(hass)
    # Pings must not time out behind the held request and drop the connection.
    with patch(
        "custom_components.nitrolite.clearnode.factory.ClearNodeClient", ClearNodeClient
    ):
        await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    response = await call(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY,
        asset="usdc",
        amount="4",
        protocol="NitroRPC/0.2",
    )
    session_id = response["app_session_id"]
    clearnode.faults.delay = 3  # between one and two request timeouts
    first = asyncio.ensure_future(
        call(hass, "pay_in_session", app_session_id=session_id, amount="1")
    )
    await wait_for(hass, lambda: clearnode.faults.received["submit_app_state"] == 1)
    clearnode.faults.delay = 0
    with pytest.raises(HomeAssistantError):
        await first

    second = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    assert second["version"] == 3
    assert clearnode.app_sessions[session_id].version == 3
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(2)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_change_is_refused_while_the_outcome_before_it_cannot_be_learnt(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """With the re-read failing too, a second payment is refused; it goes once it can."""
    session_id = await open_session(hass)
    clearnode.faults.silent_methods |= {"submit_app_state", "get_ledger_balances"}
    await unanswered(hass, "pay_in_session", app_session_id=session_id, amount="1")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "pay_in_session", app_session_id=session_id, amount="1")
    assert err.value.translation_key == "outcome_pending"
    assert "still checking" in str(err.value)
    assert clearnode.faults.received["submit_app_state"] == 1

    clearnode.faults.silent_methods.clear()
    paid = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")
    assert paid["version"] == 3
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(2)


async def test_a_change_sent_while_disconnected_is_reported_as_not_sent(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Nothing left Home Assistant, so the error does not say it may have applied."""
    session_id = await open_session(hass)
    await clearnode.stop()
    await wait_for(hass, lambda: not coordinator_of(loaded_entry).connected)

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    assert err.value.translation_key == "not_connected"
    assert session_id not in coordinator_of(loaded_entry).unanswered


async def test_an_unanswered_transfer_says_it_may_have_been_applied(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The balance is re-read at once, so it shows whether the transfer went through."""
    clearnode.faults.silent_methods.add("transfer")

    message = await unanswered(
        hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="1"
    )

    assert "may have been applied" in message
    await assert_converges(hass, loaded_entry, clearnode)
    assert coordinator_of(loaded_entry).data.balances["usdc"] == Decimal(99)


# Presets -------------------------------------------------------------------------


async def test_a_preset_adopts_the_session_of_an_unanswered_open(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The server created it but the answer got lost: the preset still gets it."""
    clearnode.faults.silent_methods.add("create_app_session")

    await unanswered(hass, "create_app_session", preset="ev_charger")
    await wait_for(hass, lambda: preset_state(hass, PRESET_STATUS) == "open")
    clearnode.faults.silent_methods.clear()

    [session_id] = clearnode.app_sessions
    assert preset_state(hass, PRESET_SESSION_ID) == session_id
    await call(hass, "pay_in_session", preset="ev_charger")
    assert preset_state(hass, PRESET_PAID) == "0.5"
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "create_app_session", preset="ev_charger")
    assert err.value.translation_key == "preset_session_open"


async def test_a_second_open_waits_for_the_outcome_of_an_unanswered_one(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Called right after the first open went unanswered, it finds that session open."""
    clearnode.faults.silent_methods.add("create_app_session")
    await unanswered(hass, "create_app_session", preset="ev_charger")
    clearnode.faults.silent_methods.clear()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "create_app_session", preset="ev_charger")

    assert err.value.translation_key == "preset_session_open"
    assert clearnode.faults.received["create_app_session"] == 1
    assert len(clearnode.app_sessions) == 1
    assert clearnode.balance(WALLET, "usdc") == Decimal(96)


async def test_an_open_lost_before_the_server_applied_it_is_forgotten(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """No session was created: the opening mark goes, and opening again works."""
    clearnode.faults.close_on_methods.add("create_app_session")
    await unanswered(hass, "create_app_session", preset="ev_charger")
    clearnode.faults.close_on_methods.clear()
    presets = loaded_entry.runtime_data.presets

    await wait_for(hass, lambda: not presets._opening)
    assert hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}.presets"]["data"] == {
        "sessions": {},
        "opening": {},
    }
    assert preset_state(hass, PRESET_STATUS) == "none"
    opened = await call(hass, "create_app_session", preset="ev_charger")
    assert clearnode.app_sessions[opened["app_session_id"]].status == "open"


async def test_a_preset_finds_its_session_after_an_unload_lost_the_answer(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """An unload while the open is unanswered: after it the preset has its session.

    The preset shows its funded session and can pay in it and close it.
    """
    clearnode.faults.silent_methods.add("create_app_session")
    opening = asyncio.ensure_future(
        call(hass, "create_app_session", preset="ev_charger")
    )
    await wait_for(hass, lambda: clearnode.faults.received["create_app_session"] == 1)

    await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(HomeAssistantError):
        await opening
    clearnode.faults.silent_methods.clear()
    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    [session_id] = clearnode.app_sessions
    assert preset_state(hass, PRESET_SESSION_ID) == session_id
    assert preset_state(hass, PRESET_STATUS) == "open"
    await call(hass, "pay_in_session", preset="ev_charger")
    closed = await call(hass, "close_app_session", preset="ev_charger")
    assert closed["status"] == "closed"
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("20.5")
    assert clearnode.balance(WALLET, "usdc") == Decimal("99.5")


async def test_an_opening_mark_of_a_session_that_never_came_is_cleared_at_start(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A mark saved before a crash, for a session the server does not have, goes."""
    key = f"{DOMAIN}.{config_entry.entry_id}.presets"
    hass_storage[key] = {
        "version": 2,
        "minor_version": 1,
        "key": key,
        "data": {
            "sessions": {},
            "opening": {preset_subentry()["subentry_id"]: "0x" + "cd" * 32},
        },
    }
    config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.runtime_data.presets._opening == {}
    assert preset_state(hass, PRESET_STATUS) == "none"
    assert preset_state(hass, "button.ev_charger_open_session") != STATE_UNAVAILABLE
