"""The stored allocations and preset sessions: checked on load, written soon and surely."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.nitrolite.const import DOMAIN
from custom_components.nitrolite.storage import SAVE_DELAY_SECONDS
from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, WALLET, wallet_entry
from .helpers import call, open_session, wait_for
from .test_presets import PRESET_ID, preset_subentry

GOOD_RECORD = {
    "version": 1,
    "allocations": [
        {"participant": WALLET, "asset": "usdc", "amount": "4"},
        {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0"},
    ],
}


def with_allocation(**changes: Any) -> dict[str, Any]:
    """Return the good record with its first allocation changed."""
    return {**GOOD_RECORD, "allocations": [GOOD_RECORD["allocations"][0] | changes]}


BAD_RECORDS = {
    "amount not a decimal": with_allocation(amount="four"),
    "amount with a huge exponent": with_allocation(amount="1e999999999"),
    "amount negative": with_allocation(amount="-4"),
    "amount a number": with_allocation(amount=4.0),
    "participant with a bad checksum": with_allocation(
        participant=WALLET.replace("c", "C", 1)
    ),
    "asset missing": {
        **GOOD_RECORD,
        "allocations": [{"participant": WALLET, "amount": "4"}],
    },
    "version missing": {"allocations": GOOD_RECORD["allocations"]},
    "version a string": {**GOOD_RECORD, "version": "1"},
    "allocations not a list": {**GOOD_RECORD, "allocations": "4 usdc"},
    "record not a mapping": [1, GOOD_RECORD["allocations"]],
}


@pytest.fixture
def config_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """Return an entry for WALLET with the EV-charger preset."""
    return wallet_entry(clearnode, subentries_data=[preset_subentry()])


def sessions_key(entry: MockConfigEntry) -> str:
    """Storage key of the entry's remembered sessions."""
    return f"{DOMAIN}.{entry.entry_id}.sessions"


async def reload_with(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    records: Any,
) -> None:
    """Unload the entry, replace its remembered sessions, and set it up again."""
    await hass.config_entries.async_unload(entry.entry_id)
    hass_storage[sessions_key(entry)]["data"] = records
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize("record", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
async def test_a_malformed_record_is_dropped_with_a_warning(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    record: Any,
) -> None:
    """The entry loads; the session is known, its allocations are not (our share is)."""
    session_id = await open_session(hass)

    await reload_with(hass, loaded_entry, hass_storage, {session_id: record})

    assert loaded_entry.state is ConfigEntryState.LOADED
    assert f"Dropped the remembered state of app session {session_id}" in caplog.text
    data = loaded_entry.runtime_data.coordinator.data
    assert data.session(session_id).allocations is None
    assert data.own_allocation(session_id) == {"usdc": Decimal(4)}


async def test_a_well_formed_record_beside_a_bad_one_is_kept(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """Only the bad record goes; the good one still lets the session be paid in."""
    session_id = await open_session(hass)
    other = "0x" + "ab" * 32

    await reload_with(
        hass,
        loaded_entry,
        hass_storage,
        {session_id: GOOD_RECORD, other: BAD_RECORDS["amount not a decimal"]},
    )

    paid = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")
    assert paid["version"] == 2


async def test_a_file_that_is_not_a_mapping_is_ignored(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing is restored from it, and the entry loads."""
    session_id = await open_session(hass)

    await reload_with(hass, loaded_entry, hass_storage, ["not", "a", "mapping"])

    assert loaded_entry.state is ConfigEntryState.LOADED
    assert "Ignored the remembered app sessions" in caplog.text
    data = loaded_entry.runtime_data.coordinator.data
    assert data.session(session_id).allocations is None


async def test_a_record_of_a_session_no_longer_open_is_dropped_at_start(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A session closed long before the restart is not listed: its record goes."""
    session_id = await open_session(hass)
    closed_long_ago = "0x" + "cd" * 32

    await reload_with(
        hass,
        loaded_entry,
        hass_storage,
        {session_id: GOOD_RECORD, closed_long_ago: GOOD_RECORD},
    )
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert list(hass_storage[sessions_key(loaded_entry)]["data"]) == [session_id]


async def test_a_failed_write_is_written_again_at_unload(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A change counts as saved only once a write holding it succeeded."""

    session_id = await open_session(hass)

    with patch.object(Store, "_async_write_data", side_effect=WriteError("full")):
        await call(hass, "pay_in_session", app_session_id=session_id, amount="1")
        freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    stored = hass_storage[sessions_key(loaded_entry)]["data"]
    assert stored[session_id]["version"] == 1

    await hass.config_entries.async_unload(loaded_entry.entry_id)

    stored = hass_storage[sessions_key(loaded_entry)]["data"]
    assert stored[session_id]["version"] == 2


async def test_a_new_session_is_saved_before_its_request_is_sent(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Its record is on disk while the ClearNode still holds the request."""
    clearnode.faults.delay = 1
    opening = asyncio.ensure_future(open_session(hass))
    await wait_for(hass, lambda: clearnode.faults.received["create_app_session"] == 1)

    stored = hass_storage[sessions_key(loaded_entry)]["data"]

    assert list(stored.values()) == [GOOD_RECORD]
    assert list(stored) == [await opening]


async def test_a_session_is_not_created_when_its_record_cannot_be_saved(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Nothing is sent; the error says why."""
    with (
        patch.object(Store, "_async_write_data", side_effect=WriteError("full")),
        pytest.raises(HomeAssistantError) as err,
    ):
        await open_session(hass)

    assert err.value.translation_key == "session_store_failed"
    assert clearnode.faults.received["create_app_session"] == 0
    assert clearnode.balance(WALLET, "usdc") == Decimal(100)


async def test_preset_sessions_stored_by_an_earlier_version_are_read(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Version 1 kept only each preset's current session; it is migrated."""
    opened = await call(hass, "create_app_session", preset="ev_charger")
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    key = f"{DOMAIN}.{loaded_entry.entry_id}.presets"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {PRESET_ID: opened["app_session_id"]},
    }

    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert (
        hass.states.get("sensor.ev_charger_session_id").state
        == (opened["app_session_id"])
    )
    await call(hass, "pay_in_session", preset="ev_charger")
    assert clearnode.allocation(opened["app_session_id"], COUNTERPARTY, "usdc") == (
        Decimal("0.5")
    )
