"""The one way sessions, amounts and transactions are written out as JSON.

Events, entity attributes, action responses, diagnostics and storage each show a
selection of a session's fields; all take them from :func:`session_json`. Amounts are
written with ``format_amount`` ("0.00000000000000000000000000001", never "1E-29").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final, TypedDict

from .clearnode import Allocation, AppSession, Balance, Transaction, format_amount

EVENT_FIELDS: Final = (
    "app_session_id",
    "application",
    "status",
    "version",
    "allocations",
)
DEFINITION_FIELDS: Final = ("participants", "weights", "quorum", "protocol")
RESPONSE_FIELDS: Final = (*EVENT_FIELDS, *DEFINITION_FIELDS, "session_data")
DIAGNOSTICS_FIELDS: Final = (*EVENT_FIELDS, *DEFINITION_FIELDS)
# The status is the entity's state, not an attribute.
ATTRIBUTE_FIELDS: Final = (
    "app_session_id",
    "application",
    "protocol",
    "participants",
    "weights",
    "quorum",
    "challenge",
    "nonce",
    "version",
    "session_data",
    "allocations",
)


class AllocationJson(TypedDict):
    """An allocation as JSON."""

    participant: str
    asset: str
    amount: str


def allocations_json(
    allocations: Sequence[Allocation] | None,
) -> list[AllocationJson] | None:
    """Write allocations as ``{participant, asset, amount}`` items; None when unknown."""
    if allocations is None:
        return None
    return [
        {
            "participant": allocation.participant,
            "asset": allocation.asset,
            "amount": format_amount(allocation.amount),
        }
        for allocation in allocations
    ]


def session_json(session: AppSession, fields: Iterable[str]) -> dict[str, Any]:
    """Write the named fields of an app session."""
    values: dict[str, Any] = {
        "app_session_id": session.app_session_id,
        "application": session.application,
        "status": session.status,
        "version": session.version,
        "allocations": allocations_json(session.allocations),
        "participants": list(session.participants),
        "weights": list(session.weights),
        "quorum": session.quorum,
        "protocol": session.protocol,
        "challenge": session.challenge,
        "nonce": session.nonce,
        "session_data": session.session_data,
    }
    return {name: values[name] for name in fields}


def amounts_json(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    """Write amounts by asset."""
    return {asset: format_amount(amount) for asset, amount in amounts.items()}


def balance_json(balance: Balance) -> dict[str, Any]:
    """Write one asset's balance."""
    return {"asset": balance.asset, "amount": format_amount(balance.amount)}


def transaction_json(transaction: Transaction) -> dict[str, Any]:
    """Write a ledger transaction."""
    return {
        "id": transaction.id,
        "tx_type": transaction.tx_type,
        "from_account": transaction.from_account,
        "to_account": transaction.to_account,
        "asset": transaction.asset,
        "amount": format_amount(transaction.amount),
        "created_at": transaction.created_at,
    }
