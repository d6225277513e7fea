"""Push-fed state of one wallet on one ClearNode, and the actions on it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing, asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
import math
import time
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from . import repairs
from .clearnode import (
    EXACT,
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionStatus,
    AppSessionUpdated,
    Balance,
    BalancesUpdated,
    ClearNodeAllowanceError,
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeClockSkewError,
    ClearNodeConnectionError,
    ClearNodeError,
    ClearNodeEvent,
    ClearNodeRejectedError,
    ClearNodeSessionKeyError,
    ClearNodeTimeoutError,
    ClearNodeValidationError,
    ConnectionState,
    ConnectionStateChanged,
    Resynced,
    Transaction,
    WalletClient,
)
from .const import (
    BUS_EVENT_PREFIX,
    CLOSED_SESSION_PRUNE_INTERVAL,
    CONF_APPLICATION,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_DEFAULT_ASSET,
    CONF_ENDPOINT,
    CONF_REQUEST_TIMEOUT,
    DEFAULT_CLOSED_SESSION_RETENTION_HOURS,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    DOMAIN,
    EVENT_CLOSED,
    EVENT_CREATED,
    EVENT_PAYMENT,
    EVENT_UPDATED,
    LOGGER,
)
from .storage import SessionStore
from .validation import (
    check_others_need_us,
    check_own_weight_reaches_quorum,
    validation_error,
)

if TYPE_CHECKING:
    from .presets import PresetManager

type NitroliteConfigEntry = ConfigEntry[NitroliteRuntimeData]
type NitroliteEventListener = Callable[[str, dict[str, Any]], None]


@dataclass
class NitroliteRuntimeData:
    """What a loaded config entry holds."""

    client: WalletClient
    coordinator: NitroliteCoordinator
    presets: PresetManager


@dataclass
class NitroliteData:
    """The state model the entities read."""

    connection_state: ConnectionState = ConnectionState.DISCONNECTED
    balances: dict[str, Decimal] = field(default_factory=dict)
    app_sessions: dict[str, AppSession] = field(default_factory=dict)
    closed_at: dict[str, datetime] = field(default_factory=dict)
    # Our own share per asset, for sessions whose full allocations are unknown.
    own_allocations: dict[str, dict[str, Decimal]] = field(default_factory=dict)


@dataclass(slots=True)
class _UnansweredChange:
    """A state change sent without an answer: the ClearNode may have applied it."""

    before: AppSession | None  # None: the change creates the session
    after: AppSession  # the session as it stands if the change was applied
    unanswered_at: float = field(default_factory=time.monotonic)
    resolved: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def app_session_id(self) -> str:
        """The session the change is about."""
        return self.after.app_session_id


class NitroliteCoordinator(DataUpdateCoordinator[NitroliteData]):
    """Owns the ClearNode client of one config entry; fed by its pushes."""

    config_entry: NitroliteConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: NitroliteConfigEntry,
        client: WalletClient,
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
        self._session_store = SessionStore(hass, config_entry.entry_id)
        self._event_listeners: list[NitroliteEventListener] = []
        self._unsub_stop: CALLBACK_TYPE | None = None
        self._stored_at: dict[str, float] = {}
        self._balances_at = -math.inf
        self._session_locks: dict[str, asyncio.Lock] = {}
        self._unanswered: dict[str, _UnansweredChange] = {}
        self._reread: asyncio.Task[None] | None = None
        self._last_nonce = 0

    # Lifecycle ---------------------------------------------------------------

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

    async def async_connect(self) -> None:
        """Log in for the first time; raise what config-entry setup expects.

        A failed setup unloads the entry, and the coordinator's shutdown closes the client.
        """
        try:
            await self.client.connect()
        except ClearNodeBrokerChangedError as err:
            repairs.async_create_broker_changed_issue(
                self.hass, self.config_entry, err.expected, err.actual
            )
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="broker_changed",
                translation_placeholders={
                    "expected": err.expected,
                    "actual": err.actual,
                },
            ) from err
        except ClearNodeAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="authentication_failed"
            ) from err
        except ClearNodeError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err
        repairs.async_delete_issues(self.hass, self.config_entry)

    async def _async_setup(self) -> None:
        await self._session_store.async_load()

    async def _async_update_data(self) -> NitroliteData:
        """Read balances and our open app sessions (start-up discovery)."""
        try:
            balances = await self.client.get_balances()
            sessions = self._session_store.restore(
                [
                    session
                    async for session in self.client.iter_app_sessions(
                        participant=self.wallet_address, status="open"
                    )
                ]
            )
            self._session_store.async_retain(s.app_session_id for s in sessions)
            data = NitroliteData(connection_state=ConnectionState.CONNECTED)
            data.balances = _balance_map(balances)
            for session in sessions:
                data.app_sessions[session.app_session_id] = session
            for session, closed_at in await self._async_recently_closed_sessions():
                data.app_sessions[session.app_session_id] = session
                data.closed_at[session.app_session_id] = closed_at
            await self._async_fill_own_allocations(data, sessions)
        except ClearNodeClockSkewError as err:
            repairs.async_create_clock_skew_issue(self.hass, self.config_entry)
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="clock_skew"
            ) from err
        except ClearNodeError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        return data

    async def _async_recently_closed_sessions(
        self,
    ) -> list[tuple[AppSession, datetime]]:
        """Return our closed sessions still inside the retention window.

        The ClearNode lists sessions by last update, newest first, so reading stops at
        the first one closed before the window.
        """
        deadline = dt_util.utcnow() - self.closed_session_retention
        recent: list[tuple[AppSession, datetime]] = []
        async with aclosing(
            self.client.iter_app_sessions(
                participant=self.wallet_address, status="closed"
            )
        ) as closed_sessions:
            async for session in closed_sessions:
                closed_at = dt_util.parse_datetime(session.updated_at)
                if closed_at is None or closed_at <= deadline:
                    break
                recent.append((session, closed_at))
        return recent

    @callback
    def async_start(self) -> None:
        """Follow pushes, keep the connection, and stop with Home Assistant."""
        entry = self.config_entry
        entry.async_on_unload(self.client.subscribe(self._async_handle_event))
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

    async def async_shutdown(self) -> None:
        """Close the connection when the entry unloads."""
        await super().async_shutdown()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        await self.client.close()
        await self._session_store.async_flush()

    # Pushes from the ClearNode -------------------------------------------------

    @callback
    def _async_handle_event(self, event: ClearNodeEvent) -> None:
        match event:
            case ConnectionStateChanged():
                self._async_connection_changed(event)
            case Resynced():
                self._async_resynced(event)
            case BalancesUpdated():
                self.data.balances = _balance_map(event.balances)
                self._balances_at = time.monotonic()
                self._async_publish()
            case AppSessionUpdated():
                self._async_session_pushed(event.session)

    @callback
    def _async_connection_changed(self, event: ConnectionStateChanged) -> None:
        self.data.connection_state = event.state
        if isinstance(event.error, ClearNodeSessionKeyError):
            repairs.async_create_session_key_issue(self.hass, self.config_entry)
        elif isinstance(event.error, ClearNodeAuthenticationError):
            self.config_entry.async_start_reauth(self.hass)
        elif isinstance(event.error, ClearNodeClockSkewError):
            repairs.async_create_clock_skew_issue(self.hass, self.config_entry)
        elif isinstance(event.error, ClearNodeBrokerChangedError):
            repairs.async_create_broker_changed_issue(
                self.hass, self.config_entry, event.error.expected, event.error.actual
            )
        if event.state is not ConnectionState.CONNECTED and self.last_update_success:
            LOGGER.info("Lost the connection to the ClearNode at %s", self._endpoint)
            self.last_update_success = False
        self.async_update_listeners()

    @callback
    def _async_resynced(self, event: Resynced) -> None:
        """Take over the state re-read after a (re)login."""
        data = self.data
        data.connection_state = ConnectionState.CONNECTED
        if self._balances_at < event.read_started:
            data.balances = _balance_map(event.balances)
        listed_by_id = {
            session.app_session_id: session for session in event.open_sessions
        }
        for change in list(self._unanswered.values()):
            if change.unanswered_at < event.read_started:
                self._async_resolve(change, listed_by_id.get(change.app_session_id))
        still_open = listed_by_id.keys()
        for session_id, session in list(data.app_sessions.items()):
            if (
                session.status == "open"
                and session_id not in still_open
                and not self._changed_since(session_id, event.read_started)
            ):
                self._async_store_closed(replace(session, status="closed"))
        unknown = [
            session
            for session in event.open_sessions
            if session.app_session_id not in data.app_sessions
        ]
        listed = [
            session
            for session in self._session_store.restore(event.open_sessions)
            if not self._changed_since(session.app_session_id, event.read_started)
        ]
        for session in listed:
            self._async_store_session(session)
        for session in unknown:
            self._async_fire(EVENT_CREATED, session)
        repairs.async_delete_connection_issues(self.hass, self.config_entry)
        if not self.last_update_success:
            LOGGER.info("Reconnected to the ClearNode at %s", self._endpoint)
        self.async_set_updated_data(data)
        if unresolved := [session for session in listed if session.allocations is None]:
            self.config_entry.async_create_background_task(
                self.hass,
                self._async_refresh_own_allocations(unresolved),
                f"{DOMAIN}_own_allocations",
            )

    @callback
    def _async_resolve(
        self, change: _UnansweredChange, listed: AppSession | None
    ) -> None:
        """Settle an unanswered change with a listing read after it; fire its event."""
        del self._unanswered[change.app_session_id]
        change.resolved.set()
        known = self.data.app_sessions.get(change.app_session_id)
        if known is not None and known.version >= change.after.version:
            return  # A push has told us already.
        applied = _applied_state(change, listed)
        if applied is not None:
            self._async_apply_session(known, applied)
        elif change.before is None:
            self._session_store.async_forget(change.app_session_id)

    def _changed_since(self, session_id: str, moment: float) -> bool:
        """Whether we stored a state of the session after ``moment`` (monotonic).

        A listing read before our own create, payment or close landed must not undo it.
        """
        return self._stored_at.get(session_id, -math.inf) > moment

    @callback
    def _async_session_pushed(self, session: AppSession) -> None:
        known = self.data.app_sessions.get(session.app_session_id)
        if known is not None and known.version >= session.version:
            return  # Already applied from our own request's answer.
        self._async_apply_session(known, session)
        self._async_publish()

    # State model -------------------------------------------------------------

    @callback
    def _async_apply_session(
        self, known: AppSession | None, session: AppSession
    ) -> None:
        """Store a newer session and fire the event that describes the change."""
        if session.status == "closed":
            self._async_store_closed(session)
            return
        self._async_store_session(session)
        if known is None:
            self._async_fire(EVENT_CREATED, session)
        elif (payment := _detect_payment(known, session)) is not None:
            self._async_fire(EVENT_PAYMENT, session, payment)
        else:
            self._async_fire(EVENT_UPDATED, session)

    @callback
    def _async_store_session(self, session: AppSession) -> None:
        self.data.app_sessions[session.app_session_id] = session
        self._stored_at[session.app_session_id] = time.monotonic()
        if session.allocations is not None:
            self.data.own_allocations.pop(session.app_session_id, None)
        self._session_store.async_remember(session)

    @callback
    def _async_store_closed(self, session: AppSession) -> None:
        self._async_store_session(session)
        self.data.closed_at.setdefault(session.app_session_id, dt_util.utcnow())
        self._async_fire(EVENT_CLOSED, session)

    @callback
    def _async_publish(self) -> None:
        """Tell entities; only a resync after a drop makes them available again."""
        if self.last_update_success:
            self.async_set_updated_data(self.data)
        else:
            self.async_update_listeners()

    async def _async_fill_own_allocations(
        self, data: NitroliteData, sessions: Sequence[AppSession]
    ) -> None:
        for session in sessions:
            if session.allocations is None:
                shares = await self.client.get_session_share(session.app_session_id)
                data.own_allocations[session.app_session_id] = _balance_map(shares)

    async def _async_refresh_own_allocations(
        self, sessions: Sequence[AppSession]
    ) -> None:
        try:
            await self._async_fill_own_allocations(self.data, sessions)
        except ClearNodeError as err:
            LOGGER.debug("Could not read our share of new app sessions: %s", err)
            return
        self._async_publish()

    @callback
    def _async_prune_closed_sessions(self, _now: datetime | None = None) -> None:
        """Forget closed sessions kept longer than the configured retention."""
        deadline = dt_util.utcnow() - self.closed_session_retention
        expired = [
            session_id
            for session_id, closed_at in self.data.closed_at.items()
            if closed_at <= deadline
        ]
        device_registry = dr.async_get(self.hass)
        identifiers = {(DOMAIN, self.session_device_key(id_)) for id_ in expired}
        for session_id in expired:
            self.async_forget_session(session_id)
        for device in dr.async_entries_for_config_entry(
            device_registry, self.config_entry.entry_id
        ):
            if device.identifiers & identifiers:
                device_registry.async_remove_device(device.id)
        if expired:
            self._async_publish()

    @callback
    def async_forget_session(self, session_id: str) -> None:
        """Drop an app session from the state model."""
        self.data.app_sessions.pop(session_id, None)
        self.data.closed_at.pop(session_id, None)
        self.data.own_allocations.pop(session_id, None)
        self._stored_at.pop(session_id, None)
        if (lock := self._session_locks.get(session_id)) and not lock.locked():
            del self._session_locks[session_id]
        self._session_store.async_forget(session_id)

    @property
    def closed_session_retention(self) -> timedelta:
        """How long closed sessions stay visible."""
        hours = self.config_entry.options.get(
            CONF_CLOSED_SESSION_RETENTION, DEFAULT_CLOSED_SESSION_RETENTION_HOURS
        )
        return timedelta(hours=hours)

    @property
    def device_key(self) -> str:
        """Identifier of the entry's service device (wallet on this ClearNode)."""
        return str(self.config_entry.unique_id)

    def session_device_key(self, app_session_id: str) -> str:
        """Return the identifier of an app session's device (unique per wallet and node)."""
        return f"{self.device_key}_{app_session_id}"

    def own_allocation(self, app_session_id: str) -> dict[str, Decimal]:
        """Our wallet's amount per asset in an app session."""
        session = self.data.app_sessions.get(app_session_id)
        if session is None:
            return {}
        if session.allocations is None:
            return dict(self.data.own_allocations.get(app_session_id, {}))
        return {
            allocation.asset: allocation.amount
            for allocation in session.allocations
            if allocation.participant == self.wallet_address
        }

    @property
    def _endpoint(self) -> str:
        return str(self.config_entry.data[CONF_ENDPOINT])

    # Events ------------------------------------------------------------------

    @callback
    def async_add_event_listener(
        self, listener: NitroliteEventListener
    ) -> Callable[[], None]:
        """Call listener(event_type, data) for every app-session event."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    @callback
    def _async_fire(
        self, event_type: str, session: AppSession, extra: dict[str, Any] | None = None
    ) -> None:
        data = {
            "config_entry_id": self.config_entry.entry_id,
            **session_summary(session),
            **(extra or {}),
        }
        self.hass.bus.async_fire(f"{BUS_EVENT_PREFIX}{event_type}", data)
        for listener in list(self._event_listeners):
            listener(event_type, data)

    # Actions -----------------------------------------------------------------

    async def async_create_app_session(
        self,
        definition: AppDefinition,
        allocations: Sequence[Allocation],
        session_data: str | None,
    ) -> AppSession:
        """Open an app session funded only by our wallet.

        Its id follows from the definition, so the session is remembered before the
        request leaves: an answer lost to a timeout or a crash cannot orphan it.
        """
        self._check_participant(definition.participants)
        self._check_others_need_us(definition)
        self._check_only_we_deposit(allocations)
        with self._translate_errors():
            session_id = self.client.app_session_id(definition)
        created = _new_session(session_id, definition, allocations, session_data)
        async with self._session_lock(session_id):
            await self.async_wait_for_outcome(session_id)
            new = session_id not in self.data.app_sessions
            if new:
                await self._session_store.async_remember_now(created)
            try:
                result = await self._async_send_change(
                    None,
                    created,
                    lambda: self.client.create_app_session(
                        definition, allocations, session_data
                    ),
                )
            except HomeAssistantError:
                if new and not self.awaits_outcome(session_id):
                    self._session_store.async_forget(session_id)
                raise
            return self._async_take_answer(created, result)

    async def async_submit_app_state(
        self,
        app_session_id: str,
        allocations: Sequence[Allocation],
        intent: str,
        session_data: str | None,
    ) -> AppSession:
        """Submit a new state of an open app session that our weight alone can sign."""
        async with self._async_changing(app_session_id) as session:
            self._check_quorum(session)
            if intent == "deposit":
                self._check_others_need_us(session)
                self._check_only_we_deposit(_increases(session, allocations))
            return await self._async_submit(session, allocations, intent, session_data)

    async def async_pay_in_session(
        self,
        app_session_id: str,
        amount: Decimal,
        asset: str | None,
        payer: str | None,
        payee: str | None,
    ) -> AppSession:
        """Move an amount from one participant to another inside an app session.

        The next allocations are computed from the state as it is once the session's
        lock is held, so concurrent payments add up instead of overwriting each other.
        """
        async with self._async_changing(app_session_id) as session:
            self._check_quorum(session)
            current = self._known_allocations(session)
            payer = payer or self.wallet_address
            payee = payee or _other_participant(session, payer)
            asset = asset or self._session_asset(current)
            if amount <= 0:
                raise validation_error(
                    "amount_not_positive", field="amount", amount=str(amount)
                )
            self._check_participant(session.participants, payer)
            self._check_participant(session.participants, payee)
            _check_not_paying_oneself(payer, payee, "to")
            allocations = _move(current, payer, payee, asset, amount)
            return await self._async_submit(session, allocations, "operate", None)

    async def async_close_app_session(
        self,
        app_session_id: str,
        allocations: Sequence[Allocation] | None,
        session_data: str | None,
    ) -> AppSession:
        """Close an app session, by default with its current allocations."""
        async with self._async_changing(app_session_id) as session:
            self._check_quorum(session)
            final = (
                tuple(allocations)
                if allocations is not None
                else self._known_allocations(session)
            )
            closed = _next_state(session, "closed", final, session_data)
            result = await self._async_send_change(
                session,
                closed,
                lambda: self.client.close_app_session(session, final, session_data),
            )
            return self._async_take_answer(closed, result)

    async def async_transfer(
        self, destination: str, asset: str, amount: Decimal
    ) -> tuple[Transaction, ...]:
        """Send funds from our unified balance to another wallet."""
        _check_not_paying_oneself(self.wallet_address, destination, "destination")
        return await self._async_send(
            lambda: self.client.transfer(destination, [(asset, amount)]),
            lambda: _service_error("transfer_unanswered"),
        )

    async def async_get_balances(self) -> tuple[Balance, ...]:
        """Read our unified balance and refresh the state model with it."""
        read_started = time.monotonic()
        with self._translate_errors():
            balances = await self.client.get_balances()
        if self._balances_at < read_started:
            self.data.balances = _balance_map(balances)
            self._async_publish()
        return balances

    async def async_get_app_sessions(
        self, status: str | None, participant: str | None
    ) -> tuple[AppSession, ...]:
        """List app sessions (ours unless another participant is given)."""
        with self._translate_errors():
            return tuple(
                [
                    session
                    async for session in self.client.iter_app_sessions(
                        participant=participant or self.wallet_address, status=status
                    )
                ]
            )

    async def async_wait_for_outcome(self, app_session_id: str) -> None:
        """Return once no change of the session is waiting to learn its outcome.

        A change that got no answer is settled by the next re-read of the state; until
        then a new change must not be computed from a state that may be outdated. While
        connected, wait for that re-read (up to twice the request timeout); otherwise,
        or if it does not come, refuse.
        """
        change = self._unanswered.get(app_session_id)
        if change is None:
            return
        if self.connected:
            self._async_reread()
            with suppress(TimeoutError):
                async with asyncio.timeout(2 * self._request_timeout):
                    await change.resolved.wait()
        if not change.resolved.is_set():
            raise _service_error("outcome_pending", app_session_id=app_session_id)

    def next_nonce(self) -> int:
        """Return a nonce for a new session: the time in ms, never the same twice.

        The session id is derived from the definition, nonce included: two equal
        requests in the same millisecond must still open two sessions.
        """
        self._last_nonce = max(time.time_ns() // 1_000_000, self._last_nonce + 1)
        return self._last_nonce

    def awaits_outcome(self, app_session_id: str) -> bool:
        """Whether a change of the session got no answer and is not settled yet."""
        return app_session_id in self._unanswered

    def _session_lock(self, app_session_id: str) -> asyncio.Lock:
        return self._session_locks.setdefault(app_session_id, asyncio.Lock())

    @asynccontextmanager
    async def _async_changing(self, app_session_id: str) -> AsyncIterator[AppSession]:
        """Hold the session's lock and yield the open session as it stands now.

        Reading, computing, signing, sending and applying the answer all happen under
        the lock, after any earlier unanswered change of the session is settled.
        """
        async with self._session_lock(app_session_id):
            await self.async_wait_for_outcome(app_session_id)
            yield self._open_session(app_session_id)

    async def _async_submit(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        intent: str,
        session_data: str | None,
    ) -> AppSession:
        updated = _next_state(session, "open", tuple(allocations), session_data)
        result = await self._async_send_change(
            session,
            updated,
            lambda: self.client.submit_app_state(
                session, allocations, intent=intent, session_data=session_data
            ),
        )
        return self._async_take_answer(updated, result)

    @callback
    def _async_take_answer(
        self, expected: AppSession, result: AppSessionResult
    ) -> AppSession:
        """Apply our answered change unless a push has applied it already."""
        session = replace(expected, version=result.version, status=result.status)
        known = self.data.app_sessions.get(session.app_session_id)
        if known is None or known.version < session.version:
            self._async_apply_session(known, session)
            self._async_publish()
        return session

    async def _async_send_change[T](
        self,
        before: AppSession | None,
        after: AppSession,
        send: Callable[[], Awaitable[T]],
    ) -> T:
        """Send a change of a session; remember it if it may have been applied unanswered."""

        def unanswered() -> HomeAssistantError:
            self._unanswered[after.app_session_id] = _UnansweredChange(before, after)
            return _service_error(
                "change_unanswered", app_session_id=after.app_session_id
            )

        return await self._async_send(send, unanswered)

    async def _async_send[T](
        self,
        send: Callable[[], Awaitable[T]],
        unanswered: Callable[[], HomeAssistantError],
    ) -> T:
        """Send a request that moves funds; never retried.

        With no answer (a timeout, or the connection lost while it was on its way) the
        request may have been applied: the state is re-read at once and the caller is
        told so, never that it failed.
        """
        sent_while_connected = self.client.state is ConnectionState.CONNECTED
        with self._translate_errors():
            try:
                return await send()
            except (ClearNodeTimeoutError, ClearNodeConnectionError) as err:
                if (
                    isinstance(err, ClearNodeConnectionError)
                    and not sent_while_connected
                ):
                    raise
                error = unanswered()
                self._async_reread()
                raise error from err

    @callback
    def _async_reread(self) -> None:
        """Re-read the state in the background, unless a re-read is running."""
        if self._reread is None or self._reread.done():
            self._reread = self.config_entry.async_create_background_task(
                self.hass, self._async_reread_until_settled(), f"{DOMAIN}_resync"
            )

    async def _async_reread_until_settled(self) -> None:
        """Re-read until every unanswered change is settled (a reconnect re-reads too)."""
        try:
            await self.client.resync()
            while self._unanswered and self.connected:
                await self.client.resync()
        except ClearNodeError as err:
            LOGGER.debug(
                "Could not re-read the state after an unanswered request: %s", err
            )

    @property
    def _request_timeout(self) -> float:
        return float(
            self.config_entry.options.get(
                CONF_REQUEST_TIMEOUT, DEFAULT_REQUEST_TIMEOUT_SECONDS
            )
        )

    # Checks: we can sign only for our own wallet -------------------------------

    def _open_session(self, app_session_id: str) -> AppSession:
        session = self.data.app_sessions.get(app_session_id)
        if session is None:
            raise validation_error("unknown_app_session", app_session_id=app_session_id)
        if session.status != "open":
            raise validation_error("app_session_closed", app_session_id=app_session_id)
        return session

    def _check_participant(
        self, participants: Sequence[str], participant: str | None = None
    ) -> None:
        address = participant or self.wallet_address
        if address not in participants:
            raise validation_error("not_a_participant", participant=address)

    def _check_only_we_deposit(self, allocations: Sequence[Allocation]) -> None:
        others = sorted(
            {
                allocation.participant
                for allocation in allocations
                if allocation.amount > 0
                and allocation.participant != self.wallet_address
            }
        )
        if others:
            raise validation_error("missing_signature", participants=", ".join(others))

    def _check_quorum(self, session: AppSession) -> None:
        own_weight, _ = self._split_weights(session)
        check_own_weight_reaches_quorum(own_weight, session.quorum)

    def _check_others_need_us(self, definition: AppDefinition | AppSession) -> None:
        if len(definition.weights) != len(definition.participants):
            return  # the client refuses it, naming the weights
        _, others_weight = self._split_weights(definition)
        check_others_need_us(others_weight, definition.quorum)

    def _split_weights(self, definition: AppDefinition | AppSession) -> tuple[int, int]:
        """Return our weight and the other participants' weight together."""
        own = others = 0
        for participant, weight in zip(
            definition.participants, definition.weights, strict=True
        ):
            if participant == self.wallet_address:
                own += weight
            else:
                others += weight
        return own, others

    def _known_allocations(self, session: AppSession) -> tuple[Allocation, ...]:
        if session.allocations is None:
            raise validation_error(
                "allocations_unknown", app_session_id=session.app_session_id
            )
        return session.allocations

    def _session_asset(self, allocations: Sequence[Allocation]) -> str:
        if default := self.config_entry.options.get(CONF_DEFAULT_ASSET):
            return str(default)
        assets = {allocation.asset for allocation in allocations}
        if len(assets) != 1:
            raise validation_error("asset_required")
        return assets.pop()

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        """Map library errors to translated Home Assistant errors."""
        try:
            yield
        except ClearNodeValidationError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="invalid_input",
                translation_placeholders={"field": err.field, "error": str(err)},
            ) from err
        except ClearNodeAllowanceError as err:
            repairs.async_create_allowance_issue(self.hass, self.config_entry)
            raise _service_error("allowance_exceeded", reason=err.reason) from err
        except ClearNodeClockSkewError as err:
            repairs.async_create_clock_skew_issue(self.hass, self.config_entry)
            raise _service_error("clock_skew") from err
        except ClearNodeRejectedError as err:
            raise _service_error("request_rejected", reason=err.reason) from err
        except ClearNodeSessionKeyError as err:
            repairs.async_create_session_key_issue(self.hass, self.config_entry)
            raise _service_error("session_key_expired") from err
        except ClearNodeTimeoutError as err:
            raise _service_error("timeout") from err
        except ClearNodeConnectionError as err:
            raise _service_error("not_connected") from err
        except ClearNodeError as err:
            raise _service_error("communication_error", error=str(err)) from err


