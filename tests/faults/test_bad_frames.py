"""Frames the integration must not act upon: dropped, counted, connection kept."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import ConnectionState
from local_clearnode import LocalClearNode
from tests.integration.conftest import OTHER_BROKER_KEY
from tests.integration.helpers import wait_for

from .helpers import BALANCE, balance_push, signed_push

OVERSIZED_PADDING = "x" * 2_000_000

BAD_FRAMES = {
    "not JSON": "this is not json {",
    "JSON but not a frame": '{"hello":"world"}',
    "bad broker signature": balance_push("999", key=OTHER_BROKER_KEY),
    "oversized": signed_push(
        "bu",
        {
            "balance_updates": [{"asset": "usdc", "amount": "999"}],
            "padding": OVERSIZED_PADDING,
        },
    ),
}


@pytest.mark.parametrize("frame", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_bad_frames_are_dropped_and_counted(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    frame: str,
) -> None:
    """The frame changes nothing, shows in the stats, and the socket stays up."""
    client = loaded_entry.runtime_data.client
    rejected = client.stats["rejected_frames"]

    await clearnode.faults.send_raw(frame)
    await clearnode.faults.send_raw(balance_push("42"))  # a good frame after it

    await wait_for(hass, lambda: hass.states.get(BALANCE).state == "42")
    assert client.stats["rejected_frames"] == rejected + 1
    assert client.state is ConnectionState.CONNECTED
    assert client.stats["connects"] == 1


async def test_unknown_pushes_are_ignored_and_counted(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A push from a newer server is skipped without alarm; the socket stays up."""
    client = loaded_entry.runtime_data.client

    await clearnode.faults.send_raw(signed_push("future_push", {"anything": 1}))
    await clearnode.faults.send_raw(balance_push("42"))

    await wait_for(hass, lambda: hass.states.get(BALANCE).state == "42")
    assert client.stats["ignored_pushes"] == 1
    assert client.stats["rejected_frames"] == 0
    assert client.stats["connects"] == 1
