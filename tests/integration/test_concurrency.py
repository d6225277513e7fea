"""Actions that move funds, called at the same time through Home Assistant.

Every call goes through a service call to the local ClearNode; the server's ledger is
the judge. State changes of one session run one after another, each computed from the
state the previous one left, so concurrent calls neither fail spuriously nor undo each
other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.const import DOMAIN
from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, WALLET, wallet_entry
from .test_presets import OPEN, preset_subentry, press, state

PROTOCOLS = ("NitroRPC/0.2", "NitroRPC/0.4")


@pytest.fixture
def config_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """Return an entry for WALLET with two presets of 4 usdc, 0.5 per unit."""
    parking = preset_subentry(name="Parking")
    parking.update(
        subentry_id="01JPRESETPARKING0000000000", title="Parking", unique_id="parking"
    )
    return wallet_entry(clearnode, subentries_data=[preset_subentry(), parking])


pytestmark = pytest.mark.usefixtures("loaded_entry")


def action(hass: HomeAssistant, service: str, **data: Any) -> Awaitable[Any]:
    """Return the service call of a nitrolite action, not yet awaited."""
    return hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """Run calls at the same time; return each one's response or exception."""
    return await asyncio.gather(*calls, return_exceptions=True)


async def open_session(
    hass: HomeAssistant, protocol: str = "NitroRPC/0.4", amount: str = "4"
) -> str:
    """Open a session funded by our wallet; return its id."""
    response = await action(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY,
        asset="usdc",
        amount=amount,
        protocol=protocol,
    )
    return str(response["app_session_id"])


def raised(results: list[Any]) -> list[BaseException]:
    """Return the exceptions among gathered results."""
    return [result for result in results if isinstance(result, BaseException)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_concurrent_payments_all_count(
    hass: HomeAssistant, clearnode: LocalClearNode, protocol: str
) -> None:
    """Four payments at once: all succeed, in consecutive versions, and all add up."""
    session_id = await open_session(hass, protocol)

    results = await together(
        *(
            action(hass, "pay_in_session", app_session_id=session_id, amount="0.5")
            for _ in range(4)
        )
    )

    assert raised(results) == []
    assert sorted(result["version"] for result in results) == [2, 3, 4, 5]
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(2)
    assert clearnode.allocation(session_id, WALLET, "usdc") == Decimal(2)
    assert clearnode.app_sessions[session_id].version == 5


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_concurrent_submits_apply_one_after_another(
    hass: HomeAssistant, clearnode: LocalClearNode, protocol: str
) -> None:
    """Three states submitted at once all apply; the server holds the last one."""
    session_id = await open_session(hass, protocol)

    def split(paid: str) -> list[dict[str, str]]:
        return [
            {"participant": WALLET, "asset": "usdc", "amount": str(4 - Decimal(paid))},
            {"participant": COUNTERPARTY, "asset": "usdc", "amount": paid},
        ]

    results = await together(
        *(
            action(
                hass,
                "submit_app_state",
                app_session_id=session_id,
                allocations=split(paid),
            )
            for paid in ("1", "2", "3")
        )
    )

    assert raised(results) == []
    assert sorted(result["version"] for result in results) == [2, 3, 4]
    last = max(results, key=lambda result: result["version"])
    paid = next(a for a in last["allocations"] if a["participant"] == COUNTERPARTY)
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal(
        paid["amount"]
    )


async def test_concurrent_closes_pay_out_once(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Two closes at once: one settles the session, the other is told it is closed."""
    session_id = await open_session(hass)

    results = await together(
        action(hass, "close_app_session", app_session_id=session_id),
        action(hass, "close_app_session", app_session_id=session_id),
    )

    [error] = raised(results)
    assert isinstance(error, ServiceValidationError)
    assert error.translation_key == "app_session_closed"
    assert clearnode.app_sessions[session_id].status == "closed"
    assert clearnode.balance(WALLET, "usdc") == Decimal(100)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_payment_racing_a_close_is_settled_by_it(
    hass: HomeAssistant, clearnode: LocalClearNode, protocol: str
) -> None:
    """A close sent while a payment is on its way closes with the payment included."""
    session_id = await open_session(hass, protocol)

    paid, closed = await together(
        action(hass, "pay_in_session", app_session_id=session_id, amount="1"),
        action(hass, "close_app_session", app_session_id=session_id),
    )

    assert paid["version"] == 2
    assert closed["version"] == 3
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(21)
    assert clearnode.balance(WALLET, "usdc") == Decimal(99)


async def test_concurrent_transfers_all_apply(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Three transfers at once each move their amount exactly once."""
    results = await together(
        *(
            action(hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="1")
            for _ in range(3)
        )
    )

    assert raised(results) == []
    assert len({result["transactions"][0]["id"] for result in results}) == 3
    assert clearnode.balance(WALLET, "usdc") == Decimal(97)
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(23)


async def test_concurrent_equal_creates_open_distinct_sessions(
    hass: HomeAssistant, clearnode: LocalClearNode, freezer: FrozenDateTimeFactory
) -> None:
    """Equal create calls in the same millisecond still get distinct nonces and sessions."""
    results = await together(*(open_session(hass, amount="1") for _ in range(3)))

    assert raised(results) == []
    assert len(set(results)) == 3
    assert set(clearnode.app_sessions) == set(results)
    assert clearnode.balance(WALLET, "usdc") == Decimal(97)


async def test_two_opens_of_one_preset_open_one_session(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The second open waits for the first, then finds the preset's session open."""
    results = await together(
        action(hass, "create_app_session", preset="ev_charger"),
        action(hass, "create_app_session", preset="ev_charger"),
    )

    [error] = raised(results)
    assert isinstance(error, ServiceValidationError)
    assert error.translation_key == "preset_session_open"
    assert len(clearnode.app_sessions) == 1
    assert clearnode.balance(WALLET, "usdc") == Decimal(96)


async def test_opens_of_two_presets_both_succeed(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Two presets opened at once each get their own session."""
    results = await together(
        action(hass, "create_app_session", preset="ev_charger"),
        action(hass, "create_app_session", preset="parking"),
    )

    assert raised(results) == []
    assert len(clearnode.app_sessions) == 2
    assert clearnode.balance(WALLET, "usdc") == Decimal(92)


async def test_pressing_open_twice_opens_one_session(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Two presses of the Open button at once: one session, one deposit."""
    results = await together(press(hass, OPEN), press(hass, OPEN))

    [error] = raised(results)
    assert isinstance(error, ServiceValidationError)
    assert error.translation_key == "preset_session_open"
    assert len(clearnode.app_sessions) == 1
    assert clearnode.balance(WALLET, "usdc") == Decimal(96)


async def test_concurrent_preset_payments_all_count(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Units paid at once through the preset add up on the server and on the preset."""
    await action(hass, "create_app_session", preset="ev_charger")

    results = await together(
        *(action(hass, "pay_in_session", preset="ev_charger") for _ in range(3))
    )

    assert raised(results) == []
    session_id = state(hass, "sensor.ev_charger_session_id")
    assert clearnode.allocation(session_id, COUNTERPARTY, "usdc") == Decimal("1.5")
    assert state(hass, "sensor.ev_charger_total_paid") == "1.5"
