"""v1 answers as the library's neutral models, which the integration reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..addresses import to_checksum_address  # noqa: TID252
from ..errors import ClearNodeProtocolError  # noqa: TID252
from ..models import (  # noqa: TID252
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionStatus,
    Transaction,
)
from .hashing import app_session_id
from .models import (
    AppIntent,
    AppStateUpdate,
    Transaction as NodeTransaction,
    TransactionType,
    session_of,
)

_ADDRESS_CHARS = 42


def next_session(
    session: AppSession,
    update: AppStateUpdate,
    allocations: tuple[Allocation, ...],
) -> AppSession:
    """Return ``session`` as the node holds it after accepting ``update``."""
    status: AppSessionStatus = "closed" if update.intent is AppIntent.CLOSE else "open"
    return replace(
        session,
        status=status,
        version=update.version,
        allocations=allocations,
        session_data=update.session_data or session.session_data,
    )


def created_session(definition: AppDefinition, session_data: str) -> AppSession:
    """Return a session as the node creates it: version 1, nothing allocated."""
    return session_of(
        definition,
        app_session_id=app_session_id(definition),
        status="open",
        version=1,
        session_data=session_data or None,
        allocations=(),
    )


def check_created(result: Mapping[str, Any], session: AppSession) -> None:
    """Refuse a ``create_app_session`` answer for another session than ``session``."""
    answered = (
        result.get("app_session_id"),
        result.get("version"),
        result.get("status"),
    )
    if answered != (session.app_session_id, "1", "open"):
        msg = "create_app_session answered for another session"
        raise ClearNodeProtocolError(msg)


def session_result(session: AppSession) -> AppSessionResult:
    """Return what the neutral client API answers for a session change."""
    return AppSessionResult(session.app_session_id, session.version, session.status)


def _account(value: str) -> str:
    """Wallets in EIP-55; app session ids as they are."""
    return to_checksum_address(value) if len(value) == _ADDRESS_CHARS else value


def transaction(record: NodeTransaction) -> Transaction:
    """Return a v1 transaction record as the neutral model (``tx_type`` by name)."""
    kind = record.tx_type
    name = TransactionType(kind).name.lower() if kind in TransactionType else str(kind)
    return Transaction(
        id=record.id,
        tx_type=name,
        from_account=_account(record.from_account),
        to_account=_account(record.to_account),
        asset=record.asset,
        amount=record.amount,
        created_at=record.created_at,
    )
