"""Helpers shared by the integration and fault tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.actions import NitroliteActions
from custom_components.nitrolite.const import DOMAIN
from custom_components.nitrolite.coordinator import NitroliteCoordinator

from .conftest import COUNTERPARTY


async def wait_for(
    hass: HomeAssistant, condition: Callable[[], bool], seconds: float = 30
) -> None:
    """Let the event loop run until condition() holds (reconnects use real sockets)."""
    for _ in range(int(seconds / 0.05)):
        await hass.async_block_till_done()
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


def coordinator_of(entry: MockConfigEntry) -> NitroliteCoordinator:
    """Return the entry's coordinator (its connection and state model)."""
    coordinator: NitroliteCoordinator = entry.runtime_data.coordinator
    return coordinator


def actions_of(entry: MockConfigEntry) -> NitroliteActions:
    """Return the entry's actions."""
    actions: NitroliteActions = entry.runtime_data.actions
    return actions


async def call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    """Call a nitrolite action the way a script does, and return its response."""
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert response is not None
    return response


async def open_session(hass: HomeAssistant, amount: str = "4", **data: Any) -> str:
    """Open a two-party session funded by our wallet through the action; return its id."""
    response = await call(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY,
        asset="usdc",
        amount=amount,
        **data,
    )
    return str(response["app_session_id"])


def find_device(hass: HomeAssistant, entry_id: str, key: str) -> dr.DeviceEntry | None:
    """Return the entry's device with identifier (DOMAIN, key), if registered."""
    registry = dr.async_get(hass)
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry_id)
            if (DOMAIN, key) in device.identifiers
        ),
        None,
    )
