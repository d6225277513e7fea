"""App sessions through the coordinator's actions, pushes, devices and events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.nitrolite import async_remove_config_entry_device
from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    ClearNodeClient,
    Resynced,
)
from custom_components.nitrolite.const import CONF_CLOSED_SESSION_RETENTION, DOMAIN
from custom_components.nitrolite.devices import session_device_key, wallet_device_key
from custom_components.nitrolite.storage import SAVE_DELAY_SECONDS
from local_clearnode import LocalClearNode
from tests.faults.helpers import balance_push

from .conftest import COUNTERPARTY, COUNTERPARTY_KEY, SECRETS, WALLET
from .helpers import actions_of, call, coordinator_of, find_device, wait_for

DEFINITION = AppDefinition(
    application="home-assistant",
    protocol="NitroRPC/0.4",
    participants=(WALLET, COUNTERPARTY),
    weights=(50, 25),
    quorum=50,
    challenge=86400,
    nonce=1,
)
EVENTS = ("created", "updated", "payment", "closed")


def funding(wallet_amount: str, asset: str = "usdc") -> list[Allocation]:
    """Allocations where only our wallet brings funds."""
    return [
        Allocation(WALLET, asset, Decimal(wallet_amount)),
        Allocation(COUNTERPARTY, asset, Decimal(0)),
    ]


async def open_session(entry: MockConfigEntry, nonce: int = 1) -> AppSession:
    """Open a 50/50 session funded with 4 usdc by our wallet."""
    return await actions_of(entry).async_create_app_session(
        replace(DEFINITION, nonce=nonce), funding("4"), None
    )


def session_entity(session: AppSession, suffix: str) -> str:
    """Entity id of an app session's sensor."""
    short = f"{session.app_session_id[2:6]}_{session.app_session_id[-4:]}"
    return f"sensor.home_assistant_session_0x{short}_{suffix}"


