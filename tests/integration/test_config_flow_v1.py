"""Adding a wallet: the network, the wallet, the probe, and a Nitronode v1's settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
import logging
from typing import Any
from unittest.mock import patch

from aiohttp import ClientSession, web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import SelectSelector
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nitrolite.clearnode import ProbeOutcome, ProbeResult, Signer
from custom_components.nitrolite.config_flow import NETWORK_ENDPOINTS
from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_CAPS_WINDOW,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_FAUCET_URL,
    CONF_NODE_ADDRESS,
    CONF_NODE_VERSION,
    CONF_POLL_INTERVAL,
    CONF_PRIVATE_KEY,
    DOMAIN,
)
from custom_components.nitrolite.forms import faucet_url
from local_nitronode import LocalNitronode

from .conftest import COUNTERPARTY, SECRETS, WALLET, WALLET_KEY
from .flow_helpers import (
    configure,
    enter_key,
    node_address,
    older_nitronode,
    reach_wallet_menu,
    start_flow,
    suggested_values,
    v1_entry,
)

PROBE = "custom_components.nitrolite.onboarding.probe"
SETTINGS = {
    CONF_APPLICATION: "home-assistant",
    CONF_POLL_INTERVAL: 5,
    CONF_CAPS_WINDOW: 24,
}
SANDBOX = "wss://nitronode-sandbox.yellow.org/v1/ws"
PRODUCTION = "wss://nitronode.yellow.org/v1/ws"


async def create_wallet(hass: HomeAssistant, endpoint: str) -> dict[str, Any]:
    """Reach the wallet menu and ask for a new wallet; return the form showing it."""
    flow_id = await reach_wallet_menu(hass, endpoint)
    result = await configure(hass, flow_id, {"next_step_id": "create_wallet"})
    assert result["step_id"] == "create_wallet"
    return result


def shown_text(result: dict[str, Any]) -> str:
    """Everything a form shows: its placeholders, errors and pre-filled values."""
    shown = [result.get("description_placeholders"), result.get("errors")]
    if result.get("data_schema") is not None:
        shown.append(suggested_values(result))
    return repr(shown)


@pytest.fixture
async def speaks_nonsense(socket_enabled: None) -> AsyncIterator[str]:
    """Run a WebSocket server that answers everything with plain text."""

    async def nonsense(request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        async for _message in websocket:
            await websocket.send_str("hello")
        return websocket

    app = web.Application()
    app.router.add_get("/ws", nonsense)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"ws://127.0.0.1:{port}/ws"
    await runner.cleanup()


# The network ------------------------------------------------------------------------


async def test_the_first_form_offers_the_sandbox_production_and_another_node(
    hass: HomeAssistant,
) -> None:
    """One choice, the sandbox pre-selected: a new user starts with test tokens."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": "user"}
    )

    schema = result["data_schema"]
    assert schema is not None
    (field,) = schema.schema.values()
    assert isinstance(field, SelectSelector)
    assert field.config["options"] == ["sandbox", "production", "custom"]
    (key,) = schema.schema
    assert key.default() == "sandbox"


@pytest.mark.parametrize(
    ("network", "endpoint"), [("sandbox", SANDBOX), ("production", PRODUCTION)]
)
async def test_each_yellow_network_is_probed_at_its_endpoint(
    hass: HomeAssistant, network: str, endpoint: str
) -> None:
    """The sandbox and production choices ask their own endpoint (not reached here)."""
    flow_id = await start_flow(hass)
    with patch(PROBE, return_value=ProbeResult(ProbeOutcome.UNREACHABLE)) as probe:
        result = await configure(hass, flow_id, {"network": network})

    assert probe.call_args.args[1] == endpoint
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "cannot_connect"}


async def test_the_sandbox_leads_to_a_working_entry(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """With the sandbox's address pointing at a local node, the choice goes through."""
    flow_id = await start_flow(hass)
    with patch.dict(NETWORK_ENDPOINTS, {"sandbox": nitronode.url}):
        result = await configure(hass, flow_id, {"network": "sandbox"})
    assert result["step_id"] == "wallet"
    assert result["description_placeholders"] == {
        "endpoint": nitronode.url,
        "node": "Nitronode v1.4.1",
    }

    await configure(hass, flow_id, {"next_step_id": "wallet_key"})
    await configure(hass, flow_id, {CONF_PRIVATE_KEY: WALLET_KEY})
    await configure(hass, flow_id, SETTINGS)
    result = await configure(hass, flow_id, {"yusd": 10, "usdc": 2})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ENDPOINT] == nitronode.url


