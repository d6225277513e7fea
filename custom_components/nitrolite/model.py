"""The state model the entities read: one wallet's balances and app sessions.

Every source of state (the first read, a push, a re-read, an action's answer, a settled
unanswered change) hands the coordinator a :class:`Reading`; the coordinator takes it in
through one routine. This module holds the vocabulary, no Home Assistant object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from homeassistant.util import dt as dt_util

from .clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionStatus,
    Balance,
    ConnectionState,
)

type Amounts = Mapping[str, Decimal]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reading:
    """What one source tells about the wallet, read from ``read_started`` on.

    ``read_started`` is a ``time.monotonic()``: whatever changed in the model after it
    is newer than the reading.
    """

    read_started: float
    balances: tuple[Balance, ...] | None = None
    # Every open session of the wallet, as listed: one missing from it has closed.
    open_sessions: tuple[AppSession, ...] | None = None
    # States learnt one by one: pushed, answered, settled, or closed while we were away.
    sessions: tuple[AppSession, ...] = ()
    # Our share per asset of sessions whose allocations are unknown, by session id.
    shares: Mapping[str, Amounts] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What Home Assistant holds of one app session; replaced, never changed in place."""

    session: AppSession
    changed_at: float  # time.monotonic() when the model last took this session in
    closed_at: datetime | None = None
    # Our share per asset, read from the ClearNode while the allocations are unknown.
    own_share: Amounts | None = None

    def own_allocation(self, wallet: str) -> dict[str, Decimal]:
        """Our amount per asset: from the allocations, else the share the node told."""
        if self.session.allocations is None:
            return dict(self.own_share or {})
        return own_amounts(self.session, wallet)


@dataclass(slots=True)
class NitroliteData:
    """One wallet's state on one ClearNode."""

    wallet_address: str
    connection_state: ConnectionState = ConnectionState.DISCONNECTED
    balances: dict[str, Decimal] = field(default_factory=dict)
    sessions: dict[str, SessionRecord] = field(default_factory=dict)

    def session(self, app_session_id: str) -> AppSession | None:
        """Return a session as currently known."""
        record = self.sessions.get(app_session_id)
        return None if record is None else record.session

    def own_allocation(self, app_session_id: str) -> dict[str, Decimal]:
        """Our wallet's amount per asset in an app session (empty when unknown)."""
        record = self.sessions.get(app_session_id)
        return {} if record is None else record.own_allocation(self.wallet_address)

    @property
    def open_session_count(self) -> int:
        """How many of the wallet's sessions are open."""
        return sum(record.session.status == "open" for record in self.sessions.values())


def own_amounts(session: AppSession, wallet: str) -> dict[str, Decimal]:
    """Our amount per asset in a session's allocations (empty when unknown)."""
    return {
        allocation.asset: allocation.amount
        for allocation in session.allocations or ()
        if allocation.participant == wallet
    }


def supersedes(new: AppSession, held: AppSession) -> bool:
    """Whether ``new`` is a later state than ``held``: a later version, or closed."""
    return (new.version, new.status == "closed") > (
        held.version,
        held.status == "closed",
    )


def closed_at(session: AppSession) -> datetime:
    """When a closed session closed, as its state says (else now)."""
    return dt_util.parse_datetime(session.updated_at) or dt_util.utcnow()


def created_session(
    app_session_id: str,
    definition: AppDefinition,
    allocations: tuple[Allocation, ...],
    session_data: str | None,
) -> AppSession:
    """Return the session a create request makes if the ClearNode applies it."""
    now = dt_util.utcnow().isoformat()
    return AppSession(
        app_session_id=app_session_id,
        application=definition.application,
        status="open",
        participants=definition.participants,
        weights=definition.weights,
        quorum=definition.quorum,
        protocol=definition.protocol,
        challenge=definition.challenge,
        nonce=definition.nonce,
        version=1,
        session_data=session_data,
        created_at=now,
        updated_at=now,
        allocations=allocations,
    )


def next_state(
    session: AppSession,
    status: AppSessionStatus,
    allocations: tuple[Allocation, ...],
    session_data: str | None,
) -> AppSession:
    """Return the session after one more state (submitted or closing) is applied."""
    return replace(
        session,
        status=status,
        version=session.version + 1,
        allocations=allocations,
        session_data=session.session_data if session_data is None else session_data,
        updated_at=dt_util.utcnow().isoformat(),
    )


def closed_unseen(session: AppSession) -> AppSession:
    """Return a session found closed without seeing its last state (not listed)."""
    return replace(session, status="closed", updated_at=dt_util.utcnow().isoformat())
