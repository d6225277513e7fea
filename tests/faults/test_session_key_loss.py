"""The ClearNode no longer knows our session key: a silent new login, else a repair."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from decimal import Decimal

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.nitrolite.clearnode import ClearNodeClient
from custom_components.nitrolite.const import DOMAIN
from local_clearnode import LocalClearNode
from tests.integration.conftest import (
    BROKER_KEY,
    COUNTERPARTY,
    FUNDING,
    WALLET,
    WALLET_KEY,
)
from tests.integration.helpers import call, coordinator_of, open_session, wait_for

from .helpers import assert_converges, state_differences


async def log_in_elsewhere(node: LocalClearNode) -> None:
    """Log the same wallet in for the same application (its key replaces ours)."""
    async with aiohttp.ClientSession() as http:
        other = ClearNodeClient(
            http, node.url, WALLET_KEY, application="home-assistant"
        )
        try:
            await other.connect()
        finally:
            await other.close()


@contextlib.asynccontextmanager
async def restarted_without_state(
    node: LocalClearNode,
) -> AsyncIterator[LocalClearNode]:
    """Restart the ClearNode on its port with its broker key but a fresh database."""
    await node.stop()
    async with LocalClearNode(
        host="127.0.0.1",
        port=URL(node.url).port or 0,
        fund=FUNDING,
        broker_key=BROKER_KEY,
    ) as fresh:
        yield fresh


def our_session_key(node: LocalClearNode) -> str:
    """Return the address of the one session key the wallet has on the node."""
    (key,) = node.active_session_keys(WALLET)
    return key


async def test_a_key_replaced_by_another_login_is_renewed_silently(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The payment goes through with a new key; it is applied once, no repair."""
    session_id = await open_session(hass)
    await log_in_elsewhere(clearnode)

    response = await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    assert response is not None
    assert response["version"] == 2
    assert clearnode.faults.received["submit_app_state"] == 2
    assert clearnode.app_sessions[session_id].version == 2
    assert not ir.async_get(hass).issues
    await assert_converges(hass, loaded_entry, clearnode)


async def test_a_key_the_clearnode_lost_is_renewed_silently(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A restart lost the keys: the JWT logs in, the next session gets a new key.

    Nothing of it reaches the user.
    """
    client = loaded_entry.runtime_data.client
    async with restarted_without_state(clearnode) as fresh:
        await wait_for(hass, lambda: client.stats["reconnects"] == 1)
        await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)

        session_id = await open_session(hass)

        assert fresh.app_sessions[session_id].status == "open"
        assert fresh.balance(WALLET, "usdc") == Decimal(96)
        assert not ir.async_get(hass).issues
        await wait_for(hass, lambda: not state_differences(loaded_entry, fresh))


async def test_a_key_expired_under_a_live_jwt_is_renewed_silently(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The transfer goes through with a new key once; no repair."""
    clearnode.expire_session_key(our_session_key(clearnode))

    await call(hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="2")

    assert clearnode.faults.received["transfer"] == 2
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(22)
    assert not ir.async_get(hass).issues
    await assert_converges(hass, loaded_entry, clearnode)


async def test_a_key_refused_again_after_renewal_raises_the_repair(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The new key is refused too: the action fails and the session-key repair rises.

    The ClearNode applied neither attempt.
    """
    clearnode.faults.drop_session_keys = True
    clearnode.expire_session_key(our_session_key(clearnode))

    with pytest.raises(HomeAssistantError) as err:
        await open_session(hass)

    assert err.value.translation_key == "session_key_expired"
    issue_id = f"session_key_not_renewable_{loaded_entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert clearnode.faults.received["create_app_session"] == 2
    assert clearnode.app_sessions == {}
    assert clearnode.balance(WALLET, "usdc") == Decimal(100)
    await assert_converges(hass, loaded_entry, clearnode)
