"""The whole user path on both dialects: a real `hass` process on a local node.

A new wallet is added through Home Assistant's HTTP API the way the UI does (a custom
endpoint, a wallet created by Home Assistant, test tokens from the faucet on v1), then
sessions are opened, paid and closed by actions over REST with `return_response` and by
a preset's buttons, and what the user would see is read from `/api/states`. The nodes
run in the test's process, so that the counterparty can act and the node can stop while
Home Assistant keeps running, and the other way round.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from decimal import Decimal
from pathlib import Path
import re
from typing import Any

import aiohttp
import pytest

from custom_components.nitrolite.clearnode import (
    V1_PROTOCOL,
    Allocation,
    AppDefinition,
    NitronodeOptions,
    Signer,
    create_client,
)
from devtools.demo import (
    APPLICATION,
    CLEARNODE_WALLET,
    COUNTERPARTY,
    NITRONODE_WALLET,
    OWNER,
    OWNER_PASSWORD,
    FlowAnswers,
)
from devtools.homeassistant import HomeAssistantError, HomeAssistantProcess, free_port
from local_clearnode import LocalClearNode
from local_nitronode import DEMO_COUNTERPARTY_KEY, DEMO_NODE_KEY, LocalNitronode

pytestmark = [pytest.mark.timeout(420), pytest.mark.usefixtures("socket_enabled")]

STATE_WAIT = 60  # seconds a state may take to follow the node (reconnect backoff)
PRIVATE_KEY = re.compile(r"0x[0-9a-f]{64}")
YUSD = "yusd"
USDC = "usdc"
V1_SETTINGS: FlowAnswers = {
    "nitronode": {"application": APPLICATION, "poll_interval": 1, "caps_window": 24},
    "local_allowances": {YUSD: 5, USDC: 0},
}
V05_SETTINGS: FlowAnswers = {
    "clearnode": {"application": APPLICATION, "session_key_lifetime": 24},
    "allowances": {USDC: 50, "ytest.usd": 0},
}
EntityCheck = Callable[[dict[str, Any]], bool]


@pytest.fixture
async def nitronode() -> AsyncIterator[LocalNitronode]:
    """Run the local Nitronode v1 with its faucet; nobody holds anything."""
    async with LocalNitronode(port=free_port(), node_key=DEMO_NODE_KEY) as node:
        yield node


@pytest.fixture
async def clearnode() -> AsyncIterator[LocalClearNode]:
    """Run the local ClearNode v0.5; nobody holds anything."""
    async with LocalClearNode(port=free_port()) as node:
        yield node


@pytest.fixture
async def hass_process(tmp_path: Path) -> AsyncIterator[HomeAssistantProcess]:
    """Run a real Home Assistant with an owner logged in."""
    process = HomeAssistantProcess(tmp_path / "config", free_port())
    await process.prepare(OWNER, OWNER_PASSWORD)
    async with process:
        await process.login(OWNER, OWNER_PASSWORD)
        yield process


async def wait_for(
    hass: HomeAssistantProcess, entity_id: str, wanted: str | EntityCheck
) -> dict[str, Any]:
    """Poll an entity until it has the wanted state (or passes the check); return it."""
    check = wanted if callable(wanted) else lambda entity: entity["state"] == wanted
    entity = None
    try:
        async with asyncio.timeout(STATE_WAIT):
            while True:
                with contextlib.suppress(HomeAssistantError):  # not added yet
                    entity = await hass.state(entity_id)
                if entity is not None and check(entity):
                    return entity
                await asyncio.sleep(0.5)
    except TimeoutError:
        pytest.fail(f"{entity_id} did not become {wanted}: {entity}")


async def session_entity(hass: HomeAssistantProcess, app_session_id: str) -> str:
    """Return the entity id of an app session's device's status sensor."""
    async with asyncio.timeout(STATE_WAIT):
        while True:
            for entity in await hass.states():
                entity_id = str(entity["entity_id"])
                if (
                    entity_id.startswith("sensor.")
                    and entity["attributes"].get("app_session_id") == app_session_id
                ):
                    return entity_id
            await asyncio.sleep(0.5)


async def add_new_wallet(
    hass: HomeAssistantProcess, endpoint: str
) -> tuple[dict[str, Any], str, str]:
    """Add a wallet on a custom endpoint up to its backed-up key; return the next step.

    Also returns the new wallet's address and key, which the step showed once.
    """
    step = await hass.start_config_flow("nitrolite")
    step = await hass.submit_step(step, {"network": "custom"})
    step = await hass.submit_step(step, {"endpoint": endpoint})
    assert (step["type"], step["step_id"]) == ("menu", "wallet")
    step = await hass.submit_step(step, {"next_step_id": "create_wallet"})
    assert step["step_id"] == "create_wallet"
    address = step["description_placeholders"]["address"]
    key = step["description_placeholders"]["private_key"]
    assert PRIVATE_KEY.fullmatch(key)
    refused = await hass.submit_step(step, {"backed_up": False})
    assert refused["errors"] == {"backed_up": "backup_required"}
    return await hass.submit_step(step, {"backed_up": True}), address, key


async def press(hass: HomeAssistantProcess, button: str) -> None:
    """Press a button entity, as its card on a dashboard does."""
    await hass.request("POST", "/api/services/button/press", {"entity_id": button})


def entity_prefix(address: str) -> str:
    """Return how the wallet device's entity ids start (its name, slugified)."""
    return f"wallet_{address[:6].lower()}_{address[-4:].lower()}"


