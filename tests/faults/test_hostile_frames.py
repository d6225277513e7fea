"""Hostile frames: refused cheaply and counted, logged sparingly; the reader goes on."""

from __future__ import annotations

import json
import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import ConnectionState, signing
from custom_components.nitrolite.clearnode.v05 import (
    encode_response,
    frame_response,
    keccak256,
)
from local_clearnode import LocalClearNode
from tests.integration.conftest import BROKER_KEY, OTHER_BROKER_KEY
from tests.integration.helpers import wait_for

from .helpers import BALANCE, balance_push, signed_push

SIGNATURE_FLOOD = 5_000
GARBAGE_FLOOD = 200


def nested(depth: int) -> str:
    """Return a JSON array nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


def push_signed_among_thousands(amount: str) -> str:
    """Return a broker-signed bu push whose genuine signature follows thousands."""
    res = encode_response(
        0, "bu", {"balance_updates": [{"asset": "usdc", "amount": amount}]}, 1
    )
    digest = keccak256(res.encode())
    forged = signing.Signer.from_key(OTHER_BROKER_KEY).sign_digest(digest)
    genuine = signing.Signer.from_key(BROKER_KEY).sign_digest(digest)
    return frame_response(res, [forged] * SIGNATURE_FLOOD + [genuine])


HOSTILE_FRAMES = {
    "thousands of signatures": push_signed_among_thousands("999"),
    "nested beyond Python's recursion limit": (
        '{"res":[0,"bu",' + nested(100_000) + ',1],"sig":[]}'
    ),
    "broker-signed but nested too deep": signed_push(
        "bu",
        {
            "balance_updates": [{"asset": "usdc", "amount": "999"}],
            "padding": json.loads(nested(64)),
        },
    ),
    "an integer of 5000 digits": '{"res":[0,"bu",' + "9" * 5000 + ',1],"sig":[]}',
    "a broker-signed amount of 1e999999999": balance_push("1e999999999"),
}


@pytest.mark.parametrize("frame", HOSTILE_FRAMES.values(), ids=HOSTILE_FRAMES.keys())
async def test_hostile_frames_are_refused_and_the_reader_goes_on(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    frame: str,
) -> None:
    """The frame changes nothing and is counted; the same socket reads the next one."""
    client = loaded_entry.runtime_data.client
    rejected = client.stats["rejected_frames"]

    await clearnode.faults.send_raw(frame)
    await clearnode.faults.send_raw(balance_push("42"))

    await wait_for(hass, lambda: hass.states.get(BALANCE).state == "42")
    assert client.stats["rejected_frames"] == rejected + 1
    assert client.state is ConnectionState.CONNECTED
    assert client.stats["connects"] == 1


async def test_a_flood_of_bad_frames_logs_one_warning(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hundreds of rejected frames within a minute: one warning, every one counted."""
    client = loaded_entry.runtime_data.client
    rejected = client.stats["rejected_frames"]

    for number in range(GARBAGE_FLOOD):
        await clearnode.faults.send_raw(f"garbage {number}")
    await clearnode.faults.send_raw(balance_push("42"))

    await wait_for(hass, lambda: hass.states.get(BALANCE).state == "42")
    assert client.stats["rejected_frames"] == rejected + GARBAGE_FLOOD
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING
        and "Rejected a ClearNode frame" in record.getMessage()
    ]
    assert len(warnings) == 1
