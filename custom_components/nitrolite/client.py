"""The ClearNode client of an entry: built in one place for setup, removal and the flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .allowances import allowance_amounts
from .clearnode import ClearNodeClient
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_BROKER_ADDRESS,
    CONF_ENDPOINT,
    CONF_PRIVATE_KEY,
    CONF_REQUEST_TIMEOUT,
    CONF_SESSION_KEY_LIFETIME,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
)


def request_timeout(options: Mapping[str, Any]) -> float:
    """Return how long to wait for the answer to one request, in seconds."""
    return float(options.get(CONF_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT_SECONDS))


def create_client(
    hass: HomeAssistant, data: Mapping[str, Any], options: Mapping[str, Any]
) -> ClearNodeClient:
    """Build the client of an entry's data and options (caps there win over data's).

    It trusts only the broker the data names, if it names one.
    """
    return ClearNodeClient(
        async_get_clientsession(hass),
        data[CONF_ENDPOINT],
        data[CONF_PRIVATE_KEY],
        application=data[CONF_APPLICATION],
        allowances=allowance_amounts(
            options.get(CONF_ALLOWANCES, data[CONF_ALLOWANCES])
        ),
        session_key_lifetime=data[CONF_SESSION_KEY_LIFETIME] * 3600.0,
        request_timeout=request_timeout(options),
        node_address=data.get(CONF_BROKER_ADDRESS),
    )
