"""Actions, end to end: Home Assistant → signed requests → the local ClearNode's ledger."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.nitrolite.clearnode import AppDefinition
from custom_components.nitrolite.clearnode.v05 import app_session_id
from custom_components.nitrolite.const import CONF_ALLOWANCES, DOMAIN
from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, COUNTERPARTY_KEY, WALLET, entry_data, setup_entry
from .helpers import call, open_session, wait_for
from .test_app_sessions import counterparty_opens_and_pays_us

pytestmark = pytest.mark.usefixtures("loaded_entry")

UNKNOWN_SESSION = "0x" + "ab" * 32
THIRD = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
# COUNTERPARTY with the case of one letter changed: a typo the checksum catches.
MISTYPED = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"
# Parses as a Decimal at once, but would be a billion digits written out.
HUGE = "1e999999999"
# Amounts with more significant digits than the default decimal context keeps (28).
DEPOSIT_30_DIGITS = "1.00000000000000000000000000003"
TINY = "0.00000000000000000000000000001"


def usdc(node: LocalClearNode, address: str) -> Decimal:
    """Return a wallet's unified usdc balance on the server."""
    return node.balance(address, "usdc")


# Reading ----------------------------------------------------------------------


async def test_get_balances_answers_the_unified_balance_as_strings(
    hass: HomeAssistant,
) -> None:
    """get_balances answers every asset with its amount as a decimal string."""
    assert await call(hass, "get_balances") == {
        "balances": [
            {"asset": "usdc", "amount": "100"},
            {"asset": "ytest.usd", "amount": "50"},
        ]
    }


async def test_get_balances_only_answers_with_response_data(
    hass: HomeAssistant,
) -> None:
    """get_balances is for scripts: calling it without a response is refused."""
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "get_balances", {}, blocking=True)
    assert err.value.translation_key == "service_lacks_response_request"


async def test_get_app_sessions_filters_by_status(hass: HomeAssistant) -> None:
    """get_app_sessions lists our sessions, filtered by status or participant."""
    kept = await open_session(hass, "1")
    closed = await open_session(hass, "2")
    await call(hass, "close_app_session", app_session_id=closed)

    def ids(response: dict[str, Any]) -> set[str]:
        return {session["app_session_id"] for session in response["app_sessions"]}

    assert ids(await call(hass, "get_app_sessions")) == {kept, closed}
    assert ids(await call(hass, "get_app_sessions", status="open")) == {kept}
    assert ids(await call(hass, "get_app_sessions", status="closed")) == {closed}
    listed = (await call(hass, "get_app_sessions", participant=COUNTERPARTY.lower()))[
        "app_sessions"
    ]
    assert {session["app_session_id"] for session in listed} == {kept, closed}
    assert all(s["participants"] == [WALLET, COUNTERPARTY] for s in listed)


async def test_get_app_sessions_includes_the_allocations_we_know(
    hass: HomeAssistant,
) -> None:
    """The server lists no allocations; those of our own latest state are filled in."""
    session_id = await open_session(hass, "3")
    await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    [listed] = (await call(hass, "get_app_sessions"))["app_sessions"]

    assert listed["app_session_id"] == session_id
    assert listed["version"] == 2
    assert listed["allocations"] == [
        {"participant": WALLET, "asset": "usdc", "amount": "2"},
        {"participant": COUNTERPARTY, "asset": "usdc", "amount": "1"},
    ]


# Creating ---------------------------------------------------------------------


