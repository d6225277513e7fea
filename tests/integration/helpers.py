"""Helpers shared by the integration tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.core import HomeAssistant


async def wait_for(hass: HomeAssistant, condition: Callable[[], bool]) -> None:
    """Let the event loop run until condition() holds (reconnects use real sockets)."""
    for _ in range(600):
        await hass.async_block_till_done()
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")
