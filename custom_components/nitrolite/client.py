"""The client of an entry: built in one place for setup, removal and the flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .allowances import allowance_amounts
from .clearnode import (
    ClearNodeOptions,
    Dialect,
    Feature,
    NitronodeOptions,
    WalletClient,
    create_client as create_wallet_client,
)
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_FAUCET_URL,
    CONF_NODE_ADDRESS,
    CONF_POLL_INTERVAL,
    CONF_PRIVATE_KEY,
    CONF_REQUEST_TIMEOUT,
    CONF_SESSION_KEY_LIFETIME,
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
)


def request_timeout(options: Mapping[str, Any]) -> float:
    """Return how long to wait for the answer to one request, in seconds."""
    return float(options.get(CONF_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT_SECONDS))


def dialect(data: Mapping[str, Any]) -> Dialect:
    """Return the wire protocol of an entry's node (entries before 1.2 spoke v0.5)."""
    return Dialect(data.get(CONF_DIALECT, Dialect.V05))


def create_client(
    hass: HomeAssistant, data: Mapping[str, Any], options: Mapping[str, Any]
) -> WalletClient:
    """Build the client of an entry's data and options (options win over data).

    It trusts only the node the data names, if it names one.
    """
    client_options: ClearNodeOptions | NitronodeOptions
    if dialect(data) is Dialect.V1:
        client_options = NitronodeOptions(
            node_address=data.get(CONF_NODE_ADDRESS),
            request_timeout=request_timeout(options),
            poll_interval=float(
                options.get(CONF_POLL_INTERVAL, DEFAULT_POLL_INTERVAL_SECONDS)
            ),
            faucet_url=data.get(CONF_FAUCET_URL),
        )
    else:
        client_options = ClearNodeOptions(
            node_address=data.get(CONF_NODE_ADDRESS),
            request_timeout=request_timeout(options),
            application=data[CONF_APPLICATION],
            allowances=allowance_amounts(
                options.get(CONF_ALLOWANCES, data[CONF_ALLOWANCES])
            ),
            session_key_lifetime=data[CONF_SESSION_KEY_LIFETIME] * 3600.0,
        )
    return create_wallet_client(
        async_get_clientsession(hass),
        data[CONF_ENDPOINT],
        data[CONF_PRIVATE_KEY],
        client_options,
    )


def entry_features(hass: HomeAssistant, entry: ConfigEntry) -> frozenset[Feature]:
    """Return what the client of an entry can do, loaded or not.

    A client's features follow from its settings, so it is built but never connected.
    """
    return create_client(hass, entry.data, entry.options).features