async def counterparty_opens(
    node: LocalNitronode, wallet: str, amount: str, nonce: int
) -> str:
    """Have the counterparty fund and open a session with the wallet by itself.

    It alone signs in it (weight 100 of quorum 100), as a charger paying back would.
    """
    node.fund(COUNTERPARTY, YUSD, Decimal(amount))
    async with aiohttp.ClientSession() as http:
        client = create_client(
            http, node.url, DEMO_COUNTERPARTY_KEY, NitronodeOptions()
        )
        await client.connect()
        try:
            created = await client.create_app_session(
                AppDefinition(
                    APPLICATION,
                    V1_PROTOCOL,
                    (COUNTERPARTY, wallet),
                    (100, 0),
                    100,
                    0,
                    nonce,
                ),
                [
                    Allocation(COUNTERPARTY, YUSD, Decimal(amount)),
                    Allocation(wallet, YUSD, Decimal(0)),
                ],
            )
        finally:
            await client.close()
    return created.app_session_id


async def test_a_new_wallet_on_a_nitronode_pays_and_is_paid(
    nitronode: LocalNitronode, hass_process: HomeAssistantProcess
) -> None:
    """A v1 wallet created in the flow gets test tokens, pays, is paid and recovers.

    The faucet funds the new wallet; an action opens, pays and closes a session; the
    preset's buttons do the same; a counterparty's payment is seen by polling; a
    transfer made while the node is down, and the counterparty's close made while Home
    Assistant is down, show in the balance and the open sessions once both run again,
    and the preset opens a session after the restart.
    """
    hass = hass_process
    step, address, key = await add_new_wallet(hass, nitronode.url)
    assert step["step_id"] == "faucet"
    step = await hass.submit_step(step, {"request_tokens": True})
    assert step["step_id"] == "faucet_received"
    assert step["description_placeholders"]["amount"] == "10"
    assert step["description_placeholders"]["asset"] == YUSD
    result = await hass.answer_steps(await hass.submit_step(step, {}), V1_SETTINGS)
    assert result["type"] == "create_entry"
    assert result["title"] == address
    assert key[2:] not in str(result)
    entry_id = result["result"]["entry_id"]
    preset = await hass.run_subentry_flow(entry_id, "preset", NITRONODE_WALLET.preset)
    assert preset["title"] == "Demo charger"

    wallet = entity_prefix(address)
    balance = f"sensor.{wallet}_yusd_balance"
    await wait_for(hass, f"binary_sensor.{wallet}_connectivity", "on")
    await wait_for(hass, balance, "10")
    assert nitronode.balance(address, YUSD) == 10

    target = {"config_entry_id": entry_id}
    created = await hass.call_service(
        "nitrolite",
        "create_app_session",
        target | {"counterparty": COUNTERPARTY, "asset": YUSD, "amount": "1"},
    )
    assert (created["status"], created["version"]) == ("open", 2)  # created, funded
    assert nitronode.balance(address, YUSD) == 9
    session_id = created["app_session_id"]
    paid = await hass.call_service(
        "nitrolite",
        "pay_in_session",
        target | {"app_session_id": session_id, "amount": "0.25"},
    )
    assert paid["version"] == 3
    closed = await hass.call_service(
        "nitrolite", "close_app_session", target | {"app_session_id": session_id}
    )
    assert closed["status"] == "closed"
    assert nitronode.balance(address, YUSD) == Decimal("9.75")
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal("0.25")
    await wait_for(hass, balance, "9.75")

    for button, status in (
        ("open_session", "open"),
        ("pay_one_unit", "open"),
        ("close_session", "closed"),
    ):
        await press(hass, f"button.demo_charger_{button}")
        await wait_for(hass, "sensor.demo_charger_session_status", status)
    assert nitronode.balance(address, YUSD) == Decimal("9.5")
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal("0.5")

    charged = await counterparty_opens(nitronode, address, "2", nonce=1)
    charger = await session_entity(hass, charged)
    nitronode.peer_submit(
        charged,
        [
            Allocation(COUNTERPARTY, YUSD, Decimal("1.5")),
            Allocation(address, YUSD, Decimal("0.5")),
        ],
        Signer.from_key(DEMO_COUNTERPARTY_KEY),
    )
    payment = await wait_for(
        hass,
        f"event.{wallet}_app_session",
        lambda event: event["attributes"].get("event_type") == "payment",
    )
    assert payment["attributes"]["app_session_id"] == charged
    assert (payment["attributes"]["to"].lower(), payment["attributes"]["amount"]) == (
        address.lower(),
        "0.5",
    )
    await wait_for(hass, charger, lambda entity: entity["attributes"]["version"] == 3)

    await nitronode.stop()
    await wait_for(hass, f"binary_sensor.{wallet}_connectivity", "off")
    nitronode.fund(address, YUSD, Decimal(1))
    await nitronode.start()
    await wait_for(hass, f"binary_sensor.{wallet}_connectivity", "on")
    await wait_for(hass, balance, "10.5")

    await hass.stop()
    nitronode.close_by_peer(charged, Signer.from_key(DEMO_COUNTERPARTY_KEY))
    await hass.restart(OWNER, OWNER_PASSWORD)
    assert [entry["entry_id"] for entry in await hass.config_entries("nitrolite")] == [
        entry_id
    ]
    await wait_for(hass, balance, "11")
    await wait_for(hass, f"sensor.{wallet}_open_app_sessions", "0")
    await press(hass, "button.demo_charger_open_session")
    await wait_for(hass, "sensor.demo_charger_session_status", "open")
    assert nitronode.balance(address, YUSD) == 9
    assert key[2:] not in str(await hass.states())


