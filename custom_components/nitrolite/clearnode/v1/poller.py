"""Changes made by others, found by polling a v1 node (HA_MAPPING §4.3).

A v1 node pushes nothing. Each poll reads the balances and the open sessions, then
each session that left the open list; :class:`SessionPoller` turns what changed since
the last poll into the events the v0.5 client emits from its pushes:

- ``BalancesUpdated`` when the balances differ;
- ``AppSessionUpdated`` for a new session, or one at a newer version (``versions``
  says how many versions the change covers);
- ``AppSessionUpdated`` with status ``closed`` for a session that left the open list.
  A closed v1 session lists every allocation as ``"0"`` (the close emptied it), so the
  event carries the last open allocations seen: the split that was released.

Our own changes are recorded from their answers (:meth:`SessionPoller.record`) so
that the next poll does not report them again, also when they are made while a full
re-read (:func:`reread`) is under way.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
import time
from typing import Protocol

from ..models import (  # noqa: TID252
    AppSession,
    AppSessionUpdated,
    Balance,
    BalancesUpdated,
    ClearNodeEvent,
    Resynced,
)

# Closed sessions are remembered so that a listing read before the close cannot
# bring them back; a listing is never older than a few polls.
MAX_CLOSED_REMEMBERED = 256


class Reads(Protocol):
    """The reads a poll makes (:class:`~.reads.Reads` has them)."""

    async def get_balances(self) -> tuple[Balance, ...]:
        """Return our balances."""

    async def open_sessions(self) -> tuple[AppSession, ...]:
        """Return every open session we take part in."""

    async def find_session(self, app_session_id: str) -> AppSession | None:
        """Return one session, None if the node has none."""


class SessionPoller:
    """What the last poll saw, and the events the next one implies."""

    def __init__(self) -> None:
        """Start knowing nothing: the first poll reports everything."""
        self._balances: dict[str, Decimal] | None = None
        self._open: dict[str, AppSession] = {}
        self._closed: OrderedDict[str, int] = OrderedDict()
        self._collectors: list[list[AppSession]] = []

    @property
    def started(self) -> bool:
        """Whether a poll or a re-read has told what the node holds."""
        return self._balances is not None

    def latest(self, app_session_id: str) -> AppSession | None:
        """Return the newest open state known of a session (reported or recorded)."""
        return self._open.get(app_session_id)

    @contextmanager
    def recording(self) -> Iterator[list[AppSession]]:
        """Collect the states of ours recorded while the block runs."""
        collected: list[AppSession] = []
        self._collectors.append(collected)
        try:
            yield collected
        finally:
            self._collectors.remove(collected)

    def reset(
        self, balances: Sequence[Balance], open_sessions: Sequence[AppSession]
    ) -> None:
        """Take a full re-read (after a reconnect) as what has been reported."""
        self._balances = _amounts(balances)
        self._open = {s.app_session_id: s for s in open_sessions}
        self._closed.clear()

    def record(self, session: AppSession) -> None:
        """Note a state of ours that the node accepted, unless a newer one is known."""
        for collected in self._collectors:
            collected.append(session)
        session_id = session.app_session_id
        if session_id in self._closed:
            return
        known = self._open.get(session_id)
        if known is not None and known.version >= session.version:
            return
        if session.status == "closed":
            self._forget_closed(session)
        else:
            self._open[session_id] = session

    def observe(self, session: AppSession) -> list[ClearNodeEvent]:
        """Return the event for a session state read outside a poll, if it is news."""
        if session.status == "open":
            return self._listed_open(session)
        return self._left_open(session.app_session_id, session)

    def departed(self, open_sessions: Sequence[AppSession]) -> tuple[str, ...]:
        """Return the sessions last seen open that this listing leaves out."""
        listed = {s.app_session_id for s in open_sessions}
        return tuple(s for s in self._open if s not in listed)

    def update(
        self,
        balances: Sequence[Balance],
        open_sessions: Sequence[AppSession],
        departed: Mapping[str, AppSession | None],
    ) -> list[ClearNodeEvent]:
        """Return the events since the last poll.

        ``departed`` maps the sessions that left the open list to what the node says
        of them now.
        """
        events: list[ClearNodeEvent] = []
        amounts = _amounts(balances)
        if amounts != self._balances:
            self._balances = amounts
            events.append(BalancesUpdated(tuple(balances)))
        for listed in open_sessions:
            events.extend(self._listed_open(listed))
        for session_id, session in departed.items():
            events.extend(self._left_open(session_id, session))
        return events

    def _listed_open(self, session: AppSession) -> list[ClearNodeEvent]:
        if session.app_session_id in self._closed:
            return []  # a listing read before the close
        known = self._open.get(session.app_session_id)
        seen = 0 if known is None else known.version
        if session.version <= seen:
            return []
        self._open[session.app_session_id] = session
        return [AppSessionUpdated(session, session.version - seen)]

    def _left_open(
        self, session_id: str, session: AppSession | None
    ) -> list[ClearNodeEvent]:
        last_open = self._open.get(session_id)
        if last_open is None:
            return []  # recorded as closed by our own close meanwhile
        if session is None:
            del self._open[session_id]  # the node no longer knows it
            return []
        if session.status == "open":
            return self._listed_open(session)
        closed = replace(session, allocations=last_open.allocations)
        self._forget_closed(closed)
        return [AppSessionUpdated(closed, closed.version - last_open.version)]

    def _forget_closed(self, session: AppSession) -> None:
        self._open.pop(session.app_session_id, None)
        self._closed[session.app_session_id] = session.version
        while len(self._closed) > MAX_CLOSED_REMEMBERED:
            self._closed.popitem(last=False)


def _amounts(balances: Sequence[Balance]) -> dict[str, Decimal]:
    return {balance.asset: balance.amount for balance in balances}


async def poll(reads: Reads, poller: SessionPoller) -> list[ClearNodeEvent]:
    """Read balances, open sessions and the sessions that left; return the events."""
    balances = await reads.get_balances()
    open_sessions = await reads.open_sessions()
    departed = {
        session_id: await reads.find_session(session_id)
        for session_id in poller.departed(open_sessions)
    }
    return poller.update(balances, open_sessions, departed)


async def reread(reads: Reads, poller: SessionPoller) -> Resynced:
    """Read balances and open sessions in full; take them as reported (a resync).

    States of ours accepted while the listing was read are newer than it and stay
    recorded.
    """
    read_started = time.monotonic()
    with poller.recording() as recorded:
        balances = await reads.get_balances()
        open_sessions = await reads.open_sessions()
    poller.reset(balances, open_sessions)
    for session in recorded:
        poller.record(session)
    return Resynced(balances, open_sessions, read_started)
