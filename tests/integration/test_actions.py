"""The actions: what we refuse before sending, and how failures read."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.nitrolite.clearnode import Allocation
from custom_components.nitrolite.const import (
    CONF_DEFAULT_ASSET,
    CONF_REQUEST_TIMEOUT,
    DOMAIN,
)
from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, WALLET
from .helpers import actions_of, coordinator_of
from .test_app_sessions import DEFINITION, funding, open_session

THIRD = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


async def test_create_refuses_funds_only_others_could_sign_for(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Home Assistant signs for its own wallet only."""
    allocations = [
        Allocation(WALLET, "usdc", Decimal(1)),
        Allocation(COUNTERPARTY, "usdc", Decimal(1)),
    ]
    with pytest.raises(ServiceValidationError) as err:
        await actions_of(loaded_entry).async_create_app_session(
            DEFINITION, allocations, None
        )
    assert err.value.translation_key == "missing_signature"
    assert err.value.translation_placeholders == {"participants": COUNTERPARTY}


async def test_create_refuses_sessions_without_our_wallet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Our wallet must take part in the sessions it creates."""
    definition = replace(DEFINITION, participants=(COUNTERPARTY, THIRD))
    with pytest.raises(ServiceValidationError) as err:
        await actions_of(loaded_entry).async_create_app_session(definition, [], None)
    assert err.value.translation_key == "not_a_participant"


async def test_quorum_our_weight_cannot_reach_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A session needing both signatures can be created but not changed by us."""
    actions = actions_of(loaded_entry)
    session = await actions.async_create_app_session(
        replace(DEFINITION, quorum=75), funding("1"), None
    )
    with pytest.raises(ServiceValidationError) as err:
        await actions.async_close_app_session(session.app_session_id, None, None)
    assert err.value.translation_key == "quorum_not_reached"
    assert err.value.translation_placeholders == {"weight": "50", "quorum": "75"}


async def test_deposit_intent_checks_who_brings_the_funds(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """We may deposit our own funds, not the counterparty's."""
    actions = actions_of(loaded_entry)
    session = await open_session(loaded_entry)
    updates = async_capture_events(hass, f"{DOMAIN}_app_session_updated")

    with pytest.raises(ServiceValidationError) as err:
        await actions.async_submit_app_state(
            session.app_session_id,
            [
                Allocation(WALLET, "usdc", Decimal(4)),
                Allocation(COUNTERPARTY, "usdc", Decimal(1)),
            ],
            "deposit",
            None,
        )
    assert err.value.translation_key == "missing_signature"

    deposited = await actions.async_submit_app_state(
        session.app_session_id,
        [
            Allocation(WALLET, "usdc", Decimal(5)),
            Allocation(COUNTERPARTY, "usdc", Decimal(0)),
        ],
        "deposit",
        "more",
    )
    await hass.async_block_till_done()
    assert deposited.version == 2
    assert deposited.session_data == "more"
    assert updates[0].data["version"] == 2
    assert clearnode.balance(WALLET, "usdc") == Decimal(95)


@pytest.mark.parametrize(
    ("payment", "translation_key"),
    [
        ({"amount": Decimal(0)}, "amount_not_positive"),
        ({"amount": Decimal(5)}, "insufficient_allocation"),
        ({"amount": Decimal(1), "payer": THIRD}, "payee_required"),
        ({"amount": Decimal(1), "payee": THIRD}, "not_a_participant"),
    ],
)
async def test_payments_are_checked_before_sending(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    payment: dict[str, Any],
    translation_key: str,
) -> None:
    """Bad payments never reach the ClearNode."""
    session = await open_session(loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await actions_of(loaded_entry).async_pay_in_session(
            session.app_session_id,
            payment["amount"],
            None,
            payment.get("payer"),
            payment.get("payee"),
        )
    assert err.value.translation_key == translation_key


async def test_payments_need_an_asset_when_the_session_holds_several(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Without a default asset, a two-asset session needs the asset named."""
    actions = actions_of(loaded_entry)
    session = await actions.async_create_app_session(
        DEFINITION, [*funding("2"), *funding("1", "ytest.usd")], None
    )
    with pytest.raises(ServiceValidationError) as err:
        await actions.async_pay_in_session(
            session.app_session_id, Decimal(1), None, None, None
        )
    assert err.value.translation_key == "asset_required"

    hass.config_entries.async_update_entry(
        loaded_entry, options={CONF_DEFAULT_ASSET: "ytest.usd"}
    )
    paid = await actions.async_pay_in_session(
        session.app_session_id, Decimal(1), None, None, None
    )
    assert Allocation(COUNTERPARTY, "ytest.usd", Decimal(1)) in paid.allocations


async def test_unknown_and_closed_sessions_are_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Actions name the session they cannot act on."""
    actions = actions_of(loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await actions.async_close_app_session("0xabc", None, None)
    assert err.value.translation_key == "unknown_app_session"

    session = await open_session(loaded_entry)
    await actions.async_close_app_session(
        session.app_session_id,
        [
            Allocation(WALLET, "usdc", Decimal(1)),
            Allocation(COUNTERPARTY, "usdc", Decimal(3)),
        ],
        "done",
    )
    with pytest.raises(ServiceValidationError) as err:
        await actions.async_pay_in_session(
            session.app_session_id, Decimal(1), None, None, None
        )
    assert err.value.translation_key == "app_session_closed"


async def test_transfer_balances_and_listing(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Reads refresh the state model; a transfer moves unified balance."""
    actions = actions_of(loaded_entry)
    transactions = await actions.async_transfer(COUNTERPARTY, "usdc", Decimal(2))
    assert [(t.to_account, t.amount) for t in transactions] == [
        (COUNTERPARTY, Decimal(2))
    ]
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(22)

    balances = await actions.async_get_balances()
    assert {b.asset: b.amount for b in balances}["usdc"] == Decimal(98)
    assert coordinator_of(loaded_entry).data.balances["usdc"] == Decimal(98)

    session = await open_session(loaded_entry)
    listed = await actions.async_get_app_sessions("open", None)
    assert [s.app_session_id for s in listed] == [session.app_session_id]
    assert await actions.async_get_app_sessions("open", THIRD) == ()


async def test_library_errors_become_translated_errors(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Validation, rejection and connection failures each read clearly."""
    actions = actions_of(loaded_entry)
    with pytest.raises(ServiceValidationError) as err:
        await actions.async_transfer("not-an-address", "usdc", Decimal(1))
    assert err.value.translation_key == "invalid_input"

    await open_session(loaded_entry)
    with pytest.raises(HomeAssistantError) as err:
        await open_session(loaded_entry)  # same definition and nonce twice
    assert err.value.translation_key == "request_rejected"

    await clearnode.stop()
    with pytest.raises(HomeAssistantError) as err:
        await actions.async_get_balances()
    assert err.value.translation_key == "not_connected"


async def test_an_unanswered_request_times_out(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """The request timeout option bounds how long an action waits."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_REQUEST_TIMEOUT: 1}
    )
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    clearnode.faults.silent_methods.add("get_ledger_balances")
    with pytest.raises(HomeAssistantError) as err:
        await actions_of(config_entry).async_get_balances()
    assert err.value.translation_key == "timeout"


async def test_a_forged_answer_is_a_communication_error(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """An answer not signed by the broker is refused."""
    clearnode.faults.corrupt_signatures = True
    with pytest.raises(HomeAssistantError) as err:
        await actions_of(loaded_entry).async_get_balances()
    assert err.value.translation_key == "communication_error"
