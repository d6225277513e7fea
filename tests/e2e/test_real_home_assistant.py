"""The main job, as a user meets it: a real `hass` process on the local ClearNode.

The config entry is created through Home Assistant's HTTP API the way the UI does, services
are called over REST with `return_response`, and what the user would see is read from
`/api/states`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from devtools.demo import CLEARNODE_FUNDS, CLEARNODE_WALLET, OWNER, OWNER_PASSWORD
from devtools.homeassistant import HomeAssistantProcess, free_port
from local_clearnode import LocalClearNode
from local_clearnode.constants import (
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
)

pytestmark = [pytest.mark.timeout(420), pytest.mark.usefixtures("socket_enabled")]

STATE_WAIT = 60  # seconds a state may take to follow the ClearNode (reconnect backoff)


@pytest.fixture
async def clearnode() -> AsyncIterator[LocalClearNode]:
    """Run the local ClearNode with the demo wallet and counterparty funded."""
    async with LocalClearNode(port=free_port(), fund=CLEARNODE_FUNDS) as node:
        yield node


@pytest.fixture
async def hass_process(tmp_path: Path) -> AsyncIterator[HomeAssistantProcess]:
    """Run a real Home Assistant with an owner logged in."""
    process = HomeAssistantProcess(tmp_path / "config", free_port())
    await process.prepare(OWNER, OWNER_PASSWORD)
    async with process:
        await process.login(OWNER, OWNER_PASSWORD)
        yield process


async def wait_for_state(
    hass: HomeAssistantProcess, find: Callable[[list[dict[str, Any]]], Any], wanted: str
) -> dict[str, Any]:
    """Poll the states until the entity `find` picks has the wanted state."""
    async with asyncio.timeout(STATE_WAIT):
        while True:
            entity = find(await hass.states())
            if entity is not None and entity["state"] == wanted:
                return entity
            await asyncio.sleep(0.5)


def connectivity(states: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Pick the wallet's connectivity binary sensor."""
    return next(
        (
            s
            for s in states
            if s["entity_id"].startswith("binary_sensor.")
            and s["attributes"].get("device_class") == "connectivity"
        ),
        None,
    )


def usdc_balance(states: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Pick the wallet's usdc balance sensor."""
    return next(
        (s for s in states if s["entity_id"].endswith("usdc_balance")),
        None,
    )


async def test_user_opens_pays_and_closes_a_session(
    clearnode: LocalClearNode, hass_process: HomeAssistantProcess
) -> None:
    """Configure from the UI's API, open, pay, close, then survive a ClearNode outage."""
    result = await hass_process.run_config_flow(
        "nitrolite", CLEARNODE_WALLET.flow_answers(clearnode.url)
    )
    assert result["type"] == "create_entry"
    assert result["title"].lower().startswith(DEMO_WALLET_ADDRESS.lower()[:6])
    assert DEMO_WALLET_KEY[2:] not in str(result)
    preset = await hass_process.run_subentry_flow(
        result["result"]["entry_id"], "preset", CLEARNODE_WALLET.preset
    )
    assert preset["type"] == "create_entry"
    assert preset["title"] == "Demo parking meter"

    await wait_for_state(hass_process, connectivity, "on")
    await wait_for_state(hass_process, usdc_balance, "1000")

    created = await hass_process.call_service(
        "nitrolite",
        "create_app_session",
        {"counterparty": DEMO_COUNTERPARTY_ADDRESS, "asset": "usdc", "amount": "10"},
    )
    session_id = created["app_session_id"]
    assert created["status"] == "open"
    assert created["version"] == 1
    assert session_id in clearnode.app_sessions
    assert clearnode.balance(DEMO_WALLET_ADDRESS, "usdc") == Decimal(990)

    paid = await hass_process.call_service(
        "nitrolite", "pay_in_session", {"app_session_id": session_id, "amount": "2.5"}
    )
    assert paid["version"] == 2
    assert {(a["participant"], Decimal(a["amount"])) for a in paid["allocations"]} == {
        (DEMO_WALLET_ADDRESS, Decimal("7.5")),
        (DEMO_COUNTERPARTY_ADDRESS, Decimal("2.5")),
    }

    closed = await hass_process.call_service(
        "nitrolite", "close_app_session", {"app_session_id": session_id}
    )
    assert closed["status"] == "closed"
    assert clearnode.balance(DEMO_WALLET_ADDRESS, "usdc") == Decimal("997.5")
    assert clearnode.balance(DEMO_COUNTERPARTY_ADDRESS, "usdc") == Decimal("102.5")
    await wait_for_state(hass_process, usdc_balance, "997.5")

    await clearnode.stop()
    await wait_for_state(hass_process, connectivity, "off")
    await wait_for_state(hass_process, usdc_balance, "unavailable")

    await clearnode.start()
    await wait_for_state(hass_process, connectivity, "on")
    await wait_for_state(hass_process, usdc_balance, "997.5")
