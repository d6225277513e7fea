"""Session entities write their state only when what they show changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppSession,
    ClearNodeClient,
)
from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, WALLET, WALLET_KEY
from .helpers import actions_of, coordinator_of, wait_for
from .test_app_sessions import DEFINITION, open_session, session_entity


def entities_of(session: AppSession) -> list[str]:
    """Entity ids of an app session's sensors."""
    return [session_entity(session, suffix) for suffix in ("status", "my_allocation")]


async def test_a_change_to_one_session_does_not_write_the_others(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    """A payment in one session leaves the other sessions' states untouched."""
    paid_in = await open_session(loaded_entry, nonce=1)
    untouched = await open_session(loaded_entry, nonce=2)
    await hass.async_block_till_done()
    reported = {
        entity_id: hass.states.get(entity_id).last_reported
        for entity_id in entities_of(untouched)
    }
    freezer.tick(timedelta(seconds=1))

    await actions_of(loaded_entry).async_pay_in_session(
        paid_in.app_session_id, Decimal(1), None, None, None
    )
    await hass.async_block_till_done()

    assert hass.states.get(session_entity(paid_in, "my_allocation")).state == "3"
    for entity_id, last_reported in reported.items():
        assert hass.states.get(entity_id).last_reported == last_reported


async def test_session_entities_still_follow_the_connection(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """An unchanged session's entities go unavailable and come back with their values."""
    session = await open_session(loaded_entry)
    await hass.async_block_till_done()
    entity_ids = entities_of(session)

    await clearnode.stop()
    await wait_for(
        hass,
        lambda: all(hass.states.get(e).state == STATE_UNAVAILABLE for e in entity_ids),
    )
    await clearnode.start()
    await wait_for(hass, lambda: hass.states.get(entity_ids[0]).state == "open")

    allocation = hass.states.get(entity_ids[1])
    assert allocation.state == "4"
    assert allocation.attributes["amounts"] == {"usdc": "4"}


async def test_our_share_learnt_after_the_session_appeared_is_shown(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A session opened elsewhere with our wallet shows our share once it is read."""
    elsewhere = ClearNodeClient(
        async_get_clientsession(hass),
        loaded_entry.data["endpoint"],
        WALLET_KEY,
        allowances={"usdc": Decimal(1)},
    )
    await elsewhere.connect()
    try:
        opened = await elsewhere.create_app_session(
            replace(DEFINITION, nonce=7),
            [
                Allocation(WALLET, "usdc", Decimal(1)),
                Allocation(COUNTERPARTY, "usdc", Decimal(0)),
            ],
        )
    finally:
        await elsewhere.close()

    await clearnode.restart()
    sessions = coordinator_of(loaded_entry).data.sessions
    await wait_for(hass, lambda: opened.app_session_id in sessions)
    allocation = session_entity(
        sessions[opened.app_session_id].session, "my_allocation"
    )
    await wait_for(hass, lambda: hass.states.get(allocation).state == "1")
    assert hass.states.get(allocation).attributes["amounts"] == {"usdc": "1"}
