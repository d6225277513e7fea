"""The actions on a v1 entry, through Home Assistant, against the local Nitronode.

A v1 node runs a create with deposit as several requests and answers changes with
little more than an acknowledgement; the actions answer exactly as on v0.5, and the
node's ledger is the judge of what moved.
"""

from __future__ import annotations

from decimal import Decimal
import re

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from local_nitronode import LocalNitronode
from tests.integration.helpers import call

from .conftest import (
    COUNTERPARTY,
    WALLET,
    YUSD,
    coordinator_of,
    open_session,
    session_entity,
    state_of,
)

pytestmark = pytest.mark.usefixtures("loaded_entry")


def split(ours: str, theirs: str) -> list[dict[str, str]]:
    """Return yusd allocations of our wallet and the counterparty."""
    return [
        {"participant": WALLET, "asset": YUSD, "amount": ours},
        {"participant": COUNTERPARTY, "asset": YUSD, "amount": theirs},
    ]


async def test_set_up_shows_the_wallets_balances_and_connection(
    hass: HomeAssistant,
) -> None:
    """A v1 entry connects without a login and shows each asset's balance."""
    assert state_of(hass, "binary_sensor.wallet_0x2c75_5c23_connectivity") == "on"
    assert state_of(hass, "sensor.wallet_0x2c75_5c23_connection_state") == "connected"
    assert state_of(hass, "sensor.wallet_0x2c75_5c23_yusd_balance") == "100"
    assert state_of(hass, "sensor.wallet_0x2c75_5c23_usdc_balance") == "50"
    assert state_of(hass, "sensor.wallet_0x2c75_5c23_open_app_sessions") == "0"


async def test_create_with_deposit_answers_the_funded_session(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """The two-party shortcut opens and funds a session: created, then deposited."""
    response = await call(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY,
        asset=YUSD,
        amount="2.5",
        session_data='{"meter":"kWh"}',
    )

    session_id = response["app_session_id"]
    assert response == {
        "app_session_id": session_id,
        "application": "home-assistant",
        "status": "open",
        "version": 2,  # the create, then the deposit
        "allocations": split("2.5", "0"),
        "participants": [WALLET, COUNTERPARTY],
        "weights": [100, 0],
        "quorum": 100,
        "protocol": "nitronode/v1",
        "session_data": '{"meter":"kWh"}',
    }
    assert nitronode.balance(WALLET, YUSD) == Decimal("97.5")
    assert nitronode.app_session(session_id).version == 2
    assert state_of(hass, session_entity(session_id, "status")) == "open"
    assert state_of(hass, session_entity(session_id, "my_allocation")) == "2.5"
    assert state_of(hass, "sensor.wallet_0x2c75_5c23_open_app_sessions") == "1"


async def test_pay_then_close_settle_the_split_on_the_node(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """A payment moves part of our share; the close returns each share to its owner."""
    session_id = await open_session(hass, "2")

    paid = await call(hass, "pay_in_session", app_session_id=session_id, amount="0.5")
    closed = await call(hass, "close_app_session", app_session_id=session_id)

    assert (paid["version"], paid["status"]) == (3, "open")
    assert paid["allocations"] == split("1.5", "0.5")
    assert (closed["version"], closed["status"]) == (4, "closed")
    assert closed["allocations"] == split("1.5", "0.5")
    assert nitronode.app_session(session_id).status == "closed"
    assert nitronode.balance(WALLET, YUSD) == Decimal("99.5")
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal("0.5")
    assert state_of(hass, session_entity(session_id, "status")) == "closed"


async def test_submit_operates_deposits_and_withdraws(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Each intent applies as one new version; deposits and withdrawals move the balance."""
    session_id = await open_session(hass, "2")

    operated = await call(
        hass, "submit_app_state", app_session_id=session_id, allocations=split("1", "1")
    )
    deposited = await call(
        hass,
        "submit_app_state",
        app_session_id=session_id,
        allocations=split("4", "1"),
        intent="deposit",
    )
    withdrawn = await call(
        hass,
        "submit_app_state",
        app_session_id=session_id,
        allocations=split("3", "1"),
        intent="withdraw",
    )

    assert [r["version"] for r in (operated, deposited, withdrawn)] == [3, 4, 5]
    assert withdrawn["allocations"] == split("3", "1")
    assert nitronode.allocations(session_id) == {
        (WALLET.lower(), YUSD): Decimal(3),
        (COUNTERPARTY.lower(), YUSD): Decimal(1),
    }
    # 2 into the session, 3 more by the deposit, 1 back by the withdrawal.
    assert nitronode.balance(WALLET, YUSD) == Decimal(96)
    assert state_of(hass, session_entity(session_id, "my_allocation")) == "3"


async def test_transfer_answers_the_transaction(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_entry: MockConfigEntry
) -> None:
    """A transfer answers one transaction, identified by the node's transition id."""
    response = await call(
        hass, "transfer", destination=COUNTERPARTY, asset=YUSD, amount="1.25"
    )

    (transaction,) = response["transactions"]
    transition_id = transaction.pop("id")
    assert transaction.pop("created_at")
    assert re.fullmatch(r"0x[0-9a-f]{64}", transition_id)
    assert transaction == {
        "tx_type": "transfer",
        "from_account": WALLET,
        "to_account": COUNTERPARTY,
        "asset": YUSD,
        "amount": "1.25",
    }
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal("1.25")
    assert nitronode.balance(WALLET, YUSD) == Decimal("98.75")


async def test_get_balances_reads_another_wallet_without_touching_ours(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_entry: MockConfigEntry
) -> None:
    """Reads are public on v1: another wallet's balances, ours left as they are."""
    nitronode.fund(COUNTERPARTY, YUSD, Decimal(7))

    theirs = await call(hass, "get_balances", wallet=COUNTERPARTY.lower())
    ours = await call(hass, "get_balances")

    assert theirs == {"balances": [{"asset": YUSD, "amount": "7"}]}
    assert {"asset": YUSD, "amount": "100"} in ours["balances"]
    assert coordinator_of(loaded_entry).data.balances[YUSD] == Decimal(100)
