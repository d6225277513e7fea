"""What the fault tests share: timings, signed pushes and the consistency check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import signing
from custom_components.nitrolite.clearnode.v05 import (
    encode_response,
    frame_response,
    keccak256,
)
from local_clearnode import LocalClearNode
from tests.integration.conftest import BROKER_KEY, WALLET
from tests.integration.helpers import coordinator_of, wait_for

KEEPALIVE_INTERVAL = 0.3
REQUEST_TIMEOUT = 0.3
BALANCE = "sensor.wallet_0x2c75_5c23_usdc_balance"
CONNECTIVITY = "binary_sensor.wallet_0x2c75_5c23_connectivity"
STATE_CHANGING = (
    "create_app_session",
    "submit_app_state",
    "close_app_session",
    "transfer",
)


def signed_push(method: str, result: Any, key: str = BROKER_KEY) -> str:
    """Return a push frame as the broker (or the holder of ``key``) would sign it."""
    res = encode_response(0, method, result, 1_700_000_000_000)
    signer = signing.Signer.from_key(key)
    return frame_response(res, [signer.sign_digest(keccak256(res.encode()))])


def balance_push(amount: Decimal | str, key: str = BROKER_KEY) -> str:
    """Return a broker-signed bu push that sets our usdc balance."""
    return signed_push(
        "bu", {"balance_updates": [{"asset": "usdc", "amount": str(amount)}]}, key
    )


def state_differences(entry: MockConfigEntry, node: LocalClearNode) -> list[str]:
    """Where the coordinator's state model disagrees with the server's records."""
    data = coordinator_of(entry).data
    differences = [
        f"balance {asset}: {amount} != {node.balance(WALLET, asset)}"
        for asset, amount in data.balances.items()
        if amount != node.balance(WALLET, asset)
    ]
    for session_id, record in node.app_sessions.items():
        ours = data.session(session_id)
        if ours is None:
            if record.status == "open" and WALLET in record.participants:
                differences.append(f"{session_id}: open on the server, unknown here")
            continue
        # A session closed while we were away is known closed, at its last version.
        if ours.status != record.status or (
            ours.status == "open" and ours.version != record.version
        ):
            differences.append(
                f"{session_id}: {ours.status} v{ours.version} "
                f"!= {record.status} v{record.version}"
            )
        differences.extend(
            f"{session_id}: {a.participant} {a.asset} {a.amount}"
            for a in (ours.allocations or ())
            if ours.status == "open"
            and a.amount != node.allocation(session_id, a.participant, a.asset)
        )
    differences.extend(
        f"{session_id}: unknown to the server"
        for session_id in data.sessions
        if session_id not in node.app_sessions
    )
    return differences


async def assert_converges(
    hass: HomeAssistant, entry: MockConfigEntry, node: LocalClearNode
) -> None:
    """Home Assistant soon believes exactly what the server holds."""
    try:
        await wait_for(hass, lambda: not state_differences(entry, node), seconds=5)
    except AssertionError:
        raise AssertionError(state_differences(entry, node)) from None
