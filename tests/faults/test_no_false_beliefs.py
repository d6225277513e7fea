"""Every state-changing action under every fault: done, or reported failed; never a lie.

After each faulted call, Home Assistant's state model must come to agree with the
ClearNode's ledger, and the ClearNode must have seen the request exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from local_clearnode import LocalClearNode
from tests.integration.conftest import COUNTERPARTY, WALLET
from tests.integration.helpers import call, coordinator_of, open_session, wait_for

from .helpers import REQUEST_TIMEOUT, assert_converges

type Action = tuple[str, str, Callable[[str], dict[str, Any]]]

ACTIONS: dict[str, Action] = {
    "create": (
        "create_app_session",
        "create_app_session",
        lambda _: {"counterparty": COUNTERPARTY, "asset": "usdc", "amount": "2"},
    ),
    "submit": (
        "submit_app_state",
        "submit_app_state",
        lambda session_id: {
            "app_session_id": session_id,
            "allocations": [
                {"participant": WALLET, "asset": "usdc", "amount": "3"},
                {"participant": COUNTERPARTY, "asset": "usdc", "amount": "1"},
            ],
        },
    ),
    "pay": (
        "pay_in_session",
        "submit_app_state",
        lambda session_id: {"app_session_id": session_id, "amount": "1"},
    ),
    "close": (
        "close_app_session",
        "close_app_session",
        lambda session_id: {"app_session_id": session_id},
    ),
    "transfer": (
        "transfer",
        "transfer",
        lambda _: {"destination": COUNTERPARTY, "asset": "usdc", "amount": "1"},
    ),
}


type Fault = Callable[[LocalClearNode, str], asyncio.Task[None] | None]


def answer_late(node: LocalClearNode, _method: str) -> None:
    """Answer (and apply) only after the request timeout."""
    node.faults.delay = REQUEST_TIMEOUT * 2


def apply_silently(node: LocalClearNode, method: str) -> None:
    """Apply the request but never answer it."""
    node.faults.silent_methods.add(method)


def drop_on_receipt(node: LocalClearNode, method: str) -> None:
    """Close the socket on receiving the request, before applying it."""
    node.faults.close_on_methods.add(method)


def restart_while_held(node: LocalClearNode, method: str) -> asyncio.Task[None]:
    """Restart the ClearNode while it holds the request (before it answers)."""
    node.faults.delay = REQUEST_TIMEOUT / 2
    target = node.faults.received[method] + 1

    async def restart_on_receipt() -> None:
        async with asyncio.timeout(10):
            while node.faults.received[method] < target:
                await asyncio.sleep(0.005)
        await node.restart()

    return asyncio.ensure_future(restart_on_receipt())


FAULTS: dict[str, Fault] = {
    "late answer": answer_late,
    "no answer": apply_silently,
    "socket dropped": drop_on_receipt,
    "restart": restart_while_held,
}


def heal(node: LocalClearNode) -> None:
    """Switch every fault off."""
    node.faults.delay = 0
    node.faults.silent_methods.clear()
    node.faults.close_on_methods.clear()


async def attempt(hass: HomeAssistant, service: str, data: dict[str, Any]) -> bool:
    """Call the action; True if it completed, False if it reported a failure."""
    try:
        await call(hass, service, **data)
    except HomeAssistantError:
        return False
    return True


@pytest.mark.parametrize("action", ACTIONS.values(), ids=ACTIONS.keys())
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
async def test_a_faulted_action_leaves_no_false_belief(
    hass: HomeAssistant,
    *,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    action: Action,
    fault: Fault,
) -> None:
    """The action completes or fails; either way the state ends up the server's."""
    service, method, data = action
    session_id = await open_session(hass) if service != "create_app_session" else ""
    seen = clearnode.faults.received[method]
    restarting = fault(clearnode, method)

    await attempt(hass, service, data(session_id))
    if restarting is not None:
        await restarting
    heal(clearnode)

    assert clearnode.faults.received[method] == seen + 1
    await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)
    await assert_converges(hass, loaded_entry, clearnode)