async def test_create_pay_and_close_update_devices_entities_and_events(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A session's whole life is mirrored in entities and events."""
    captured = {
        kind: async_capture_events(hass, f"{DOMAIN}_app_session_{kind}")
        for kind in EVENTS
    }
    actions = actions_of(loaded_entry)

    session = await open_session(loaded_entry)
    await hass.async_block_till_done()
    assert hass.states.get(session_entity(session, "status")).state == "open"
    assert hass.states.get(session_entity(session, "my_allocation")).state == "4"
    assert hass.states.get("sensor.wallet_0x2c75_5c23_open_app_sessions").state == "1"
    assert captured["created"][0].data["app_session_id"] == session.app_session_id

    paid = await actions.async_pay_in_session(
        session.app_session_id, Decimal("1.5"), None, None, None
    )
    await hass.async_block_till_done()
    assert paid.version == 2
    assert hass.states.get(session_entity(session, "my_allocation")).state == "2.5"
    payment = captured["payment"][0].data
    assert payment["from"] == WALLET
    assert payment["to"] == COUNTERPARTY
    assert payment["amount"] == "1.5"
    assert payment["config_entry_id"] == loaded_entry.entry_id
    assert captured["updated"] == []  # our own push is not reported twice

    closed = await actions.async_close_app_session(session.app_session_id, None, None)
    await hass.async_block_till_done()
    assert closed.status == "closed"
    assert hass.states.get(session_entity(session, "status")).state == "closed"
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("21.5")
    assert captured["closed"][0].data["version"] == 3
    for events in captured.values():
        for event in events:
            assert not any(secret in str(event.data) for secret in SECRETS)
    states = str([state.as_dict() for state in hass.states.async_all()])
    assert WALLET in states
    assert not any(secret in states for secret in SECRETS)


async def test_closed_sessions_disappear_after_the_retention_time(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A closed session's device is removed once the retention time has passed."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_CLOSED_SESSION_RETENTION: 1}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    session = await open_session(config_entry)
    await actions_of(config_entry).async_close_app_session(
        session.app_session_id, None, None
    )
    await hass.async_block_till_done()
    key = session_device_key(config_entry, session.app_session_id)
    assert find_device(hass, config_entry.entry_id, key) is not None

    freezer.tick(timedelta(minutes=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert find_device(hass, config_entry.entry_id, key) is not None

    freezer.tick(timedelta(minutes=35))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert find_device(hass, config_entry.entry_id, key) is None
    assert hass.states.get(session_entity(session, "status")) is None


# A session the counterparty opened and funded; either participant alone may update it.
THEIR_DEFINITION = AppDefinition(
    application="home-assistant",
    protocol="NitroRPC/0.4",
    participants=(COUNTERPARTY, WALLET),
    weights=(50, 50),
    quorum=50,
    challenge=0,
    nonce=7,
)


@asynccontextmanager
async def counterparty_client(
    hass: HomeAssistant, node: LocalClearNode
) -> AsyncIterator[ClearNodeClient]:
    """Log the counterparty's wallet in to the ClearNode."""
    counterparty = ClearNodeClient(
        async_get_clientsession(hass),
        node.url,
        COUNTERPARTY_KEY,
        allowances={"usdc": Decimal(10)},
    )
    await counterparty.connect()
    try:
        yield counterparty
    finally:
        await counterparty.close()


async def counterparty_pays_us(
    counterparty: ClearNodeClient, session: AppSession, total: int
) -> AppSession:
    """Submit a state of the counterparty's session in which we hold ``total`` of 4 usdc."""
    allocations = (
        Allocation(COUNTERPARTY, "usdc", Decimal(4 - total)),
        Allocation(WALLET, "usdc", Decimal(total)),
    )
    result = await counterparty.submit_app_state(session, allocations)
    return replace(session, version=result.version, allocations=allocations)


async def counterparty_opens_and_pays_us(
    hass: HomeAssistant, node: LocalClearNode
) -> AppSession:
    """Let the counterparty open a 4 usdc session with us and pay us 1 (pushed to us)."""
    async with counterparty_client(hass, node) as counterparty:
        opened = await counterparty.create_app_session(
            THEIR_DEFINITION,
            [
                Allocation(COUNTERPARTY, "usdc", Decimal(4)),
                Allocation(WALLET, "usdc", Decimal(0)),
            ],
        )
        [session] = [
            s
            async for s in counterparty.iter_app_sessions(participant=COUNTERPARTY)
            if s.app_session_id == opened.app_session_id
        ]
        return await counterparty_pays_us(counterparty, session, 1)


async def test_a_payment_pushed_by_the_counterparty_fires_a_payment_event(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """An asu push in which the counterparty pays us 1 more usdc is reported as a payment."""
    created = async_capture_events(hass, f"{DOMAIN}_app_session_created")
    payments = async_capture_events(hass, f"{DOMAIN}_app_session_payment")
    session = await counterparty_opens_and_pays_us(hass, clearnode)
    await wait_for(hass, lambda: bool(created))

    async with counterparty_client(hass, clearnode) as counterparty:
        await counterparty_pays_us(counterparty, session, 2)
    await wait_for(hass, lambda: bool(payments))

    assert payments[0].data["from"] == COUNTERPARTY
    assert payments[0].data["to"] == WALLET
    assert payments[0].data["amount"] == "1"
    assert hass.states.get(session_entity(session, "my_allocation")).state == "2"
    event_state = hass.states.get("event.wallet_0x2c75_5c23_app_session")
    assert event_state.attributes["event_type"] == "payment"
    assert event_state.attributes["to"] == WALLET


async def test_sessions_are_discovered_at_start_up(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """After a reload, a session opened with the plain action can be paid in and closed."""
    created = await call(
        hass, "create_app_session", counterparty=COUNTERPARTY, asset="usdc", amount="4"
    )
    session_id = created["app_session_id"]
    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    discovered = coordinator_of(loaded_entry).data.sessions[session_id].session
    assert discovered.allocations == tuple(funding("4"))
    assert hass.states.get(session_entity(discovered, "my_allocation")).state == "4"
    await call(hass, "pay_in_session", app_session_id=session_id, amount="1.5")
    closed = await call(hass, "close_app_session", app_session_id=session_id)
    assert closed["status"] == "closed"
    assert clearnode.balance(WALLET, "usdc") == Decimal("98.5")
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("21.5")


async def test_a_state_changed_while_unloaded_leaves_the_allocations_unknown(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The remembered version is stale: only our own share is known; paying is refused."""
    session = await counterparty_opens_and_pays_us(hass, clearnode)
    await wait_for(
        hass,
        lambda: session.app_session_id in coordinator_of(loaded_entry).data.sessions,
    )
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    async with counterparty_client(hass, clearnode) as counterparty:
        await counterparty_pays_us(counterparty, session, 2)

    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    discovered = (
        coordinator_of(loaded_entry).data.sessions[session.app_session_id].session
    )
    assert (discovered.version, discovered.allocations) == (3, None)
    assert hass.states.get(session_entity(session, "my_allocation")).state == "2"
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "pay_in_session", app_session_id=session.app_session_id, amount="1"
        )
    assert err.value.translation_key == "allocations_unknown"
    assert clearnode.allocation(session.app_session_id, WALLET, "usdc") == 2


async def test_allocations_are_stored_while_the_session_is_open(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Each state we see is saved a moment later; a closed session is forgotten."""
    key = f"{DOMAIN}.{loaded_entry.entry_id}.sessions"
    actions = actions_of(loaded_entry)
    session = await open_session(loaded_entry)
    await actions.async_pay_in_session(
        session.app_session_id, Decimal("0.5"), None, None, None
    )
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert hass_storage[key]["data"] == {
        session.app_session_id: {
            "version": 2,
            "allocations": [
                {"participant": WALLET, "asset": "usdc", "amount": "3.5"},
                {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0.5"},
            ],
        }
    }

    await actions.async_close_app_session(session.app_session_id, None, None)
    freezer.tick(timedelta(seconds=SAVE_DELAY_SECONDS))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[key]["data"] == {}

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


async def test_recently_closed_sessions_are_discovered_at_start_up(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Sessions closed within the retention window get devices again after a reload."""
    actions = actions_of(loaded_entry)
    old = await open_session(loaded_entry, nonce=1)
    await actions.async_close_app_session(old.app_session_id, None, None)
    freezer.tick(timedelta(hours=25))
    recent = await open_session(loaded_entry, nonce=2)
    await actions.async_close_app_session(recent.app_session_id, None, None)

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    sessions = coordinator_of(loaded_entry).data.sessions
    assert sessions[recent.app_session_id].session.status == "closed"
    assert old.app_session_id not in sessions
    assert hass.states.get(session_entity(recent, "status")).state == "closed"
    assert hass.states.get(session_entity(old, "status")) is None


async def test_a_session_closed_long_ago_while_unloaded_loses_its_device(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Closed by the counterparty while Home Assistant was away, a day before it came back.

    Nothing would ever update its device again, so the first read removes it.
    """
    session = await counterparty_opens_and_pays_us(hass, clearnode)
    key = session_device_key(loaded_entry, session.app_session_id)
    await wait_for(
        hass, lambda: find_device(hass, loaded_entry.entry_id, key) is not None
    )
    await hass.config_entries.async_unload(loaded_entry.entry_id)

    async with counterparty_client(hass, clearnode) as counterparty:
        await counterparty.close_app_session(session, session.allocations or ())
    freezer.tick(timedelta(hours=25))
    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert session.app_session_id not in coordinator_of(loaded_entry).data.sessions
    assert find_device(hass, loaded_entry.entry_id, key) is None
    assert hass.states.get(session_entity(session, "status")) is None


async def test_user_may_delete_a_closed_session_device_but_not_the_wallet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """async_remove_config_entry_device allows closed app sessions only."""
    session = await open_session(loaded_entry)
    await hass.async_block_till_done()
    coordinator = coordinator_of(loaded_entry)
    wallet = find_device(hass, loaded_entry.entry_id, wallet_device_key(loaded_entry))
    session_device = find_device(
        hass,
        loaded_entry.entry_id,
        session_device_key(loaded_entry, session.app_session_id),
    )
    assert session_device.via_device_id == wallet.id
    await actions_of(loaded_entry).async_close_app_session(
        session.app_session_id, None, None
    )

    assert not await async_remove_config_entry_device(hass, loaded_entry, wallet)
    assert await async_remove_config_entry_device(hass, loaded_entry, session_device)
    assert session.app_session_id not in coordinator.data.sessions


async def test_an_open_sessions_device_cannot_be_deleted(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Its allocations, known only here, stay: the session can still be paid in and closed."""
    session = await open_session(loaded_entry)
    await hass.async_block_till_done()
    device = find_device(
        hass,
        loaded_entry.entry_id,
        session_device_key(loaded_entry, session.app_session_id),
    )

    assert not await async_remove_config_entry_device(hass, loaded_entry, device)

    await hass.config_entries.async_unload(loaded_entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{loaded_entry.entry_id}.sessions"]["data"]
    assert stored[session.app_session_id]["allocations"][0]["amount"] == "4"
    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    closed = await actions_of(loaded_entry).async_close_app_session(
        session.app_session_id, None, None
    )
    assert closed.allocations == tuple(funding("4"))


async def test_session_entities_go_unavailable_with_the_connection(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Session sensors follow the connection like every other entity."""
    session = await open_session(loaded_entry)
    await hass.async_block_till_done()
    await clearnode.stop()
    status = session_entity(session, "status")
    await wait_for(hass, lambda: hass.states.get(status).state == STATE_UNAVAILABLE)
    await clearnode.start()
    await wait_for(hass, lambda: hass.states.get(status).state == "open")


async def test_changes_not_pushed_to_us_are_picked_up_after_reconnecting(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Closing and creating are not pushed to other participants; the resync finds them."""
    created = async_capture_events(hass, f"{DOMAIN}_app_session_created")
    closed = async_capture_events(hass, f"{DOMAIN}_app_session_closed")
    ours = await counterparty_opens_and_pays_us(hass, clearnode)
    await wait_for(hass, lambda: bool(created))
    created.clear()
    coordinator = coordinator_of(loaded_entry)
    async with counterparty_client(hass, clearnode) as counterparty:
        await counterparty.close_app_session(ours, ours.allocations or ())
        new = await counterparty.create_app_session(
            replace(THEIR_DEFINITION, nonce=9),
            [
                Allocation(COUNTERPARTY, "usdc", Decimal(2)),
                Allocation(WALLET, "usdc", Decimal(0)),
            ],
        )
    assert not created
    assert not closed

    await clearnode.restart()
    await wait_for(hass, lambda: bool(created) and bool(closed))
    assert closed[0].data["app_session_id"] == ours.app_session_id
    assert created[0].data["app_session_id"] == new.app_session_id
    assert coordinator.data.sessions[ours.app_session_id].session.status == "closed"
    await hass.async_block_till_done()
    assert hass.states.get(session_entity(ours, "status")).state == "closed"


async def test_asking_for_an_update_re_reads_like_a_reconnect(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """homeassistant.update_entity re-reads through the same path: new sessions are announced."""
    assert await async_setup_component(hass, "homeassistant", {})
    created = async_capture_events(hass, f"{DOMAIN}_app_session_created")
    async with counterparty_client(hass, clearnode) as counterparty:
        theirs = await counterparty.create_app_session(
            THEIR_DEFINITION,
            [
                Allocation(COUNTERPARTY, "usdc", Decimal(2)),
                Allocation(WALLET, "usdc", Decimal(0)),
            ],
        )
    await hass.async_block_till_done()
    assert not created

    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.wallet_0x2c75_5c23_open_app_sessions"},
        blocking=True,
    )
    await hass.async_block_till_done()

    assert [event.data["app_session_id"] for event in created] == [
        theirs.app_session_id
    ]
    assert hass.states.get("sensor.wallet_0x2c75_5c23_open_app_sessions").state == "1"


async def test_payments_still_work_after_a_reconnect(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The resync keeps allocations we know when the session did not move meanwhile."""
    session = await open_session(loaded_entry)
    coordinator = coordinator_of(loaded_entry)
    client = loaded_entry.runtime_data.client
    await clearnode.restart()
    await wait_for(hass, lambda: client.stats["reconnects"] == 1)
    await wait_for(hass, lambda: coordinator.last_update_success)

    paid = await actions_of(loaded_entry).async_pay_in_session(
        session.app_session_id, Decimal(1), "usdc", None, COUNTERPARTY
    )
    assert paid.version == 2
    assert clearnode.allocation(session.app_session_id, COUNTERPARTY, "usdc") == 1


async def test_a_listing_older_than_our_latest_state_does_not_roll_it_back(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A resync read before our own payment landed keeps the newer state we hold."""
    session = await open_session(loaded_entry)
    coordinator = coordinator_of(loaded_entry)
    read_started = time.monotonic()
    paid = await actions_of(loaded_entry).async_pay_in_session(
        session.app_session_id, Decimal(1), "usdc", None, COUNTERPARTY
    )

    stale_listing = replace(paid, version=1, allocations=None)
    coordinator._async_handle_event(Resynced((), (stale_listing,), read_started))

    held = coordinator.data.sessions[session.app_session_id].session
    assert held.version == 2
    assert held.allocations == paid.allocations

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    after_restart = coordinator_of(loaded_entry).data.sessions
    assert after_restart[session.app_session_id].session.allocations == (
        paid.allocations
    )


async def test_a_listing_read_before_we_created_a_session_does_not_close_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A session created while a resync was reading stays open, with no closed event."""
    closed_events = async_capture_events(hass, f"{DOMAIN}_app_session_closed")
    coordinator = coordinator_of(loaded_entry)
    read_started = time.monotonic()
    session = await open_session(loaded_entry)

    coordinator._async_handle_event(Resynced((), (), read_started))

    assert coordinator.data.sessions[session.app_session_id].session.status == "open"
    assert closed_events == []


async def test_a_balance_pushed_while_a_resync_reads_wins_over_its_snapshot(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The resync's read started before the push: the pushed balance stays."""
    balance = "sensor.wallet_0x2c75_5c23_usdc_balance"
    client = loaded_entry.runtime_data.client
    clearnode.faults.delay = 1  # holds the resync's balance read
    reads = clearnode.faults.received["get_ledger_balances"]
    resync = asyncio.ensure_future(client.resync())
    await wait_for(
        hass, lambda: clearnode.faults.received["get_ledger_balances"] > reads
    )

    await clearnode.faults.send_raw(balance_push("123"))
    await wait_for(hass, lambda: hass.states.get(balance).state == "123")
    await resync
    clearnode.faults.delay = 0
    await hass.async_block_till_done()

    assert clearnode.balance(WALLET, "usdc") == Decimal(100)
    assert hass.states.get(balance).state == "123"
    assert coordinator_of(loaded_entry).data.balances["usdc"] == Decimal(123)
