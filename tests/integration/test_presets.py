"""Payment presets end to end: buttons, sensors and actions against the local ClearNode."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import Allocation, ClearNodeClient
from custom_components.nitrolite.const import DOMAIN
from local_clearnode import LocalClearNode

from .conftest import (
    COUNTERPARTY,
    WALLET,
    WALLET_KEY,
    entry_data,
    setup_entry,
    wallet_entry,
)
from .helpers import call, wait_for
from .test_presets_flow import ADVANCED

PRESET_ID = "01JPRESETEVCHARGER00000000"
OPEN = "button.ev_charger_open_session"
PAY = "button.ev_charger_pay_one_unit"
CLOSE = "button.ev_charger_close_session"
STATUS = "sensor.ev_charger_session_status"
SESSION_ID = "sensor.ev_charger_session_id"
PAID = "sensor.ev_charger_total_paid"
REMAINING = "sensor.ev_charger_remaining_deposit"


def preset_subentry(**changes: Any) -> ConfigSubentryDataWithId:
    """Return an EV-charger preset: deposit 4 usdc, 0.5 usdc per unit."""
    return ConfigSubentryDataWithId(
        subentry_id=PRESET_ID,
        subentry_type="preset",
        title="EV charger",
        unique_id="ev_charger",
        data={
            "name": "EV charger",
            "counterparty": COUNTERPARTY,
            "asset": "usdc",
            "deposit": "4",
            "unit_price": "0.5",
            **ADVANCED,
            **changes,
        },
    )


@pytest.fixture
def config_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """Return an entry for WALLET with the EV-charger preset."""
    return wallet_entry(clearnode, subentries_data=[preset_subentry()])


async def press(hass: HomeAssistant, entity_id: str) -> None:
    """Press a button the way a dashboard does."""
    await hass.services.async_call(
        "button", "press", {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state."""
    entity_state = hass.states.get(entity_id)
    assert entity_state is not None
    return entity_state.state


def available(hass: HomeAssistant) -> dict[str, bool]:
    """Which of the preset's buttons can be pressed."""
    return {
        button: state(hass, button) != STATE_UNAVAILABLE
        for button in (OPEN, PAY, CLOSE)
    }


NO_SESSION = {OPEN: True, PAY: False, CLOSE: False}
SESSION_OPEN = {OPEN: False, PAY: True, CLOSE: True}


