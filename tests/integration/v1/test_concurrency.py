"""Actions that move funds on a v1 entry, called at the same time through Home Assistant.

A v1 change is several requests (channel reads, create, deposit) within one frame
budget: changes of one session still run one after another, each computed from the
state the previous one left, and a burst never trips the node's frame limit (which
would close the socket). The node's ledger is the judge.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.const import DOMAIN
from local_nitronode import LocalNitronode
from tests.integration.test_presets import press

from .conftest import (
    COUNTERPARTY,
    WALLET,
    YUSD,
    coordinator_of,
    open_session,
    v1_entry,
    v1_preset,
)

OPEN = "button.ev_charger_open_session"


@pytest.fixture
def config_entry(nitronode: LocalNitronode) -> MockConfigEntry:
    """Return a v1 entry with an EV-charger preset and caps that fit every test."""
    return v1_entry(
        nitronode,
        {"allowances": {YUSD: "50"}},
        subentries_data=[v1_preset()],
    )


pytestmark = pytest.mark.usefixtures("loaded_entry")


def action(hass: HomeAssistant, service: str, **data: Any) -> Awaitable[Any]:
    """Return the service call of a nitrolite action, not yet awaited."""
    return hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """Run calls at the same time; return each one's response or exception."""
    return await asyncio.gather(*calls, return_exceptions=True)


def raised(results: list[Any]) -> list[BaseException]:
    """Return the exceptions among gathered results."""
    return [result for result in results if isinstance(result, BaseException)]


def split(ours: str, theirs: str) -> list[dict[str, str]]:
    """Return yusd allocations of our wallet and the counterparty."""
    return [
        {"participant": WALLET, "asset": YUSD, "amount": ours},
        {"participant": COUNTERPARTY, "asset": YUSD, "amount": theirs},
    ]


async def test_concurrent_payments_all_count(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Four payments at once: all succeed, in consecutive versions, and all add up."""
    session_id = await open_session(hass, "4")

    results = await together(
        *(
            action(hass, "pay_in_session", app_session_id=session_id, amount="0.5")
            for _ in range(4)
        )
    )

    assert raised(results) == []
    assert sorted(result["version"] for result in results) == [3, 4, 5, 6]
    assert nitronode.allocations(session_id)[COUNTERPARTY.lower(), YUSD] == 2
    assert nitronode.app_session(session_id).version == 6


async def test_concurrent_submits_apply_one_after_another(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Three states submitted at once all apply; the node holds the last one taken."""
    session_id = await open_session(hass, "4")

    results = await together(
        *(
            action(
                hass,
                "submit_app_state",
                app_session_id=session_id,
                allocations=split(str(4 - Decimal(paid)), paid),
            )
            for paid in ("1", "2", "3")
        )
    )

    assert raised(results) == []
    last = max(results, key=lambda result: result["version"])
    assert last["version"] == 5
    assert nitronode.allocations(session_id)[WALLET.lower(), YUSD] == Decimal(
        last["allocations"][0]["amount"]
    )


async def test_the_same_deposit_sent_three_times_at_once_applies_once(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_entry: MockConfigEntry
) -> None:
    """The same deposit asked three times at once moves the balance once.

    The first applies; the others find nothing left to deposit and are refused.
    """
    session_id = await open_session(hass, "1")

    results = await together(
        *(
            action(
                hass,
                "submit_app_state",
                app_session_id=session_id,
                allocations=split("3", "0"),
                intent="deposit",
            )
            for _ in range(3)
        )
    )

    [applied] = [result for result in results if isinstance(result, dict)]
    assert applied["version"] == 3
    assert [type(error) for error in raised(results)] == [ServiceValidationError] * 2
    assert nitronode.balance(WALLET, YUSD) == Decimal(97)
    spending = coordinator_of(loaded_entry).spending
    assert spending is not None
    assert spending.used() == {YUSD: Decimal(3)}


async def test_concurrent_closes_pay_out_once(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Two closes at once: one settles the session, the other is told it is closed."""
    session_id = await open_session(hass, "4")

    results = await together(
        action(hass, "close_app_session", app_session_id=session_id),
        action(hass, "close_app_session", app_session_id=session_id),
    )

    [error] = raised(results)
    assert isinstance(error, ServiceValidationError)
    assert error.translation_key == "app_session_closed"
    assert nitronode.app_session(session_id).status == "closed"
    assert nitronode.balance(WALLET, YUSD) == Decimal(100)


async def test_a_payment_racing_a_close_is_settled_by_it(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """A close sent while a payment is on its way closes with the payment included."""
    session_id = await open_session(hass, "4")

    paid, closed = await together(
        action(hass, "pay_in_session", app_session_id=session_id, amount="1"),
        action(hass, "close_app_session", app_session_id=session_id),
    )

    assert (paid["version"], closed["version"]) == (3, 4)
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal(1)
    assert nitronode.balance(WALLET, YUSD) == Decimal(99)


async def test_concurrent_transfers_all_apply(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Three transfers at once each move their amount exactly once."""
    results = await together(
        *(
            action(hass, "transfer", destination=COUNTERPARTY, asset=YUSD, amount="1")
            for _ in range(3)
        )
    )

    assert raised(results) == []
    assert len({result["transactions"][0]["id"] for result in results}) == 3
    assert nitronode.balance(WALLET, YUSD) == Decimal(97)
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal(3)


async def test_concurrent_creates_open_distinct_funded_sessions(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Creates at once each open and fund their own session."""
    results = await together(*(open_session(hass, "1") for _ in range(3)))

    assert raised(results) == []
    assert len(set(results)) == 3
    assert all(nitronode.app_session(sid).version == 2 for sid in results)
    assert nitronode.balance(WALLET, YUSD) == Decimal(97)


async def test_pressing_open_twice_opens_one_session(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Two presses of the preset's Open button at once: one session, one deposit."""
    results = await together(press(hass, OPEN), press(hass, OPEN))

    assert len(raised(results)) == 1
    assert nitronode.balance(WALLET, YUSD) == Decimal(96)


async def test_a_burst_of_actions_never_trips_the_nodes_frame_limit(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_entry: MockConfigEntry
) -> None:
    """Forty actions at once wait for the frame budget instead of overrunning it.

    The node closes a socket that sends more than 20 frames at once or 10 a second;
    the client keeps within 16 and 8, polls included, so every action succeeds on
    the one connection it started with.
    """
    sessions = await together(*(open_session(hass, "2") for _ in range(4)))

    results = await together(
        *(
            action(hass, "pay_in_session", app_session_id=session_id, amount="0.1")
            for session_id in sessions
            for _ in range(8)
        ),
        *(
            action(hass, "transfer", destination=COUNTERPARTY, asset=YUSD, amount="0.1")
            for _ in range(8)
        ),
    )

    assert raised(sessions + results) == []
    stats = coordinator_of(loaded_entry).client.stats
    assert (stats["connects"], stats["reconnects"]) == (1, 0)
    assert stats["limiter_waits"] > 0  # the budget, not luck, kept it within
    assert all(nitronode.app_session(sid).version == 10 for sid in sessions)
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal("0.8")
