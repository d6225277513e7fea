"""Config, reauth, reconfigure and options flows against the local ClearNode."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import (
    ClearNodeAuthenticationError,
    ClearNodeClockSkewError,
)
from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_BROKER_ADDRESS,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_DEFAULT_ASSET,
    CONF_ENDPOINT,
    CONF_PRIVATE_KEY,
    CONF_REQUEST_TIMEOUT,
    CONF_SESSION_KEY_LIFETIME,
    DOMAIN,
)
from local_clearnode import LocalClearNode

from .conftest import (
    BROKER_KEY,
    COUNTERPARTY_KEY,
    SECRETS,
    WALLET,
    WALLET_KEY,
    setup_entry,
)

CONNECT = "custom_components.nitrolite.config_flow.ClearNodeClient.connect"


def user_input(node: LocalClearNode, **changes: Any) -> dict[str, Any]:
    """Return what a user types into the first form."""
    return {
        CONF_ENDPOINT: node.url,
        CONF_PRIVATE_KEY: WALLET_KEY.removeprefix("0x"),
        CONF_APPLICATION: "home-assistant",
        CONF_ALLOWANCES: "usdc: 10, ytest.usd: 5",
        CONF_SESSION_KEY_LIFETIME: 24,
        **changes,
    }


async def start_user_flow(hass: HomeAssistant) -> str:
    """Start user flow."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    return result["flow_id"]