async def test_create_two_party_session_locks_our_deposit_on_the_server(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The shortcut opens [us, counterparty] with weights 100/0 and locks our deposit."""
    response = await call(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY.lower(),
        asset="usdc",
        amount="4.25",
        session_data='{"game":"chess"}',
    )

    session_id = response["app_session_id"]
    assert response == {
        "app_session_id": session_id,
        "application": "home-assistant",
        "status": "open",
        "version": 1,
        "allocations": [
            {"participant": WALLET, "asset": "usdc", "amount": "4.25"},
            {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0"},
        ],
        "participants": [WALLET, COUNTERPARTY],
        "weights": [100, 0],
        "quorum": 100,
        "protocol": "NitroRPC/0.4",
        "session_data": '{"game":"chess"}',
    }
    record = clearnode.app_sessions[session_id]
    assert (record.participants, record.weights, record.quorum) == (
        [WALLET, COUNTERPARTY],
        [100, 0],
        100,
    )
    assert record.challenge == 0
    assert len(str(record.nonce)) == 13  # the current time in milliseconds
    assert usdc(clearnode, WALLET) == Decimal("95.75")
    assert usdc(clearnode, COUNTERPARTY) == Decimal(20)


async def test_create_session_from_a_full_definition(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A full definition is sent as given; its id is the one derived client-side."""
    response = await call(
        hass,
        "create_app_session",
        participants=[WALLET, COUNTERPARTY],
        weights=[100, 0],
        quorum=100,
        challenge=3600,
        nonce=42,
        protocol="NitroRPC/0.2",
        application="home-assistant",
        allocations=[
            {"participant": WALLET, "asset": "ytest.usd", "amount": "3"},
            {"participant": COUNTERPARTY, "asset": "ytest.usd", "amount": "0"},
        ],
    )

    expected_id = app_session_id(
        AppDefinition(
            "home-assistant",
            "NitroRPC/0.2",
            (WALLET, COUNTERPARTY),
            (100, 0),
            100,
            3600,
            42,
        )
    )
    assert response["app_session_id"] == expected_id
    assert clearnode.app_sessions[expected_id].nonce == 42
    assert clearnode.balance(WALLET, "ytest.usd") == Decimal(47)


async def test_create_without_asking_for_the_response_still_creates(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Actions that act answer optionally; without a response they still act."""
    result = await hass.services.async_call(
        DOMAIN,
        "create_app_session",
        {"counterparty": COUNTERPARTY, "asset": "usdc", "amount": "1"},
        blocking=True,
    )

    assert result is None
    assert len(clearnode.app_sessions) == 1
    assert usdc(clearnode, WALLET) == Decimal(99)


async def test_each_create_gets_a_fresh_nonce(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The default nonce differs per call, so equal requests open distinct sessions."""
    first = await open_session(hass, "1")
    second = await open_session(hass, "1")

    assert first != second
    assert clearnode.app_sessions[first].nonce != clearnode.app_sessions[second].nonce


# Updating and paying --------------------------------------------------------------


async def test_submit_app_state_redistributes_and_close_pays_out(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """An operate state moves funds inside the session; closing pays them out."""
    session_id = await open_session(hass, "4")

    response = await call(
        hass,
        "submit_app_state",
        app_session_id=session_id,
        allocations=[
            {"participant": WALLET, "asset": "usdc", "amount": "1"},
            {"participant": COUNTERPARTY, "asset": "usdc", "amount": "3"},
        ],
        session_data='{"move":"e4"}',
    )

    assert response["version"] == 2
    assert response["status"] == "open"
    assert response["session_data"] == '{"move":"e4"}'
    assert clearnode.app_sessions[session_id].version == 2
    closed = await call(hass, "close_app_session", app_session_id=session_id)
    assert (closed["status"], closed["version"]) == ("closed", 3)
    assert usdc(clearnode, WALLET) == Decimal(97)
    assert usdc(clearnode, COUNTERPARTY) == Decimal(23)


async def test_submit_deposit_adds_our_funds_to_the_session(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A deposit intent takes the increase from our unified balance."""
    session_id = await open_session(hass, "2")

    response = await call(
        hass,
        "submit_app_state",
        app_session_id=session_id,
        intent="deposit",
        allocations=[
            {"participant": WALLET, "asset": "usdc", "amount": "5"},
            {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0"},
        ],
    )

    assert response["version"] == 2
    assert usdc(clearnode, WALLET) == Decimal(95)


async def test_submit_withdraw_returns_funds_to_our_balance(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A withdraw intent gives the decrease back to the participant's balance."""
    session_id = await open_session(hass, "4")

    response = await call(
        hass,
        "submit_app_state",
        app_session_id=session_id,
        intent="withdraw",
        allocations=[
            {"participant": WALLET, "asset": "usdc", "amount": "1"},
            {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0"},
        ],
    )

    assert response["version"] == 2
    assert usdc(clearnode, WALLET) == Decimal(99)
    assert clearnode.app_sessions[session_id].status == "open"


async def test_pay_in_session_meters_payments_to_the_other_participant(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Each payment moves the amount from us to the other participant."""
    session_id = await open_session(hass, "5")

    await call(hass, "pay_in_session", app_session_id=session_id, amount="0.5")
    response = await call(
        hass, "pay_in_session", app_session_id=session_id, amount="0.25"
    )

    assert response["version"] == 3
    assert response["allocations"] == [
        {"participant": WALLET, "asset": "usdc", "amount": "4.25"},
        {"participant": COUNTERPARTY, "asset": "usdc", "amount": "0.75"},
    ]
    assert clearnode.app_sessions[session_id].version == 3
    await call(hass, "close_app_session", app_session_id=session_id)
    assert usdc(clearnode, WALLET) == Decimal("99.25")
    assert usdc(clearnode, COUNTERPARTY) == Decimal("20.75")


async def test_pay_in_session_refuses_an_overdraft_before_sending(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Paying more than the payer holds in the session is refused locally."""
    session_id = await open_session(hass, "1")

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "pay_in_session", app_session_id=session_id, amount="1.5")

    assert err.value.translation_key == "insufficient_allocation"
    assert clearnode.app_sessions[session_id].version == 1


async def test_close_with_explicit_final_allocations(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Closing with final allocations pays each participant their share."""
    session_id = await open_session(hass, "4")

    response = await call(
        hass,
        "close_app_session",
        app_session_id=session_id,
        allocations=[
            {"participant": WALLET, "asset": "usdc", "amount": "2.5"},
            {"participant": COUNTERPARTY, "asset": "usdc", "amount": "1.5"},
        ],
        session_data='{"result":"draw"}',
    )

    assert response["status"] == "closed"
    assert clearnode.app_sessions[session_id].status == "closed"
    assert usdc(clearnode, WALLET) == Decimal("98.5")
    assert usdc(clearnode, COUNTERPARTY) == Decimal("21.5")


async def test_close_refuses_allocations_that_do_not_add_up_before_sending(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Final allocations must redistribute the holdings exactly."""
    session_id = await open_session(hass, "4")

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "close_app_session",
            app_session_id=session_id,
            allocations=[{"participant": WALLET, "asset": "usdc", "amount": "5"}],
        )

    assert err.value.translation_key == "invalid_input"
    assert err.value.translation_placeholders["field"] == "allocations"
    assert clearnode.app_sessions[session_id].status == "open"
    assert usdc(clearnode, WALLET) == Decimal(96)


# Transfers --------------------------------------------------------------------


async def test_transfer_moves_funds_and_answers_the_transactions(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A transfer moves unified balance and answers the ledger transactions."""
    response = await call(
        hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="2.5"
    )

    [transaction] = response["transactions"]
    assert transaction["tx_type"] == "transfer"
    assert transaction["from_account"] == WALLET
    assert transaction["to_account"] == COUNTERPARTY
    assert (transaction["asset"], transaction["amount"]) == ("usdc", "2.5")
    assert usdc(clearnode, WALLET) == Decimal("97.5")
    assert usdc(clearnode, COUNTERPARTY) == Decimal("22.5")


async def test_transfer_beyond_the_session_key_allowance_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The server refuses spending beyond the session key's allowance."""
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="11"
        )

    assert err.value.translation_key == "allowance_exceeded"
    assert usdc(clearnode, WALLET) == Decimal(100)
    assert usdc(clearnode, COUNTERPARTY) == Decimal(20)


async def test_transfer_without_the_funds_is_refused_by_the_server(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The server's refusal reaches the caller as a translated error."""
    hass.config_entries.async_update_entry(
        loaded_entry, data={**loaded_entry.data, CONF_ALLOWANCES: {"usdc": "1000"}}
    )
    await hass.config_entries.async_reload(loaded_entry.entry_id)

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="150"
        )

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "request_rejected"
    assert "insufficient funds" in err.value.translation_placeholders["reason"]
    assert usdc(clearnode, WALLET) == Decimal(100)


async def test_a_dropped_connection_is_reported_and_nothing_moves(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The socket closing under a request: a translated error saying it may have applied."""
    clearnode.faults.close_on_methods.add("transfer")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="1")

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "transfer_unanswered"
    assert usdc(clearnode, WALLET) == Decimal(100)


async def test_a_stopped_server_is_reported(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Calls while the ClearNode is down fail with a translated runtime error."""
    await clearnode.stop()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "get_balances")

    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "not_connected"


# We can sign only for our own wallet ------------------------------------------


async def test_create_needing_the_counterpartys_deposit_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """We cannot sign for the counterparty's deposit, so nothing is sent."""
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "create_app_session",
            participants=[WALLET, COUNTERPARTY],
            weights=[100, 0],
            quorum=100,
            allocations=[
                {"participant": WALLET, "asset": "usdc", "amount": "1"},
                {"participant": COUNTERPARTY, "asset": "usdc", "amount": "1"},
            ],
        )

    assert err.value.translation_key == "missing_signature"
    assert err.value.translation_placeholders["participants"] == COUNTERPARTY
    assert not clearnode.app_sessions
    assert usdc(clearnode, COUNTERPARTY) == Decimal(20)


async def test_update_beyond_our_weight_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Updates our weight alone cannot sign are refused, naming the quorum."""
    shared = await call(
        hass,
        "create_app_session",
        participants=[WALLET, COUNTERPARTY],
        weights=[50, 50],
        quorum=100,
        allocations=[{"participant": WALLET, "asset": "usdc", "amount": "2"}],
    )
    session_id = shared["app_session_id"]

    for service, data in (
        ("pay_in_session", {"amount": "1"}),
        ("close_app_session", {}),
    ):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, service, app_session_id=session_id, **data)
        assert err.value.translation_key == "quorum_not_reached"

    assert clearnode.app_sessions[session_id].version == 1
    assert clearnode.app_sessions[session_id].status == "open"


async def test_depositing_where_others_reach_the_quorum_without_us_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """In a session the counterparty can update alone, we add nothing; paying still works."""
    session = await counterparty_opens_and_pays_us(hass, clearnode)
    [entry] = hass.config_entries.async_loaded_entries(DOMAIN)
    known = entry.runtime_data.coordinator.data.sessions
    await wait_for(hass, lambda: session.app_session_id in known)

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "submit_app_state",
            app_session_id=session.app_session_id,
            intent="deposit",
            allocations=[
                {"participant": COUNTERPARTY, "asset": "usdc", "amount": "3"},
                {"participant": WALLET, "asset": "usdc", "amount": "2"},
            ],
        )
    assert err.value.translation_key == "quorum_reachable_without_us"
    assert err.value.translation_placeholders == {"weight": "50", "quorum": "50"}
    assert usdc(clearnode, WALLET) == Decimal(100)

    paid = await call(
        hass, "pay_in_session", app_session_id=session.app_session_id, amount="1"
    )
    assert paid["version"] == 3


@pytest.mark.parametrize(
    "payment",
    [
        pytest.param({"to": WALLET.lower()}, id="to-ourselves"),
        pytest.param({"from": COUNTERPARTY, "to": COUNTERPARTY}, id="to-the-payer"),
    ],
)
async def test_paying_oneself_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode, payment: dict[str, str]
) -> None:
    """A payment whose payee is its payer would move nothing: refused, naming to."""
    session_id = await open_session(hass, "2")
    payments = async_capture_events(hass, f"{DOMAIN}_app_session_payment")

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, "pay_in_session", app_session_id=session_id, amount="1", **payment
        )

    assert err.value.translation_key == "pay_oneself"
    assert err.value.translation_placeholders["field"] == "to"
    assert clearnode.app_sessions[session_id].version == 1
    assert not payments


async def test_payments_are_exact_past_28_significant_digits(
    hass: HomeAssistant,
) -> None:
    """Allocations and the payment event keep every digit; nothing is rounded."""
    session_id = await open_session(hass, DEPOSIT_30_DIGITS)
    payments = async_capture_events(hass, f"{DOMAIN}_app_session_payment")

    response = await call(
        hass, "pay_in_session", app_session_id=session_id, amount=TINY
    )
    await hass.async_block_till_done()

    assert {
        item["participant"]: Decimal(item["amount"]) for item in response["allocations"]
    } == {
        WALLET: Decimal("1.00000000000000000000000000002"),
        COUNTERPARTY: Decimal(TINY),
    }
    assert [Decimal(event.data["amount"]) for event in payments] == [Decimal(TINY)]


async def test_tiny_amounts_are_written_plainly_everywhere(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """Responses, events, attributes and storage write 1e-29 out in full, never "1E-29"."""
    session_id = await open_session(hass, "1")
    payments = async_capture_events(hass, f"{DOMAIN}_app_session_payment")

    response = await call(
        hass, "pay_in_session", app_session_id=session_id, amount=TINY
    )
    await hass.async_block_till_done()

    def counterparty_amount(allocations: list[dict[str, str]]) -> str:
        return next(
            a["amount"] for a in allocations if a["participant"] == COUNTERPARTY
        )

    assert counterparty_amount(response["allocations"]) == TINY
    [payment] = payments
    assert payment.data["amount"] == TINY
    assert counterparty_amount(payment.data["allocations"]) == TINY
    status = hass.states.get(
        f"sensor.home_assistant_session_0x{session_id[2:6]}_{session_id[-4:]}_status"
    )
    assert counterparty_amount(status.attributes["allocations"]) == TINY
    [listed] = (await call(hass, "get_app_sessions"))["app_sessions"]
    assert counterparty_amount(listed["allocations"]) == TINY
    [entry] = hass.config_entries.async_loaded_entries(DOMAIN)
    await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.sessions"]["data"]
    assert counterparty_amount(stored[session_id]["allocations"]) == TINY


async def test_a_deposit_hiding_a_tiny_increase_of_the_counterparty_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """An increase of another participant past the 28th digit still needs their signature."""
    session_id = await open_session(hass, "4")
    await call(hass, "pay_in_session", app_session_id=session_id, amount="0.1")

    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "submit_app_state",
            app_session_id=session_id,
            intent="deposit",
            allocations=[
                {"participant": WALLET, "asset": "usdc", "amount": "5"},
                {
                    "participant": COUNTERPARTY,
                    "asset": "usdc",
                    "amount": "0.10000000000000000000000000001",
                },
            ],
        )

    assert err.value.translation_key == "missing_signature"
    assert clearnode.app_sessions[session_id].version == 2


# Bad input: refused before anything reaches the server ----------------------------

BAD_INPUT = [
    pytest.param(
        "transfer",
        {"destination": COUNTERPARTY, "asset": "usdc", "amount": "ten"},
        "invalid_amount",
        "amount",
        id="amount-not-a-number",
    ),
    pytest.param(
        "transfer",
        {"destination": COUNTERPARTY, "asset": "usdc", "amount": "-1"},
        "invalid_amount",
        "amount",
        id="amount-negative",
    ),
    pytest.param(
        "transfer",
        {"destination": COUNTERPARTY, "asset": "usdc", "amount": "NaN"},
        "invalid_amount",
        "amount",
        id="amount-nan",
    ),
    pytest.param(
        "transfer",
        {"destination": COUNTERPARTY, "asset": "usdc", "amount": "0"},
        "amount_not_positive",
        None,
        id="amount-zero",
    ),
    pytest.param(
        "transfer",
        {"destination": "0x1234", "asset": "usdc", "amount": "1"},
        "invalid_address",
        "destination",
        id="destination-not-an-address",
    ),
    pytest.param(
        "transfer",
        {"destination": WALLET.lower(), "asset": "usdc", "amount": "1"},
        "pay_oneself",
        "destination",
        id="transfer-to-ourselves",
    ),
    pytest.param(
        "create_app_session",
        {"counterparty": "bob", "asset": "usdc", "amount": "1"},
        "invalid_address",
        "counterparty",
        id="counterparty-not-an-address",
    ),
    pytest.param(
        "create_app_session",
        {"counterparty": COUNTERPARTY, "asset": "usdc"},
        "missing_shortcut_field",
        "amount",
        id="shortcut-without-amount",
    ),
    pytest.param(
        "create_app_session",
        {},
        "missing_definition_field",
        "participants",
        id="create-with-nothing",
    ),
    pytest.param(
        "create_app_session",
        {"participants": [WALLET, COUNTERPARTY], "weights": [100, 0], "quorum": 100},
        "missing_definition_field",
        "allocations",
        id="definition-without-allocations",
    ),
    pytest.param(
        "create_app_session",
        {
            "counterparty": COUNTERPARTY,
            "asset": "usdc",
            "amount": "1",
            "participants": [WALLET, COUNTERPARTY],
        },
        "mixed_create_forms",
        "participants",
        id="shortcut-and-definition",
    ),
    pytest.param(
        "create_app_session",
        {
            "participants": [WALLET, COUNTERPARTY],
            "weights": [100, 0],
            "quorum": 100,
            "allocations": [{"participant": WALLET, "asset": "usdc", "amount": "1e"}],
        },
        "invalid_amount",
        "allocations[0].amount",
        id="allocation-amount",
    ),
    pytest.param(
        "create_app_session",
        {
            "participants": [WALLET, "0xnot"],
            "weights": [100, 0],
            "quorum": 100,
            "allocations": [{"participant": WALLET, "asset": "usdc", "amount": "1"}],
        },
        "invalid_address",
        "participants[1]",
        id="participant-not-an-address",
    ),
    pytest.param(
        "create_app_session",
        {
            "participants": [WALLET, COUNTERPARTY],
            "weights": [100],
            "quorum": 100,
            "allocations": [{"participant": WALLET, "asset": "usdc", "amount": "1"}],
        },
        "invalid_input",
        "weights",
        id="weights-do-not-match-participants",
    ),
    pytest.param(
        "create_app_session",
        {"counterparty": COUNTERPARTY, "asset": "usdc", "amount": "1", "protocol": "x"},
        "invalid_choice",
        "protocol",
        id="protocol-unknown",
    ),
    pytest.param(
        "submit_app_state",
        {
            "app_session_id": UNKNOWN_SESSION,
            "intent": "donate",
            "allocations": [{"participant": WALLET, "asset": "usdc", "amount": "1"}],
        },
        "invalid_choice",
        "intent",
        id="intent-unknown",
    ),
    pytest.param(
        "get_app_sessions",
        {"status": "pending"},
        "invalid_choice",
        "status",
        id="status-unknown",
    ),
    pytest.param(
        "pay_in_session",
        {"app_session_id": "0x12", "amount": "1"},
        "invalid_app_session_id",
        "app_session_id",
        id="app-session-id-malformed",
    ),
    pytest.param(
        "pay_in_session",
        {"app_session_id": UNKNOWN_SESSION, "amount": "1"},
        "unknown_app_session",
        None,
        id="app-session-unknown",
    ),
    pytest.param(
        "submit_app_state",
        {
            "app_session_id": UNKNOWN_SESSION,
            "allocations": [{"participant": "me", "asset": "usdc", "amount": "1"}],
        },
        "invalid_address",
        "allocations[0].participant",
        id="allocation-participant",
    ),
    pytest.param(
        "close_app_session",
        {"app_session_id": UNKNOWN_SESSION},
        "unknown_app_session",
        None,
        id="close-unknown-session",
    ),
    pytest.param(
        "get_app_sessions",
        {"participant": "somebody"},
        "invalid_address",
        "participant",
        id="participant-filter",
    ),
    *[
        pytest.param(service, data, "invalid_address", field, id=f"mistyped-{field}")
        for service, data, field in (
            (
                "create_app_session",
                {"counterparty": MISTYPED, "asset": "usdc", "amount": "1"},
                "counterparty",
            ),
            (
                "create_app_session",
                {
                    "participants": [WALLET, MISTYPED],
                    "weights": [100, 0],
                    "quorum": 100,
                    "allocations": [
                        {"participant": WALLET, "asset": "usdc", "amount": "1"}
                    ],
                },
                "participants[1]",
            ),
            (
                "submit_app_state",
                {
                    "app_session_id": UNKNOWN_SESSION,
                    "allocations": [
                        {"participant": WALLET, "asset": "usdc", "amount": "1"},
                        {"participant": MISTYPED, "asset": "usdc", "amount": "0"},
                    ],
                },
                "allocations[1].participant",
            ),
            (
                "pay_in_session",
                {"app_session_id": UNKNOWN_SESSION, "amount": "1", "from": MISTYPED},
                "from",
            ),
            (
                "pay_in_session",
                {"app_session_id": UNKNOWN_SESSION, "amount": "1", "to": MISTYPED},
                "to",
            ),
            (
                "transfer",
                {"destination": MISTYPED, "asset": "usdc", "amount": "1"},
                "destination",
            ),
            ("get_app_sessions", {"participant": MISTYPED}, "participant"),
        )
    ],
    pytest.param(
        "close_app_session",
        {
            "app_session_id": UNKNOWN_SESSION,
            "allocations": [{"participant": MISTYPED, "asset": "usdc", "amount": "0"}],
        },
        "invalid_address",
        "allocations[0].participant",
        id="mistyped-close-allocation",
    ),
    *[
        pytest.param(service, data, "invalid_amount", field, id=f"huge-{service}")
        for service, data, field in (
            (
                "create_app_session",
                {"counterparty": COUNTERPARTY, "asset": "usdc", "amount": HUGE},
                "amount",
            ),
            (
                "submit_app_state",
                {
                    "app_session_id": UNKNOWN_SESSION,
                    "allocations": [
                        {"participant": WALLET, "asset": "usdc", "amount": HUGE}
                    ],
                },
                "allocations[0].amount",
            ),
            (
                "close_app_session",
                {
                    "app_session_id": UNKNOWN_SESSION,
                    "allocations": [
                        {"participant": WALLET, "asset": "usdc", "amount": HUGE}
                    ],
                },
                "allocations[0].amount",
            ),
            (
                "pay_in_session",
                {"app_session_id": UNKNOWN_SESSION, "amount": HUGE},
                "amount",
            ),
            (
                "transfer",
                {"destination": COUNTERPARTY, "asset": "usdc", "amount": HUGE},
                "amount",
            ),
        )
    ],
    pytest.param(
        "create_app_session",
        {
            "participants": [WALLET, COUNTERPARTY],
            "weights": [100, 0],
            "quorum": 100,
            "allocations": [
                {"participant": WALLET, "asset": "usdc", "amount": "1"},
                {"participant": COUNTERPARTY, "asset": "usdc", "amount": HUGE},
            ],
        },
        "invalid_amount",
        "allocations[1].amount",
        id="huge-create-allocation",
    ),
    *[
        pytest.param(
            "create_app_session",
            {
                "counterparty": COUNTERPARTY,
                "asset": "usdc",
                "amount": "1",
                "application": name,
            },
            "root_application",
            "application",
            id=f"root-application-{name}",
        )
        for name in ("clearnode", "ClearNode", " CLEARNODE ")
    ],
    *[
        pytest.param(
            "create_app_session",
            {
                "participants": participants,
                "weights": weights,
                "quorum": quorum,
                "allocations": [
                    {"participant": WALLET, "asset": "usdc", "amount": "1"}
                ],
            },
            "quorum_reachable_without_us",
            None,
            id=name,
        )
        for name, participants, weights, quorum in (
            ("equal-weights", [WALLET, COUNTERPARTY], [100, 100], 100),
            ("quorum-zero", [WALLET, COUNTERPARTY], [100, 0], 0),
            ("others-together", [WALLET, COUNTERPARTY, THIRD], [100, 50, 50], 100),
        )
    ],
]


@pytest.mark.parametrize(("service", "data", "translation_key", "field"), BAD_INPUT)
async def test_bad_input_is_refused_naming_the_field(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    *,
    service: str,
    data: dict[str, Any],
    translation_key: str,
    field: str | None,
) -> None:
    """Bad input raises a translated validation error and nothing moves."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, service, **data)

    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == translation_key
    assert "{" not in str(err.value)
    assert translation_key not in str(err.value)
    if field is not None:
        assert err.value.translation_placeholders["field"] == field
    assert not clearnode.app_sessions
    assert usdc(clearnode, WALLET) == Decimal(100)
    assert usdc(clearnode, COUNTERPARTY) == Decimal(20)


async def test_validation_message_is_translated(hass: HomeAssistant) -> None:
    """Validation errors read as English sentences naming the field."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "transfer", destination="0x1234", asset="usdc", amount="1")

    assert str(err.value) == (
        "destination: “0x1234” is not a wallet address: 0x followed by 40 "
        "hexadecimal digits, in lower or upper case, or mixed case with a valid "
        "EIP-55 checksum"
    )


# Choosing the account -----------------------------------------------------------


@pytest.fixture
async def counterparty_entry(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> MockConfigEntry:
    """Set up a second account (the counterparty's wallet) on the same ClearNode."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=COUNTERPARTY,
        unique_id=f"{COUNTERPARTY}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode, private_key=COUNTERPARTY_KEY),
    )
    await setup_entry(hass, entry)
    return entry


async def test_two_accounts_need_the_config_entry_id(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    counterparty_entry: MockConfigEntry,
) -> None:
    """With two accounts loaded, config_entry_id chooses the wallet."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_balances")
    assert err.value.translation_key == "entry_required"

    ours = await call(hass, "get_balances", config_entry_id=loaded_entry.entry_id)
    theirs = await call(
        hass, "get_balances", config_entry_id=counterparty_entry.entry_id
    )
    assert {"asset": "usdc", "amount": "100"} in ours["balances"]
    assert theirs == {"balances": [{"asset": "usdc", "amount": "20"}]}


async def test_sessions_opened_by_the_other_wallet_list_without_allocations(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    counterparty_entry: MockConfigEntry,
) -> None:
    """Allocations we never saw are reported as unknown (null), not guessed."""
    theirs = await call(
        hass,
        "create_app_session",
        config_entry_id=counterparty_entry.entry_id,
        counterparty=WALLET,
        asset="usdc",
        amount="2",
    )

    [listed] = (
        await call(hass, "get_app_sessions", config_entry_id=loaded_entry.entry_id)
    )["app_sessions"]
    assert listed["app_session_id"] == theirs["app_session_id"]
    assert listed["participants"] == [COUNTERPARTY, WALLET]
    assert listed["allocations"] is None


async def test_an_unknown_config_entry_id_is_refused(hass: HomeAssistant) -> None:
    """An unknown config_entry_id is refused by Home Assistant's lookup."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_balances", config_entry_id="no-such-entry")
    assert err.value.translation_key == "service_config_entry_not_found"


async def test_an_unloaded_account_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """An unloaded account cannot be used, with or without its id."""
    await hass.config_entries.async_unload(loaded_entry.entry_id)

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_balances")
    assert err.value.translation_key == "no_loaded_entry"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "get_balances", config_entry_id=loaded_entry.entry_id)
    assert err.value.translation_key == "service_config_entry_not_loaded"
