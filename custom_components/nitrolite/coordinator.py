"""Lifecycle and state model of one wallet on one ClearNode."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace
from datetime import datetime, timedelta
import math
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from . import issues
from .clearnode import (
    Allocation,
    AppSession,
    AppSessionUpdated,
    BalancesUpdated,
    ClearNodeAuthenticationError,
    ClearNodeError,
    ClearNodeEvent,
    ConnectionState,
    ConnectionStateChanged,
    Feature,
    Resynced,
    WalletClient,
)
from .const import (
    CLOSED_SESSION_PRUNE_INTERVAL,
    CONF_APPLICATION,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_ENDPOINT,
    DEFAULT_CLOSED_SESSION_RETENTION_HOURS,
    DOMAIN,
    LOGGER,
)
from .devices import async_remove_session_devices, async_remove_unknown_session_devices
from .errors import async_report, async_setup_error, async_update_failed
from .events import async_announce
from .model import (
    NitroliteData,
    Reading,
    SessionRecord,
    closed_at,
    closed_unseen,
    supersedes,
)
from .settlement import UnansweredChange, UnansweredChanges
from .spending import SpendingCaps
from .storage import SessionStore


class NitroliteCoordinator(DataUpdateCoordinator[NitroliteData]):
    """Connects, reads the wallet's state, and takes in every change of it."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: ConfigEntry,
        client: WalletClient,
        request_timeout: float,
    ) -> None:
        """Keep the client; nothing is connected yet."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=config_entry,
            name=DOMAIN,
            update_interval=None,
        )
        self.client = client
        self.data = NitroliteData(client.wallet_address)
        self.session_store = SessionStore(hass, config_entry.entry_id)
        self.unanswered = UnansweredChanges(hass, config_entry, client, request_timeout)
        # Where the node caps nothing, Home Assistant caps what leaves the wallet.
        self.spending = (
            None
            if Feature.SERVER_SPENDING_CAPS in client.features
            else SpendingCaps(hass, config_entry)
        )
        self._balances_read_at = -math.inf
        self._started = False
        self._unsub_stop: CALLBACK_TYPE | None = None

    @property
    def wallet_address(self) -> str:
        """EIP-55 address of our wallet."""
        return self.client.wallet_address

    @property
    def application(self) -> str:
        """Application name our session key is registered for."""
        return str(self.config_entry.data[CONF_APPLICATION])

    @property
    def connected(self) -> bool:
        """Whether the connection is up and the state model current."""
        return self.data.connection_state is ConnectionState.CONNECTED

    @property
    def closed_session_retention(self) -> timedelta:
        """How long closed sessions stay visible."""
        hours = self.config_entry.options.get(
            CONF_CLOSED_SESSION_RETENTION, DEFAULT_CLOSED_SESSION_RETENTION_HOURS
        )
        return timedelta(hours=hours)

    # Lifecycle ---------------------------------------------------------------

    async def async_connect(self) -> None:
        """Log in for the first time; raise what config-entry setup expects.

        A failed setup unloads the entry, and the coordinator's shutdown closes the
        client.
        """
        try:
            await self.client.connect()
        except ClearNodeError as err:
            raise async_setup_error(self.hass, self.config_entry, err) from err
        issues.async_delete_issues(self.hass, self.config_entry)

    async def _async_setup(self) -> None:
        """Load the remembered sessions and spends, then follow the client's events."""
        await self.session_store.async_load()
        if self.spending is not None:
            await self.spending.async_load()
        self.config_entry.async_on_unload(
            self.client.subscribe(self._async_handle_event)
        )

    async def _async_update_data(self) -> NitroliteData:
        """Re-read balances and open sessions; at start-up also what closed recently."""
        try:
            await self.client.resync()  # taken in as its Resynced event
            if not self._started:
                await self._async_read_history()
        except ClearNodeError as err:
            raise async_update_failed(self.hass, self.config_entry, err) from err
        return self.data

    async def _async_read_history(self) -> None:
        """Complete the first read: recently closed sessions, and our unknown shares."""
        read_started = time.monotonic()
        closed = await self._async_recently_closed_sessions()
        self.async_reconcile(Reading(read_started=read_started, sessions=tuple(closed)))
        self.session_store.async_retain(
            session_id
            for session_id, record in self.data.sessions.items()
            if record.session.status == "open"
        )
        async_remove_unknown_session_devices(
            self.hass, self.config_entry, self.data.sessions.keys()
        )
        await self._async_read_shares(self._unknown_shares())

    async def _async_recently_closed_sessions(self) -> list[AppSession]:
        """Return our closed sessions still inside the retention window.

        The ClearNode lists sessions by last update, newest first, so reading stops at
        the first one closed before the window.
        """
        deadline = dt_util.utcnow() - self.closed_session_retention
        recent: list[AppSession] = []
        async with aclosing(
            self.client.iter_app_sessions(
                participant=self.wallet_address, status="closed"
            )
        ) as closed_sessions:
            async for session in closed_sessions:
                updated = dt_util.parse_datetime(session.updated_at)
                if updated is None or updated <= deadline:
                    break
                recent.append(session)
        return recent

    @callback
    def async_start(self) -> None:
        """Announce changes from now on, keep the connection, stop with Home Assistant."""
        self._started = True
        entry = self.config_entry
        entry.async_create_background_task(
            self.hass, self.client.run(), f"{DOMAIN}_{entry.entry_id}_connection"
        )
        self._unsub_stop = self.hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_handle_stop
        )
        entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._async_prune_closed_sessions,
                CLOSED_SESSION_PRUNE_INTERVAL,
            )
        )

    async def _async_handle_stop(self, _event: Event) -> None:
        self._unsub_stop = None  # a fired one-time listener is already gone
        await self.client.close()
        await self.session_store.async_flush()

    async def async_shutdown(self) -> None:
        """Close the connection and save what is unsaved when the entry unloads."""
        await super().async_shutdown()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        await self.client.close()
        await self.session_store.async_flush()

    # Sources of state ----------------------------------------------------------

    @callback
    def _async_handle_event(self, event: ClearNodeEvent) -> None:
        match event:
            case ConnectionStateChanged():
                self._async_connection_changed(event)
            case Resynced():
                self.async_reconcile(
                    Reading(
                        read_started=event.read_started,
                        balances=event.balances,
                        open_sessions=event.open_sessions,
                    )
                )
            case BalancesUpdated():
                self.async_reconcile(
                    Reading(read_started=time.monotonic(), balances=event.balances)
                )
            case AppSessionUpdated():
                self.async_reconcile(
                    Reading(read_started=time.monotonic(), sessions=(event.session,))
                )

    @callback
    def _async_connection_changed(self, event: ConnectionStateChanged) -> None:
        self.data.connection_state = event.state
        if event.error is not None:
            translated = async_report(self.hass, self.config_entry, event.error)
            if (
                translated.issue is None
                and isinstance(event.error, ClearNodeAuthenticationError)
                and Feature.LOGIN in self.client.features
            ):
                self.config_entry.async_start_reauth(self.hass)
        if event.state is not ConnectionState.CONNECTED and self.last_update_success:
            LOGGER.info("Lost the connection to the ClearNode at %s", self._endpoint)
            self.last_update_success = False
        self.async_update_listeners()

    def _unknown_shares(self) -> list[str]:
        """Return the open sessions whose allocations and our share are unknown."""
        return [
            session_id
            for session_id, record in self.data.sessions.items()
            if record.session.status == "open"
            and record.session.allocations is None
            and record.own_share is None
        ]

    async def _async_read_shares(self, session_ids: list[str]) -> None:
        """Ask the ClearNode our share of these sessions."""
        read_started = time.monotonic()
        shares = {
            session_id: {
                share.asset: share.amount
                for share in await self.client.get_session_share(session_id)
            }
            for session_id in session_ids
        }
        self.async_reconcile(Reading(read_started=read_started, shares=shares))

    async def _async_read_shares_quietly(self, session_ids: list[str]) -> None:
        try:
            await self._async_read_shares(session_ids)
        except ClearNodeError as err:
            LOGGER.debug("Could not read our share of new app sessions: %s", err)

    # The state model -----------------------------------------------------------

    @callback
    def async_reconcile(self, reading: Reading) -> None:
        """Take what one source read into the state model: every change comes here.

        What a source read from ``read_started`` on is ignored where the model holds
        something read or changed after that moment:
        - balances replace the shown ones unless those were read later (a balance
          pushed while a re-read was on its way wins over the re-read);
        - a listing, or a read of our share, does not touch a session that changed
          after the read began (a listing older than our own create cannot close it).
        A session's state replaces the one held only if it is later (a later version,
        or closed): an answer and the push of the same change, or a stale listing,
        cannot roll a session back.
        """
        started = reading.read_started
        changed = False
        if reading.balances is not None and started >= self._balances_read_at:
            self._balances_read_at = started
            self.data.balances = {b.asset: b.amount for b in reading.balances}
            changed = True
        if reading.open_sessions is not None:
            self._async_take_listing(reading.open_sessions, started)
        for session in reading.sessions:
            changed |= self._async_take_state(session)
        for session_id, share in reading.shares.items():
            record = self.data.sessions.get(session_id)
            if record is not None and record.changed_at <= started:
                self.data.sessions[session_id] = replace(record, own_share=share)
                changed = True
        if reading.open_sessions is not None:
            self._async_listing_taken()
        elif changed:
            self._async_publish()

    @callback
    def _async_take_listing(
        self, open_sessions: tuple[AppSession, ...], read_started: float
    ) -> None:
        """Take a listing of every open session: settle, close the missing, add the new."""
        listed = {session.app_session_id: session for session in open_sessions}
        for change in self.unanswered.async_settle(read_started):
            self._async_take_outcome(change, listed.get(change.app_session_id))
        for session_id, record in list(self.data.sessions.items()):
            if (
                record.session.status == "open"
                and session_id not in listed
                and record.changed_at <= read_started
            ):
                self._async_take_state(closed_unseen(record.session))
        for session in self.session_store.restore(open_sessions):
            self._async_take_state(session, listed=True)

    @callback
    def _async_take_outcome(
        self, change: UnansweredChange, listed: AppSession | None
    ) -> None:
        """Take the outcome of an unanswered change, as a listing read after it tells.

        Its deposits that did not happen stop counting against the local caps.
        """
        outcome = change.outcome(listed)
        if outcome is not None:
            self._async_take_state(outcome)
        elif change.before is None and change.app_session_id not in self.data.sessions:
            self.session_store.async_forget(change.app_session_id)  # never created
        if self.spending is not None:
            self.spending.async_release(
                change.unapplied_spends(outcome, self.wallet_address)
            )

    @callback
    def _async_take_state(self, session: AppSession, *, listed: bool = False) -> bool:
        """Take a session's state if it is later than the one held; announce it."""
        held = self.data.sessions.get(session.app_session_id)
        if held is not None and not supersedes(session, held.session):
            return False
        self.data.sessions[session.app_session_id] = SessionRecord(
            session,
            changed_at=time.monotonic(),
            closed_at=closed_at(session) if session.status == "closed" else None,
        )
        self.session_store.async_remember(session)
        if self._started:  # the first read describes no change
            async_announce(
                self.hass,
                self.config_entry,
                None if held is None else held.session,
                session,
                listed=listed,
            )
        return True

    @callback
    def async_restore_allocations(
        self, app_session_id: str, version: int, allocations: tuple[Allocation, ...]
    ) -> None:
        """Fill in the allocations of a session held at ``version`` without them.

        They are those of a change we signed whose answer was lost with a restart: the
        ClearNode lists the version it made, never allocations.
        """
        record = self.data.sessions.get(app_session_id)
        if (
            record is None
            or record.session.version != version
            or record.session.allocations is not None
        ):
            return
        session = replace(record.session, allocations=allocations)
        self.data.sessions[app_session_id] = replace(
            record, session=session, own_share=None
        )
        self.session_store.async_remember(session)
        self._async_publish()

    @callback
    def async_forget_session(self, app_session_id: str) -> None:
        """Drop an app session from the state model and the store."""
        self.data.sessions.pop(app_session_id, None)
        self.session_store.async_forget(app_session_id)

    @callback
    def _async_prune_closed_sessions(self, _now: datetime) -> None:
        """Forget closed sessions kept longer than the retention, and their devices."""
        deadline = dt_util.utcnow() - self.closed_session_retention
        expired = [
            session_id
            for session_id, record in self.data.sessions.items()
            if record.closed_at is not None and record.closed_at <= deadline
        ]
        if not expired:
            return
        for session_id in expired:
            self.async_forget_session(session_id)
        async_remove_session_devices(self.hass, self.config_entry, expired)
        self._async_publish()

    # Entities --------------------------------------------------------------------

    @callback
    def _async_publish(self) -> None:
        """Tell entities; only a listing after a drop makes them available again."""
        if self.last_update_success:
            self.async_set_updated_data(self.data)
        else:
            self.async_update_listeners()

    @callback
    def _async_listing_taken(self) -> None:
        """Mark the state current again (read in full); read the shares it lacks."""
        self.data.connection_state = ConnectionState.CONNECTED
        issues.async_delete_connection_issues(self.hass, self.config_entry)
        if not self.last_update_success:
            LOGGER.info("Reconnected to the ClearNode at %s", self._endpoint)
        self.async_set_updated_data(self.data)
        if self._started and (unknown := self._unknown_shares()):
            self.config_entry.async_create_background_task(
                self.hass,
                self._async_read_shares_quietly(unknown),
                f"{DOMAIN}_own_allocations",
            )

    @property
    def _endpoint(self) -> str:
        return str(self.config_entry.data[CONF_ENDPOINT])
