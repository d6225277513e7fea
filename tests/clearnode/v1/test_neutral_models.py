"""v1 answers as the library's neutral models, which the integration reads."""

from decimal import Decimal

from custom_components.nitrolite.clearnode.models import AppSessionResult, Transaction
from custom_components.nitrolite.clearnode.v1.conversions import (
    created_session,
    session_result,
    transaction,
)
from custom_components.nitrolite.clearnode.v1.models import (
    PROTOCOL,
    Transaction as NodeTransaction,
    app_definition_from_wire,
)

from .vectors import load

SESSION_ID = "0x" + "ab" * 32
WALLET = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def record(tx_type: int) -> NodeTransaction:
    """Return a node's transaction record from an app session to the wallet."""
    return NodeTransaction(
        id="0x" + "01" * 32,
        asset="yusd",
        tx_type=tx_type,
        from_account=SESSION_ID,
        to_account=WALLET.lower(),
        amount=Decimal("3.5"),
        created_at="2026-12-01T00:00:00Z",
    )


def test_a_transaction_is_named_by_its_type_with_wallets_in_eip55() -> None:
    """Type 41 is a release; the wallet is checksummed, the session id kept."""
    assert transaction(record(41)) == Transaction(
        id="0x" + "01" * 32,
        tx_type="release",
        from_account=SESSION_ID,
        to_account=WALLET,
        asset="yusd",
        amount=Decimal("3.5"),
        created_at="2026-12-01T00:00:00Z",
    )


def test_a_transaction_type_of_a_later_release_keeps_its_number() -> None:
    """An unknown type is not an error: it is shown as the node sent it."""
    assert transaction(record(250)).tx_type == "250"


def test_a_created_session_is_version_1_with_nothing_allocated() -> None:
    """The node creates sessions empty; the v1 marker stands in for a protocol."""
    single = load("single")
    created = created_session(app_definition_from_wire(single["definition"]), "")
    assert created.app_session_id == single["app_session_id"]
    assert (created.version, created.status, created.allocations) == (1, "open", ())
    assert (created.protocol, created.challenge, created.session_data) == (
        PROTOCOL,
        0,
        None,
    )
    assert session_result(created) == AppSessionResult(
        single["app_session_id"], 1, "open"
    )
