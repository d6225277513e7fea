"""What a v1 node has no place for is refused by field, before anything is sent.

A v1 definition has no protocol version or challenge period, takes weights and a
quorum up to 255 and at most 1024 bytes of session data; v1 reads are public. Each
refusal is a translated validation error naming the field.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest

from local_clearnode import LocalClearNode
from local_nitronode import LocalNitronode
from tests.integration.conftest import setup_entry, wallet_entry
from tests.integration.helpers import call

from .conftest import COUNTERPARTY, WALLET, YUSD, changes_sent, open_session

FULL_DEFINITION: dict[str, Any] = {
    "participants": [WALLET, COUNTERPARTY],
    "weights": [100, 0],
    "quorum": 100,
    "allocations": [
        {"participant": WALLET, "asset": YUSD, "amount": "1"},
        {"participant": COUNTERPARTY, "asset": YUSD, "amount": "0"},
    ],
}
SHORTCUT = {"counterparty": COUNTERPARTY, "asset": YUSD, "amount": "1"}
TOO_LONG = "é" * 513  # 1026 bytes in UTF-8, 513 characters


async def refused(
    hass: HomeAssistant, service: str, **data: Any
) -> ServiceValidationError:
    """Call an action that must be refused; return the refusal."""
    with pytest.raises(ServiceValidationError) as refusal:
        await call(hass, service, **data)
    return refusal.value


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("field", "value"), [("protocol", "NitroRPC/0.4"), ("challenge", 3600)]
)
async def test_session_protocol_fields_are_refused(
    hass: HomeAssistant, nitronode: LocalNitronode, field: str, value: Any
) -> None:
    """Protocol and challenge do not exist in v1: refused by name, nothing sent."""
    refusal = await refused(hass, "create_app_session", **SHORTCUT, **{field: value})

    assert refusal.translation_key == "field_not_supported"
    assert refusal.translation_placeholders == {"field": field}
    assert changes_sent(nitronode) == 0


@pytest.mark.usefixtures("loaded_entry")
@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"weights": [256, 0]}, "weights[0]", "256"),
        ({"weights": [100, 1000]}, "weights[1]", "1000"),
        ({"quorum": 300}, "quorum", "300"),
    ],
)
async def test_weights_and_quorum_over_255_are_refused(
    hass: HomeAssistant,
    nitronode: LocalNitronode,
    changes: dict[str, Any],
    field: str,
    value: str,
) -> None:
    """Weights and quorum are uint8 on v1: a larger one is named with the limit."""
    refusal = await refused(hass, "create_app_session", **(FULL_DEFINITION | changes))

    assert refusal.translation_key == "weight_too_large"
    assert refusal.translation_placeholders == {
        "field": field,
        "value": value,
        "max": "255",
    }
    assert changes_sent(nitronode) == 0


@pytest.mark.usefixtures("loaded_entry")
async def test_session_data_over_1024_bytes_is_refused_by_every_action(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Session data is counted in UTF-8 bytes; 1024 pass, more is refused by name."""
    session_id = await open_session(hass, session_data="x" * 1024)
    sent = changes_sent(nitronode)
    allocations = [
        {"participant": WALLET, "asset": YUSD, "amount": "2"},
        {"participant": COUNTERPARTY, "asset": YUSD, "amount": "0"},
    ]

    refusals = [
        await refused(hass, "create_app_session", **SHORTCUT, session_data=TOO_LONG),
        await refused(
            hass,
            "submit_app_state",
            app_session_id=session_id,
            allocations=allocations,
            session_data=TOO_LONG,
        ),
        await refused(
            hass, "close_app_session", app_session_id=session_id, session_data=TOO_LONG
        ),
    ]

    for refusal in refusals:
        assert refusal.translation_key == "session_data_too_long"
        assert refusal.translation_placeholders == {
            "field": "session_data",
            "size": "1026",
            "max": "1024",
        }
    assert changes_sent(nitronode) == sent


async def test_another_wallets_balances_are_refused_where_reads_are_private(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A v0.5 ClearNode shows balances only to their wallet: the field is refused."""
    await setup_entry(hass, wallet_entry(clearnode))
    reads = clearnode.faults.received["get_ledger_balances"]

    refusal = await refused(hass, "get_balances", wallet=COUNTERPARTY)

    assert refusal.translation_key == "public_reads_unsupported"
    assert refusal.translation_placeholders == {"field": "wallet"}
    assert clearnode.faults.received["get_ledger_balances"] == reads


@pytest.mark.usefixtures("loaded_entry")
async def test_weights_and_quorum_of_255_are_accepted(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """The full definition at the limit is sent and applied."""
    response = await call(
        hass,
        "create_app_session",
        **FULL_DEFINITION | {"weights": [255, 0], "quorum": 255},
    )

    assert (response["weights"], response["quorum"]) == ([255, 0], 255)
    assert nitronode.app_session(response["app_session_id"]).version == 2