async def test_open_pay_and_close_with_the_buttons(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Each button moves money on the server, and the sensors follow."""
    assert available(hass) == NO_SESSION
    assert state(hass, STATUS) == "none"
    assert state(hass, SESSION_ID) == STATE_UNKNOWN

    await press(hass, OPEN)
    session_id = state(hass, SESSION_ID)
    server = clearnode.app_sessions[session_id]
    assert server.participants == [WALLET, COUNTERPARTY]
    assert (server.weights, server.quorum) == ([100, 0], 100)
    assert clearnode.allocation(session_id, WALLET, "usdc") == Decimal(4)
    assert clearnode.balance(WALLET, "usdc") == Decimal(96)
    assert state(hass, STATUS) == "open"
    assert (state(hass, PAID), state(hass, REMAINING)) == ("0", "4")
    assert hass.states.get(PAID).attributes["unit_of_measurement"] == "usdc"
    assert available(hass) == SESSION_OPEN

    await press(hass, PAY)
    await press(hass, PAY)
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(1)
    assert clearnode.allocation(session_id, WALLET, "usdc") == Decimal(3)
    assert (state(hass, PAID), state(hass, REMAINING)) == ("1", "3")

    await press(hass, CLOSE)
    assert clearnode.app_sessions[session_id].status == "closed"
    assert clearnode.balance(WALLET, "usdc") == Decimal(99)
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(21)
    assert state(hass, STATUS) == "closed"
    assert state(hass, PAID) == "1"
    assert available(hass) == NO_SESSION


async def test_buttons_are_unavailable_while_disconnected(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """No button can be pressed while the ClearNode is unreachable."""
    await clearnode.stop()
    await wait_for(hass, lambda: state(hass, OPEN) == STATE_UNAVAILABLE)

    assert available(hass) == {OPEN: False, PAY: False, CLOSE: False}
    await clearnode.start()
    await wait_for(hass, lambda: available(hass) == NO_SESSION)


async def test_a_refused_open_raises_and_changes_nothing(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A deposit beyond the spending cap (10 usdc) is refused by the server."""
    hass.config_entries.async_update_subentry(
        loaded_entry,
        loaded_entry.subentries[PRESET_ID],
        data=preset_subentry(deposit="20")["data"],
    )
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as err:
        await press(hass, OPEN)

    assert err.value.translation_key == "allowance_exceeded"
    assert clearnode.balance(WALLET, "usdc") == Decimal(100)
    assert not clearnode.app_sessions
    assert state(hass, STATUS) == "none"
    assert available(hass) == NO_SESSION


async def test_paying_beyond_the_deposit_is_refused_before_sending(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Units worth more than what is left raise a translated validation error."""
    await press(hass, OPEN)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "pay_in_session", preset="ev_charger", units=9)

    assert err.value.translation_key == "insufficient_allocation"
    assert state(hass, REMAINING) == "4"
    assert available(hass) == SESSION_OPEN


async def test_actions_take_a_preset(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """create, pay (units × unit price) and close name the preset by slug, name or id."""
    created = await call(hass, "create_app_session", preset="ev_charger")
    session_id = created["app_session_id"]
    assert created["allocations"] == [
        {"participant": WALLET, "asset": "usdc", "amount": "4"},
        {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0"},
    ]

    paid = await call(hass, "pay_in_session", preset="EV charger", units=3.2)
    assert paid["app_session_id"] == session_id
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal("1.6")
    await call(hass, "pay_in_session", preset=PRESET_ID)
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal("2.1")

    closed = await call(hass, "close_app_session", preset="ev_charger")
    assert closed["status"] == "closed"
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("22.1")
    assert state(hass, STATUS) == "closed"


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("pay_in_session", {"preset": "garage"}, "unknown_preset"),
        ("pay_in_session", {"preset": "ev_charger"}, "preset_no_open_session"),
        ("close_app_session", {"preset": "ev_charger"}, "preset_no_open_session"),
        ("pay_in_session", {"units": 2, "amount": "1"}, "preset_required"),
        ("pay_in_session", {"amount": "1"}, "field_required"),
        ("close_app_session", {}, "field_required"),
        (
            "create_app_session",
            {"preset": "ev_charger", "amount": "5"},
            "preset_conflict",
        ),
        (
            "create_app_session",
            {"preset": "ev_charger", "protocol": "NitroRPC/0.2"},
            "preset_conflict",
        ),
        (
            "pay_in_session",
            {"preset": "ev_charger", "app_session_id": "0x" + "ab" * 32},
            "preset_conflict",
        ),
        (
            "close_app_session",
            {"preset": "ev_charger", "app_session_id": "0x" + "ab" * 32},
            "preset_conflict",
        ),
    ],
)
@pytest.mark.usefixtures("loaded_entry")
async def test_preset_calls_are_checked_before_sending(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    """Unknown presets, missing sessions and conflicting fields get translated errors."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, **data)

    assert err.value.translation_key == key
    assert not clearnode.app_sessions


@pytest.mark.parametrize(
    ("units", "key"),
    [
        ("0", "units_not_positive"),
        ("-1", "invalid_amount"),
        ("many", "invalid_amount"),
        ("inf", "invalid_amount"),
        ("1e999999999", "invalid_amount"),
        # 37 decimal places: one past what an amount may carry.
        ("0." + "0" * 36 + "1", "invalid_amount"),
        # Its price (× 0.5) would need 37 decimal places.
        ("0." + "0" * 35 + "1", "invalid_amount"),
    ],
)
async def test_units_must_be_a_positive_number(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, units: str, key: str
) -> None:
    """Units of 0, negative or not a number are refused; nothing is paid."""
    await press(hass, OPEN)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "pay_in_session", preset="ev_charger", units=units)

    assert err.value.translation_key == key
    assert state(hass, PAID) == "0"


async def test_units_times_the_price_is_exact_past_28_significant_digits(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The amount paid is units × price to the last digit, and so is the total paid."""
    await press(hass, OPEN)

    response = await call(
        hass,
        "pay_in_session",
        preset="ev_charger",
        units="3.0000000000000000000000000001",
    )

    amounts = {
        item["participant"]: Decimal(item["amount"]) for item in response["allocations"]
    }
    assert amounts == {
        WALLET: Decimal("2.49999999999999999999999999995"),
        COUNTERPARTY: Decimal("1.50000000000000000000000000005"),
    }
    presets = loaded_entry.runtime_data.presets
    assert presets.paid(presets.get(PRESET_ID)) == Decimal(
        "1.50000000000000000000000000005"
    )


async def test_a_second_open_is_refused_while_one_is_open(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A preset has one current session."""
    await press(hass, OPEN)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_app_session", preset="ev_charger")

    assert err.value.translation_key == "preset_session_open"
    assert len(clearnode.app_sessions) == 1


async def test_a_session_closed_by_id_leaves_the_preset_without_one(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Closing the preset's session by its id shows on the preset at once."""
    await press(hass, OPEN)

    await call(hass, "close_app_session", app_session_id=state(hass, SESSION_ID))

    assert state(hass, STATUS) == "closed"
    assert available(hass) == NO_SESSION


async def test_the_current_session_survives_a_restart(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """After a reload the preset finds its session, and paying still works."""
    await press(hass, OPEN)
    await press(hass, PAY)
    session_id = state(hass, SESSION_ID)

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert state(hass, SESSION_ID) == session_id
    assert state(hass, STATUS) == "open"
    assert (state(hass, PAID), state(hass, REMAINING)) == ("0.5", "3.5")
    assert available(hass) == SESSION_OPEN
    await press(hass, PAY)
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(1)


async def test_a_session_closed_while_home_assistant_was_away(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Closed by another client of the same wallet: the preset has no open session."""
    await press(hass, OPEN)
    session_id = state(hass, SESSION_ID)
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    other = ClearNodeClient(
        async_get_clientsession(hass),
        clearnode.url,
        WALLET_KEY,
        application="home-assistant",
        allowances={},
    )
    await other.connect()
    try:
        [session] = [s async for s in other.iter_app_sessions(status="open")]
        await other.close_app_session(
            session,
            [
                Allocation(WALLET, "usdc", Decimal(4)),
                Allocation(COUNTERPARTY, "usdc", Decimal(0)),
            ],
        )
    finally:
        await other.close()
    assert clearnode.app_sessions[session_id].status == "closed"

    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert state(hass, STATUS) == "closed"
    assert available(hass) == NO_SESSION


async def test_removing_the_entry_forgets_the_presets_sessions(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The store of preset sessions goes with the entry."""
    await press(hass, OPEN)
    key = f"{DOMAIN}.{loaded_entry.entry_id}.presets"
    assert PRESET_ID in hass_storage[key]["data"]["sessions"]

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


async def test_setup_without_presets(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """An entry without presets has no buttons."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode),
    )
    await setup_entry(hass, entry)
    assert not hass.states.async_entity_ids("button")


async def test_removing_a_preset_forgets_its_session(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """The session stays open on the server, but no longer belongs to a preset."""
    await press(hass, OPEN)
    session_id = state(hass, SESSION_ID)

    hass.config_entries.async_remove_subentry(loaded_entry, PRESET_ID)
    await hass.async_block_till_done()

    assert hass.states.get(STATUS) is None
    assert session_id in loaded_entry.runtime_data.coordinator.data.sessions
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}.presets"]["data"] == {
        "sessions": {},
        "opening": {},
    }


async def test_removing_a_preset_while_it_opens_a_session(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The open still answers with its session, which stays known without a preset."""
    clearnode.faults.delay = 1
    opening = asyncio.ensure_future(
        call(hass, "create_app_session", preset="ev_charger")
    )
    await wait_for(hass, lambda: clearnode.faults.received["create_app_session"] == 1)

    hass.config_entries.async_remove_subentry(loaded_entry, PRESET_ID)
    opened = await opening

    coordinator = loaded_entry.runtime_data.coordinator
    assert coordinator.data.session(opened["app_session_id"]).status == "open"
    assert hass.states.get(STATUS) is None