@pytest.mark.parametrize(
    ("endpoint", "faucet"),
    [
        (SANDBOX, "https://nitronode-sandbox.yellow.org/v1/faucet-app/requestTokens"),
        (PRODUCTION, None),
        ("wss://node.example.com/v1/ws", None),
        (
            "ws://127.0.0.1:7824/v1/ws",
            "http://127.0.0.1:7824/v1/faucet-app/requestTokens",
        ),
        (
            "ws://192.168.1.5:7824/ws",
            "http://192.168.1.5:7824/v1/faucet-app/requestTokens",
        ),
    ],
)
def test_a_faucet_is_known_on_the_sandbox_and_local_nodes_only(
    endpoint: str, faucet: str | None
) -> None:
    """Production and public nodes hand out nothing; the sandbox and local nodes do."""
    assert faucet_url(endpoint) == faucet


# What answers at the endpoint ---------------------------------------------------------


@pytest.mark.parametrize("version", ["v1.3.0", "v1.4.1"])
async def test_a_nitronode_of_v1_3_or_newer_is_accepted(
    socket_enabled: None, hass: HomeAssistant, version: str
) -> None:
    """The wallet menu names the node's version."""
    async with older_nitronode(version) as node:
        flow_id = await start_flow(hass)
        await configure(hass, flow_id, {"network": "custom"})
        result = await configure(hass, flow_id, {CONF_ENDPOINT: node.url})

    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["wallet_key", "create_wallet"]
    assert result["description_placeholders"]["node"] == f"Nitronode {version}"


async def test_an_older_nitronode_is_refused_naming_its_version(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """A v1.2 node is refused before any key is asked, with its version in the text."""
    async with older_nitronode("v1.2.0") as node:
        flow_id = await start_flow(hass)
        await configure(hass, flow_id, {"network": "custom"})
        result = await configure(hass, flow_id, {CONF_ENDPOINT: node.url})

    assert result["step_id"] == "custom"
    assert result["errors"] == {"base": "unsupported_node_version"}
    assert result["description_placeholders"] == {"node_version": "v1.2.0"}


async def test_an_endpoint_that_speaks_neither_protocol_is_refused(
    hass: HomeAssistant, speaks_nonsense: str
) -> None:
    """The error names what the endpoint sent instead."""
    flow_id = await start_flow(hass)
    await configure(hass, flow_id, {"network": "custom"})
    result = await configure(hass, flow_id, {CONF_ENDPOINT: speaks_nonsense})

    assert result["errors"] == {"base": "unrecognised_endpoint"}
    assert "not JSON: 'hello'" in result["description_placeholders"]["detail"]


async def test_an_unreachable_nitronode_is_reported_then_passes(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Nothing listening is a form-wide error; the same URL passes once it listens."""
    flow_id = await start_flow(hass)
    await configure(hass, flow_id, {"network": "custom"})
    await nitronode.stop()
    result = await configure(hass, flow_id, {CONF_ENDPOINT: nitronode.url})
    assert result["errors"] == {"base": "cannot_connect"}

    await nitronode.start()
    result = await configure(hass, flow_id, {CONF_ENDPOINT: nitronode.url})
    assert result["step_id"] == "wallet"


# A wallet key on a Nitronode -----------------------------------------------------------


async def test_a_funded_wallet_goes_straight_to_the_settings_and_caps(
    hass: HomeAssistant, nitronode: LocalNitronode, caplog: pytest.LogCaptureFixture
) -> None:
    """No faucet step with a balance; the entry keeps dialect, node and version."""
    caplog.set_level(logging.DEBUG)
    result = await enter_key(hass, nitronode.url)
    assert result["step_id"] == "nitronode"
    assert suggested_values(result) == {}
    flow_id = result["flow_id"]

    result = await configure(
        hass, flow_id, {**SETTINGS, CONF_POLL_INTERVAL: 2, CONF_CAPS_WINDOW: 12}
    )
    assert result["step_id"] == "local_allowances"
    assert suggested_values(result) == {"yusd": 10.0, "usdc": 2.0}
    assert result["description_placeholders"] == {
        "balances": "- yusd: 100\n- usdc: 30",
        "window": "12",
    }

    result = await configure(hass, flow_id, {"yusd": 7.5, "usdc": 0})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == WALLET
    assert result["data"] == {
        CONF_DIALECT: "v1",
        CONF_ENDPOINT: nitronode.url,
        CONF_PRIVATE_KEY: WALLET_KEY,
        CONF_NODE_ADDRESS: node_address(nitronode),
        CONF_NODE_VERSION: "v1.4.1",
        CONF_FAUCET_URL: nitronode.faucet_url,
        CONF_APPLICATION: "home-assistant",
        CONF_ALLOWANCES: {"yusd": "7.5", "usdc": "0"},
    }
    assert result["options"] == {CONF_POLL_INTERVAL: 2, CONF_CAPS_WINDOW: 12}
    entry = result["result"]
    assert entry.unique_id == f"{WALLET}_{nitronode.node_address}".lower()
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert not any(secret in caplog.text for secret in SECRETS)


async def test_the_same_wallet_on_the_same_nitronode_cannot_be_added_twice(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """The flow ends as soon as the wallet is known there."""
    v1_entry(nitronode).add_to_hass(hass)

    result = await enter_key(hass, nitronode.url)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("application", "error"),
    [
        ("Home Assistant", "invalid_application_id"),
        ("x" * 67, "invalid_application_id"),
        ("home.assistant", "invalid_application_id"),
        ("clearnode", "root_application"),
        (" ", "invalid_application"),
    ],
)
async def test_the_application_id_follows_the_nodes_pattern(
    hass: HomeAssistant, nitronode: LocalNitronode, application: str, error: str
) -> None:
    """Only 1 to 66 of a-z, 0-9, _ and -; and not the ClearNode's own name."""
    result = await enter_key(hass, nitronode.url)
    result = await configure(
        hass, result["flow_id"], {**SETTINGS, CONF_APPLICATION: application}
    )
    assert result["errors"] == {CONF_APPLICATION: error}

    result = await configure(
        hass, result["flow_id"], {**SETTINGS, CONF_APPLICATION: "my_app-2"}
    )
    assert result["step_id"] == "local_allowances"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_POLL_INTERVAL, 0),
        (CONF_POLL_INTERVAL, 301),
        (CONF_CAPS_WINDOW, 0),
        (CONF_CAPS_WINDOW, 721),
    ],
)
async def test_polling_and_window_are_bounded(
    hass: HomeAssistant, nitronode: LocalNitronode, field: str, value: int
) -> None:
    """Polling takes 1 to 300 s, the caps' window 1 to 720 h; nothing else passes."""
    result = await enter_key(hass, nitronode.url)
    with pytest.raises(InvalidData):
        await configure(hass, result["flow_id"], {**SETTINGS, field: value})

    result = await configure(
        hass,
        result["flow_id"],
        {**SETTINGS, CONF_POLL_INTERVAL: 300, CONF_CAPS_WINDOW: 720},
    )
    assert result["step_id"] == "local_allowances"


