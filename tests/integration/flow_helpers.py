"""Driving the config flow step by step, and local nodes of either dialect for it."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import to_checksum_address
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
from local_nitronode import LocalNitronode, NodeConfig

from .conftest import WALLET, WALLET_KEY


def older_nitronode(version: str) -> LocalNitronode:
    """Return a Nitronode that presents another version."""
    return LocalNitronode(config=NodeConfig(node_version=version))


def node_address(node: LocalNitronode) -> str:
    """Return the node's address as entries store it (EIP-55)."""
    return to_checksum_address(node.node_address)


def v1_entry_data(node: LocalNitronode, **changes: Any) -> dict[str, Any]:
    """Entry data of WALLET on the node, as the config flow stores it."""
    return {
        CONF_DIALECT: "v1",
        CONF_ENDPOINT: node.url,
        CONF_PRIVATE_KEY: WALLET_KEY,
        CONF_NODE_ADDRESS: node_address(node),
        CONF_NODE_VERSION: node.config.node_version,
        CONF_FAUCET_URL: node.faucet_url,
        CONF_APPLICATION: "home-assistant",
        CONF_ALLOWANCES: {"yusd": "50", "usdc": "2"},
        **changes,
    }


def v1_entry(
    node: LocalNitronode,
    options: dict[str, Any] | None = None,
    *,
    data: dict[str, Any] | None = None,
    **entry: Any,
) -> MockConfigEntry:
    """Return an entry of WALLET on the node, as the config flow makes it.

    ``data`` and ``options`` change what the flow stored; other keywords the entry.
    """
    made: dict[str, Any] = {
        "domain": DOMAIN,
        "title": WALLET,
        "unique_id": f"{WALLET}_{node.node_address}".lower(),
        "data": v1_entry_data(node, **(data or {})),
        "options": {CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24, **(options or {})},
        "minor_version": 2,
    }
    return MockConfigEntry(**(made | entry))


async def start_flow(hass: HomeAssistant) -> str:
    """Open the first form (the network); return the flow's id."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result["flow_id"]


async def configure(
    hass: HomeAssistant, flow_id: str, user_input: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Submit one form of the flow; return its answer."""
    return dict(await hass.config_entries.flow.async_configure(flow_id, user_input))


async def reach_wallet_menu(hass: HomeAssistant, endpoint: str) -> str:
    """Choose a custom endpoint and pass it; return the flow at the wallet menu."""
    flow_id = await start_flow(hass)
    result = await configure(hass, flow_id, {"network": "custom"})
    assert result["step_id"] == "custom"
    result = await configure(hass, flow_id, {CONF_ENDPOINT: endpoint})
    assert result["type"] is FlowResultType.MENU, result
    assert result["step_id"] == "wallet"
    return flow_id


async def enter_key(
    hass: HomeAssistant, endpoint: str, key: str = WALLET_KEY
) -> dict[str, Any]:
    """Reach the wallet menu, use a wallet key; return the answer to the key."""
    flow_id = await reach_wallet_menu(hass, endpoint)
    result = await configure(hass, flow_id, {"next_step_id": "wallet_key"})
    assert result["step_id"] == "wallet_key"
    return await configure(hass, flow_id, {CONF_PRIVATE_KEY: key})


def suggested_values(result: dict[str, Any]) -> dict[str, Any]:
    """Return what a form shows pre-filled, by field name (what the UI submits)."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description
    }