async def test_a_new_wallet_on_a_clearnode_pays_and_recovers(
    clearnode: LocalClearNode, hass_process: HomeAssistantProcess
) -> None:
    """A v0.5 wallet created in the flow pays, and its session outlives two restarts.

    The new wallet is funded on the node as an on-chain deposit would (v0.5 has no
    faucet); an action opens, pays and closes a session; the preset's buttons do the
    same; a deposit made while the node is down shows once it is back; a session left
    open across a restart of Home Assistant is still open after it, and closes.
    """
    hass = hass_process
    step, address, key = await add_new_wallet(hass, clearnode.url)
    assert step["step_id"] == "clearnode"
    clearnode.fund(address, USDC, Decimal(100))
    result = await hass.answer_steps(step, V05_SETTINGS)
    assert result["type"] == "create_entry"
    assert result["title"] == address
    assert key[2:] not in str(result)
    entry_id = result["result"]["entry_id"]
    preset = await hass.run_subentry_flow(entry_id, "preset", CLEARNODE_WALLET.preset)
    assert preset["title"] == "Demo parking meter"

    wallet = entity_prefix(address)
    balance = f"sensor.{wallet}_usdc_balance"
    await wait_for(hass, f"binary_sensor.{wallet}_connectivity", "on")
    await wait_for(hass, balance, "100")

    target = {"config_entry_id": entry_id}
    created = await hass.call_service(
        "nitrolite",
        "create_app_session",
        target | {"counterparty": COUNTERPARTY, "asset": USDC, "amount": "10"},
    )
    assert (created["status"], created["version"]) == ("open", 1)
    session_id = created["app_session_id"]
    assert clearnode.balance(address, USDC) == 90
    paid = await hass.call_service(
        "nitrolite",
        "pay_in_session",
        target | {"app_session_id": session_id, "amount": "2.5"},
    )
    assert paid["version"] == 2
    assert {(a["participant"], Decimal(a["amount"])) for a in paid["allocations"]} == {
        (address, Decimal("7.5")),
        (COUNTERPARTY, Decimal("2.5")),
    }
    closed = await hass.call_service(
        "nitrolite", "close_app_session", target | {"app_session_id": session_id}
    )
    assert closed["status"] == "closed"
    assert clearnode.balance(address, USDC) == Decimal("97.5")
    assert clearnode.balance(COUNTERPARTY, USDC) == Decimal("2.5")
    await wait_for(hass, balance, "97.5")

    for button, status in (
        ("open_session", "open"),
        ("pay_one_unit", "open"),
        ("close_session", "closed"),
    ):
        await press(hass, f"button.demo_parking_meter_{button}")
        await wait_for(hass, "sensor.demo_parking_meter_session_status", status)
    await wait_for(hass, "sensor.demo_parking_meter_total_paid", "0.3")
    assert clearnode.balance(address, USDC) == Decimal("97.2")

    await clearnode.stop()
    await wait_for(hass, f"binary_sensor.{wallet}_connectivity", "off")
    await wait_for(hass, balance, "unavailable")
    clearnode.fund(address, USDC, Decimal(1))
    await clearnode.start()
    await wait_for(hass, f"binary_sensor.{wallet}_connectivity", "on")
    await wait_for(hass, balance, "98.2")

    left_open = await hass.call_service(
        "nitrolite",
        "create_app_session",
        target | {"counterparty": COUNTERPARTY, "asset": USDC, "amount": "10"},
    )
    await hass.restart(OWNER, OWNER_PASSWORD)
    session = await session_entity(hass, left_open["app_session_id"])
    await wait_for(hass, session, "open")
    await wait_for(hass, balance, "88.2")
    closed = await hass.call_service(
        "nitrolite",
        "close_app_session",
        target | {"app_session_id": left_open["app_session_id"]},
    )
    assert closed["status"] == "closed"
    await wait_for(hass, balance, "98.2")
    await wait_for(hass, f"sensor.{wallet}_open_app_sessions", "0")
    assert key[2:] not in str(await hass.states())
