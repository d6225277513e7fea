"""Changes sent without an answer: the ClearNode may have applied them.

Such a change is settled by the first listing of open sessions read after it (at once
by a re-read, or after the reconnect): the listing shows whether it applied. Until then
no new change of that session is computed from a state that may be outdated.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field, replace
from decimal import Decimal
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .clearnode import AppSession, ClearNodeError, ConnectionState, WalletClient
from .const import DOMAIN, LOGGER
from .errors import service_error
from .model import own_amounts
from .spending import Spend


@dataclass(slots=True)
class UnansweredChange:
    """A state change sent without an answer."""

    before: AppSession | None  # None: the change creates the session
    after: AppSession  # the session as it stands if the change was applied
    unanswered_at: float  # time.monotonic()
    spends: tuple[Spend, ...] = ()  # our deposits it counted against local caps
    settled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def app_session_id(self) -> str:
        """The session the change is about."""
        return self.after.app_session_id

    def outcome(self, listed: AppSession | None) -> AppSession | None:
        """Return what a listing of open sessions read after the change proves.

        That is the session as it now stands if the change was applied, None if not. A
        closed session is not listed; neither is a session whose creation was not
        applied. A listing that carries allocations (v1) tells the state itself; one
        past the change's version without them shows that others changed the session
        too: its allocations are then unknown.
        """
        after = self.after
        if listed is None:
            return after if after.status == "closed" else None
        if listed.version > after.version or (
            listed.version == after.version and listed.allocations is not None
        ):
            return listed
        if listed.version == after.version and after.status == "open":
            return replace(after, updated_at=listed.updated_at)
        return None

    def unapplied_spends(
        self, outcome: AppSession | None, wallet: str
    ) -> tuple[Spend, ...]:
        """Return the spends of the change that its outcome shows never left the wallet.

        A deposit left if our share of its asset reached what the change asked;
        where the outcome's allocations are unknown, it may have.
        """
        if outcome is None:
            return self.spends
        if outcome.allocations is None:
            return ()
        held = own_amounts(outcome, wallet)
        asked = own_amounts(self.after, wallet)
        return tuple(
            spend
            for spend in self.spends
            if held.get(spend.asset, Decimal(0)) < asked.get(spend.asset, Decimal(0))
        )


class UnansweredChanges:
    """The unanswered changes of one wallet, each until a listing settles it."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: WalletClient,
        request_timeout: float,
    ) -> None:
        """Nothing is unanswered yet."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._request_timeout = request_timeout
        self._changes: dict[str, UnansweredChange] = {}
        self._reread: asyncio.Task[None] | None = None

    def __contains__(self, app_session_id: object) -> bool:
        """Whether a change of the session awaits its outcome."""
        return app_session_id in self._changes

    @callback
    def async_add(
        self,
        before: AppSession | None,
        after: AppSession,
        spends: tuple[Spend, ...] = (),
    ) -> None:
        """Remember a change that got no answer, and find out its outcome at once."""
        self._changes[after.app_session_id] = UnansweredChange(
            before, after, time.monotonic(), spends
        )
        self.async_reread()

    @callback
    def async_settle(self, read_started: float) -> list[UnansweredChange]:
        """Hand over the changes a listing begun at ``read_started`` settles."""
        settled = [
            change
            for change in self._changes.values()
            if change.unanswered_at < read_started
        ]
        for change in settled:
            del self._changes[change.app_session_id]
            change.settled.set()
        return settled

    async def async_wait(self, app_session_id: str) -> None:
        """Return once no change of the session is waiting to learn its outcome.

        While connected, wait for the re-read that settles it (up to twice the request
        timeout); otherwise, or if it does not come, refuse.
        """
        change = self._changes.get(app_session_id)
        if change is None:
            return
        if self._client.state is ConnectionState.CONNECTED:
            self.async_reread()
            with suppress(TimeoutError):
                async with asyncio.timeout(2 * self._request_timeout):
                    await change.settled.wait()
        if not change.settled.is_set():
            raise service_error("outcome_pending", app_session_id=app_session_id)

    @callback
    def async_reread(self) -> None:
        """Re-read the state in the background, unless a re-read is running."""
        if self._reread is None or self._reread.done():
            self._reread = self._entry.async_create_background_task(
                self._hass, self._async_reread_until_settled(), f"{DOMAIN}_resync"
            )

    async def _async_reread_until_settled(self) -> None:
        """Re-read until every change is settled (a reconnect re-reads too)."""
        try:
            await self._client.resync()
            while self._changes and self._client.state is ConnectionState.CONNECTED:
                await self._client.resync()
        except ClearNodeError as err:
            LOGGER.debug(
                "Could not re-read the state after an unanswered request: %s", err
            )
