"""Helpers shared by the integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from custom_components.nitrolite.const import DOMAIN


async def wait_for(hass: HomeAssistant, condition: Callable[[], bool]) -> None:
    """Let the event loop run until condition() holds (reconnects use real sockets)."""
    for _ in range(600):
        await hass.async_block_till_done()
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


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