def session_summary(session: AppSession) -> dict[str, Any]:
    """Describe an app session with JSON-friendly values (events, attributes)."""
    return {
        "app_session_id": session.app_session_id,
        "application": session.application,
        "status": session.status,
        "version": session.version,
        "allocations": (
            None
            if session.allocations is None
            else [
                {
                    "participant": allocation.participant,
                    "asset": allocation.asset,
                    "amount": str(allocation.amount),
                }
                for allocation in session.allocations
            ]
        ),
    }


def _balance_map(balances: Sequence[Balance]) -> dict[str, Decimal]:
    return {balance.asset: balance.amount for balance in balances}


def _service_error(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _new_session(
    session_id: str,
    definition: AppDefinition,
    allocations: Sequence[Allocation],
    session_data: str | None,
) -> AppSession:
    """Return the session a create request makes if the ClearNode applies it."""
    now = dt_util.utcnow().isoformat()
    return AppSession(
        app_session_id=session_id,
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
        allocations=tuple(allocations),
    )


def _next_state(
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
    )


def _applied_state(
    change: _UnansweredChange, listed: AppSession | None
) -> AppSession | None:
    """Return what a listing of open sessions read after an unanswered change proves.

    That is the session as it now stands if the change was applied, None if not. A
    closed session is not listed; neither is a session whose creation was not applied.
    A listing past the change's version shows that others changed the session too:
    its allocations are then unknown.
    """
    if listed is None:
        return change.after if change.after.status == "closed" else None
    if listed.version == change.after.version and change.after.status == "open":
        return replace(change.after, updated_at=listed.updated_at)
    if listed.version > change.after.version:
        return listed
    return None


def _amounts(allocations: Sequence[Allocation]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = {}
    with localcontext(EXACT):
        for allocation in allocations:
            key = (allocation.participant, allocation.asset)
            totals[key] = totals.get(key, Decimal(0)) + allocation.amount
    return totals


def _increases(
    session: AppSession, allocations: Sequence[Allocation]
) -> list[Allocation]:
    """Allocations that grow compared with the session's known state."""
    before = _amounts(session.allocations or ())
    with localcontext(EXACT):
        return [
            Allocation(
                participant,
                asset,
                amount - before.get((participant, asset), Decimal(0)),
            )
            for (participant, asset), amount in _amounts(allocations).items()
            if amount > before.get((participant, asset), Decimal(0))
        ]


def _detect_payment(known: AppSession, session: AppSession) -> dict[str, Any] | None:
    """Describe a change that moved one asset from exactly one participant to another."""
    if known.allocations is None or session.allocations is None:
        return None
    before, after = _amounts(known.allocations), _amounts(session.allocations)
    with localcontext(EXACT):
        changes = {
            key: after.get(key, Decimal(0)) - before.get(key, Decimal(0))
            for key in before.keys() | after.keys()
            if after.get(key, Decimal(0)) != before.get(key, Decimal(0))
        }
        if len(changes) != 2:  # one payer, one payee
            return None
        (payer, paid), (payee, received) = sorted(
            changes.items(), key=lambda item: item[1]
        )
        if paid + received != 0 or payer[1] != payee[1]:
            return None
    return {
        "from": payer[0],
        "to": payee[0],
        "asset": payer[1],
        "amount": str(received),
    }


def _check_not_paying_oneself(payer: str, payee: str, field: str) -> None:
    """Refuse a payment that would move nothing: the payee is the payer."""
    if payee == payer:
        raise validation_error("pay_oneself", field=field, address=payee)


def _other_participant(session: AppSession, payer: str) -> str:
    others = [
        participant for participant in session.participants if participant != payer
    ]
    if len(others) != 1:
        raise validation_error("payee_required")
    return others[0]


def _move(
    allocations: Sequence[Allocation],
    payer: str,
    payee: str,
    asset: str,
    amount: Decimal,
) -> tuple[Allocation, ...]:
    """Return allocations with amount moved from payer to payee."""
    totals = _amounts(allocations)
    available = totals.get((payer, asset), Decimal(0))
    if available < amount:
        raise validation_error(
            "insufficient_allocation", available=str(available), asset=asset
        )
    with localcontext(EXACT):
        totals[payer, asset] = available - amount
        totals[payee, asset] = totals.get((payee, asset), Decimal(0)) + amount
    return tuple(
        Allocation(participant, asset_, value)
        for (participant, asset_), value in totals.items()
    )