async def test_user_flow_logs_in_and_creates_the_entry(
    hass: HomeAssistant, clearnode: LocalClearNode, caplog: pytest.LogCaptureFixture
) -> None:
    """User flow logs in and creates the entry."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == WALLET
    assert result["data"] == {
        CONF_ENDPOINT: clearnode.url,
        CONF_PRIVATE_KEY: WALLET_KEY,
        CONF_APPLICATION: "home-assistant",
        CONF_ALLOWANCES: {"usdc": "10", "ytest.usd": "5"},
        CONF_SESSION_KEY_LIFETIME: 24,
        CONF_BROKER_ADDRESS: clearnode.broker_address,
    }
    entry = result["result"]
    assert entry.unique_id == f"{WALLET}_{clearnode.broker_address}".lower()
    assert not any(secret in caplog.text for secret in SECRETS)


async def test_user_flow_aborts_for_an_already_configured_wallet(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """User flow aborts for an already configured wallet."""
    config_entry.add_to_hass(hass)
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({CONF_ENDPOINT: "wss://"}, CONF_ENDPOINT, "invalid_endpoint"),
        ({CONF_ENDPOINT: "wss://[::1"}, CONF_ENDPOINT, "invalid_endpoint"),
        ({CONF_ENDPOINT: "https://node.example/ws"}, CONF_ENDPOINT, "invalid_endpoint"),
        ({CONF_ENDPOINT: "ws://node.example/ws"}, CONF_ENDPOINT, "insecure_endpoint"),
        ({CONF_ENDPOINT: "ws://8.8.8.8/ws"}, CONF_ENDPOINT, "insecure_endpoint"),
        ({CONF_PRIVATE_KEY: "0x1234"}, CONF_PRIVATE_KEY, "invalid_private_key"),
        ({CONF_PRIVATE_KEY: "zz" * 32}, CONF_PRIVATE_KEY, "invalid_private_key"),
        ({CONF_ALLOWANCES: "usdc 10"}, CONF_ALLOWANCES, "invalid_allowances"),
        ({CONF_ALLOWANCES: "usdc: -1"}, CONF_ALLOWANCES, "invalid_allowances"),
        ({CONF_ALLOWANCES: "usdc: ten"}, CONF_ALLOWANCES, "invalid_allowances"),
        ({CONF_ALLOWANCES: "usdc: 1, usdc: 2"}, CONF_ALLOWANCES, "invalid_allowances"),
        ({CONF_ALLOWANCES: "usdc: Infinity"}, CONF_ALLOWANCES, "invalid_allowances"),
        ({CONF_ALLOWANCES: "btc: 1"}, CONF_ALLOWANCES, "unsupported_asset"),
    ],
)
async def test_user_flow_rejects_bad_input_then_recovers(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """User flow rejects bad input then recovers."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_accepts_ws_to_private_network_hosts(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """ws:// is fine for localhost and private addresses (the login then fails here)."""
    flow_id = await start_user_flow(hass)
    for endpoint in ("ws://localhost:1/ws", "ws://192.168.1.20:1/ws"):
        with patch(CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
            result = await hass.config_entries.flow.async_configure(
                flow_id, user_input(clearnode, **{CONF_ENDPOINT: endpoint})
            )
        assert result["errors"] == {"base": "invalid_auth"}


async def test_user_flow_reports_an_unreachable_clearnode(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """User flow reports an unreachable clearnode."""
    flow_id = await start_user_flow(hass)
    await clearnode.stop()
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["errors"] == {"base": "cannot_connect"}

    await clearnode.start()
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("exception", "error"),
    [
        (ClearNodeAuthenticationError("invalid signature"), "invalid_auth"),
        (
            ClearNodeClockSkewError("auth_verify", "invalid message timestamp"),
            "clock_skew",
        ),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_user_flow_maps_login_errors(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    exception: Exception,
    error: str,
) -> None:
    """Login refusals the local ClearNode cannot be made to produce are patched in."""
    flow_id = await start_user_flow(hass)
    with patch(CONNECT, side_effect=exception):
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input(clearnode)
        )
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reauth_updates_the_key_and_reloads(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Reauth updates the key and reloads."""
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    with patch(CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PRIVATE_KEY: WALLET_KEY}
        )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: "bad"}
    )
    assert result["errors"] == {CONF_PRIVATE_KEY: "invalid_private_key"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: WALLET_KEY.removeprefix("0x").upper()}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_PRIVATE_KEY] == WALLET_KEY
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reauth_refuses_another_wallet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Reauth refuses another wallet."""
    result = await loaded_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: COUNTERPARTY_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wallet_mismatch"
    assert loaded_entry.data[CONF_PRIVATE_KEY] == WALLET_KEY


async def test_reconfigure_changes_the_endpoint(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Reconfigure changes the endpoint."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENDPOINT: "ws://node.example/ws"}
    )
    assert result["errors"] == {CONF_ENDPOINT: "insecure_endpoint"}

    # The same ClearNode (same broker key) reached at another address.
    async with LocalClearNode(host="127.0.0.1", port=0, broker_key=BROKER_KEY) as moved:
        new_url = moved.url
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_ENDPOINT: new_url, CONF_PRIVATE_KEY: WALLET_KEY}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert loaded_entry.data[CONF_ENDPOINT] == new_url
        await hass.async_block_till_done()
        assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_reports_login_errors_then_recovers(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, clearnode: LocalClearNode
) -> None:
    """Reconfigure reports login errors then recovers."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    with patch(CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_ENDPOINT: clearnode.url}
        )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENDPOINT: clearnode.url}
    )
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_refuses_another_wallet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, clearnode: LocalClearNode
) -> None:
    """Reconfigure refuses another wallet."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_ENDPOINT: clearnode.url, CONF_PRIVATE_KEY: COUNTERPARTY_KEY},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wallet_mismatch"


async def test_options_flow_stores_options_and_reloads(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Options flow stores options and reloads."""
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    assert result["type"] is FlowResultType.FORM

    options = {
        CONF_DEFAULT_ASSET: " USDC ",
        CONF_REQUEST_TIMEOUT: 5,
        CONF_CLOSED_SESSION_RETENTION: 2,
        CONF_ALLOWANCES: "usdc: 1x",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["errors"] == {CONF_ALLOWANCES: "invalid_allowances"}

    options[CONF_ALLOWANCES] = "usdc: 3"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], options
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        CONF_DEFAULT_ASSET: "usdc",
        CONF_REQUEST_TIMEOUT: 5,
        CONF_CLOSED_SESSION_RETENTION: 2,
        CONF_ALLOWANCES: {"usdc": "3"},
    }
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_options_flow_without_default_asset(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Options flow without default asset."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data={
            CONF_ENDPOINT: clearnode.url,
            CONF_PRIVATE_KEY: WALLET_KEY,
            CONF_APPLICATION: "home-assistant",
            CONF_ALLOWANCES: {},
            CONF_SESSION_KEY_LIFETIME: 1,
        },
        options={CONF_DEFAULT_ASSET: "usdc"},
    )
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_REQUEST_TIMEOUT: 10,
            CONF_CLOSED_SESSION_RETENTION: 0,
            CONF_ALLOWANCES: "",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_REQUEST_TIMEOUT: 10,
        CONF_CLOSED_SESSION_RETENTION: 0,
        CONF_ALLOWANCES: {},
    }