async def test_a_bad_local_cap_is_refused_next_to_it(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """As for server caps: a negative or too precise amount is the field's error."""
    result = await enter_key(hass, nitronode.url)
    result = await configure(hass, result["flow_id"], SETTINGS)
    result = await configure(hass, result["flow_id"], {"yusd": -1, "usdc": 1e-37})

    assert result["errors"] == {"yusd": "invalid_amount"}
    assert not hass.config_entries.async_entries(DOMAIN)


# A new wallet, and the faucet ------------------------------------------------------------


async def test_a_created_wallet_is_shown_once_funded_by_the_faucet_and_works(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    empty_nitronode: LocalNitronode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The new key is shown with its address until backed up, never again.

    Neither the logs nor the diagnostics show it.

    The wallet holds nothing, so the faucet is offered; the entry then reads the
    tokens with the stored key.
    """
    caplog.set_level(logging.DEBUG)
    result = await create_wallet(hass, empty_nitronode.url)
    flow_id = result["flow_id"]
    shown = result["description_placeholders"]
    key, address = shown["private_key"], shown["address"]
    assert Signer.from_key(key).address == address

    result = await configure(hass, flow_id, {"backed_up": False})
    assert result["errors"] == {"backed_up": "backup_required"}
    assert result["description_placeholders"]["private_key"] == key

    later = [await configure(hass, flow_id, {"backed_up": True})]
    assert later[0]["step_id"] == "faucet"
    assert later[0]["description_placeholders"] == {"address": address}
    later.append(await configure(hass, flow_id, {"request_tokens": True}))
    assert later[1]["step_id"] == "faucet_received"
    assert later[1]["description_placeholders"] == {
        "amount": "10",
        "asset": "yusd",
        "balances": "- yusd: 10\n- usdc: 0",
    }
    later.append(await configure(hass, flow_id, {}))
    assert later[2]["step_id"] == "nitronode"
    later.append(await configure(hass, flow_id, SETTINGS))
    assert suggested_values(later[3]) == {"yusd": 1.0, "usdc": 1.0}
    later.append(await configure(hass, flow_id, {"yusd": 1, "usdc": 1}))
    assert not any(key[2:] in shown_text(result) for result in later[:-1])

    entry = later[-1]["result"]
    assert entry.title == address
    assert entry.data[CONF_PRIVATE_KEY] == key
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.balances["yusd"] == Decimal(10)
    assert key[2:] not in caplog.text
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert key[2:] not in repr(diagnostics)
    assert empty_nitronode.balance(address, "yusd") == Decimal(10)


async def test_two_created_wallets_differ(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> None:
    """Each flow creates its own wallet."""
    first = await create_wallet(hass, empty_nitronode.url)
    second = await create_wallet(hass, empty_nitronode.url)

    assert (
        first["description_placeholders"]["address"]
        != second["description_placeholders"]["address"]
    )


async def test_a_created_wallet_works_on_a_clearnode_too(
    hass: HomeAssistant, clearnode: Any
) -> None:
    """A ClearNode v0.5 logs the new wallet in; it has no faucet, so caps come next."""
    result = await create_wallet(hass, clearnode.url)
    result = await configure(hass, result["flow_id"], {"backed_up": True})
    assert result["step_id"] == "clearnode"
    result = await configure(
        hass,
        result["flow_id"],
        {CONF_APPLICATION: "home-assistant", "session_key_lifetime": 24},
    )
    assert result["step_id"] == "allowances"
    assert result["description_placeholders"] == {
        "balances": "- usdc: 0\n- ytest.usd: 0"
    }


async def test_no_faucet_is_offered_where_none_is_known(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> None:
    """An empty wallet on a node without a known faucet (production) goes on."""
    with patch("custom_components.nitrolite.config_flow.faucet_url", return_value=None):
        result = await enter_key(hass, empty_nitronode.url)

    assert result["step_id"] == "nitronode"


async def test_the_faucet_can_be_skipped(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> None:
    """Unticking goes on to the settings; nothing is requested."""
    result = await enter_key(hass, empty_nitronode.url)
    assert result["step_id"] == "faucet"

    result = await configure(hass, result["flow_id"], {"request_tokens": False})

    assert result["step_id"] == "nitronode"
    assert empty_nitronode.balance(WALLET, "yusd") == Decimal(0)


async def test_the_faucets_daily_limit_is_shown_and_the_flow_goes_on(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> None:
    """Another request for the wallet took today's tokens: the refusal is translated."""
    result = await enter_key(hass, empty_nitronode.url)
    assert result["step_id"] == "faucet"
    async with ClientSession() as http:
        await http.post(empty_nitronode.faucet_url, json={"userAddress": WALLET})

    result = await configure(hass, result["flow_id"], {"request_tokens": True})
    assert result["step_id"] == "faucet"
    assert result["errors"] == {"base": "faucet_limit"}

    result = await configure(hass, result["flow_id"], {"request_tokens": False})
    assert result["step_id"] == "nitronode"


async def test_an_unreachable_faucet_is_reported(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> None:
    """A faucet that cannot be reached names why; the flow stays at the faucet step."""
    result = await enter_key(hass, empty_nitronode.url)
    await empty_nitronode.stop()

    result = await configure(hass, result["flow_id"], {"request_tokens": True})

    assert result["errors"] == {"base": "faucet_unreachable"}
    assert "cannot connect to the faucet" in result["description_placeholders"]["error"]


async def test_a_new_user_gets_from_adding_the_integration_to_an_open_session(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> None:
    """A created wallet, the faucet's tokens, every suggestion kept, a preset, Open.

    Nothing but Home Assistant is used, and the session holds the preset's deposit.
    """
    result = await create_wallet(hass, empty_nitronode.url)
    address = result["description_placeholders"]["address"]
    flow_id = result["flow_id"]
    await configure(hass, flow_id, {"backed_up": True})
    await configure(hass, flow_id, {"request_tokens": True})
    await configure(hass, flow_id, {})
    result = await configure(hass, flow_id, {})
    result = await configure(hass, flow_id, suggested_values(result))
    entry = result["result"]
    await hass.async_block_till_done()

    result = dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, "preset"), context={"source": "user"}
        )
    )
    await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Charger",
            "counterparty": COUNTERPARTY,
            "asset": "yusd",
            "deposit": 1,
            "unit_price": 0.1,
            "advanced": {},
        },
    )
    await hass.async_block_till_done()
    (open_button,) = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.unique_id.endswith("_open_session")
    ]
    await hass.services.async_call(
        "button", "press", {"entity_id": open_button}, blocking=True
    )

    assert empty_nitronode.balance(address, "yusd") == Decimal(9)
    (session,) = entry.runtime_data.coordinator.data.sessions.values()
    assert session.session.status == "open"
