"""The v1 reads of one wallet: balances, transactions and app sessions (reads are public)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from ..addresses import parse_address  # noqa: TID252
from ..errors import ClearNodeProtocolError  # noqa: TID252
from ..models import AppSession, Balance, Transaction  # noqa: TID252
from . import validation as rules
from .conversions import transaction
from .models import (
    BalanceEntry,
    Transaction as NodeTransaction,
    TransactionType,
    app_session_from_wire,
    parse_items,
    parse_page,
)
from .node import Send

PAGE_SIZE = 100
# 10,000 open sessions: far beyond any wallet Home Assistant runs.
MAX_PAGES = 100


class Reads:
    """What a wallet reads from the node through ``send`` (a poll, an operation)."""

    def __init__(self, send: Send, wallet: str) -> None:
        """Read for ``wallet`` (EIP-55) by default."""
        self._send = send
        self._wallet = wallet

    async def get_balances(self, wallet: str | None = None) -> tuple[Balance, ...]:
        """Return a wallet's off-chain balances (ours by default; reads are public)."""
        owner = self._wallet if wallet is None else parse_address(wallet, "wallet")
        result = await self._send("user.v1.get_balances", {"wallet": owner.lower()})
        entries = parse_items(result, "balances", BalanceEntry.from_wire)
        return tuple(Balance(entry.asset, entry.amount) for entry in entries)

    async def transactions(
        self, tx_type: TransactionType | None = None, limit: int = PAGE_SIZE
    ) -> tuple[Transaction, ...]:
        """Return our newest transactions (at most ``limit``, up to a page)."""
        query: dict[str, Any] = {
            "wallet": self._wallet.lower(),
            "pagination": {"limit": min(limit, PAGE_SIZE)},
        }
        if tx_type is not None:
            query["tx_type"] = int(tx_type)
        result = await self._send("user.v1.get_transactions", query)
        records, _ = parse_page(result, "transactions", NodeTransaction.from_wire)
        return tuple(transaction(record) for record in records)

    async def find_session(self, app_session_id: str) -> AppSession | None:
        """Return one app session as the node lists it, None if it has none."""
        result = await self._send(
            "app_sessions.v1.get_app_sessions", {"app_session_id": app_session_id}
        )
        sessions, _ = parse_page(result, "app_sessions", app_session_from_wire)
        return next((s for s in sessions if s.app_session_id == app_session_id), None)

    async def open_sessions(self) -> tuple[AppSession, ...]:
        """Return every open app session we take part in, newest first."""
        return tuple([session async for session in self.sessions(status="open")])

    async def sessions(
        self, participant: str | None = None, status: str | None = None
    ) -> AsyncGenerator[AppSession]:
        """Yield the app sessions of ``participant`` (our wallet by default), newest first.

        Every page is read, up to MAX_PAGES; a session that moves on to the next page
        while they are read is yielded once.
        """
        owner = (
            self._wallet
            if participant is None
            else parse_address(participant, "participant")
        )
        query: dict[str, Any] = {"participant": owner.lower()}
        if status is not None:
            query["status"] = rules.status(status)
        seen: set[str] = set()
        for page in range(MAX_PAGES):
            pagination = {"offset": page * PAGE_SIZE, "limit": PAGE_SIZE}
            result = await self._send(
                "app_sessions.v1.get_app_sessions", query | {"pagination": pagination}
            )
            sessions, metadata = parse_page(
                result, "app_sessions", app_session_from_wire
            )
            for session in sessions:
                if session.app_session_id not in seen:
                    seen.add(session.app_session_id)
                    yield session
            if len(sessions) < PAGE_SIZE or page + 1 >= metadata.page_count:
                return
        listed = " ".join(filter(None, (status, "app sessions")))
        msg = f"more than {MAX_PAGES * PAGE_SIZE} {listed}"
        raise ClearNodeProtocolError(msg)
