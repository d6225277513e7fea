"""The actions on one wallet: check, lock the session, send, take the answer, respond.

Changes of one app session run one after another under its lock, each computed from
the state the one before left. A request that moves funds is never retried: without an
answer it may have been applied, and the caller is told so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from decimal import Decimal
import time
from weakref import WeakValueDictionary

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from . import session_rules as rules
from .allocations import add, increases, move, totals
from .clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    Balance,
    ClearNodeError,
    Feature,
    Transaction,
    format_amount,
)
from .const import CONF_DEFAULT_ASSET
from .coordinator import NitroliteCoordinator
from .errors import service_error, translated_errors
from .model import Reading, created_session, next_state
from .spending import Outlay, Spend
from .validation import validation_error

# Called with the state a change makes, before it is signed (e.g. to save what it covers).
type BeforeSending = Callable[[AppSession], Awaitable[None]]


class KeyedLocks:
    """One lock per key (a session, a preset), alive while someone holds or awaits it."""

    def __init__(self) -> None:
        """No lock is held yet."""
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        """Return the key's lock."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def locked(self, key: str) -> bool:
        """Whether the key's lock is held."""
        lock = self._locks.get(key)
        return lock is not None and lock.locked()


class NitroliteActions:
    """What the services and presets can do with the wallet."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        coordinator: NitroliteCoordinator,
    ) -> None:
        """Act through the coordinator's client and take answers into its model."""
        self.hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._client = coordinator.client
        self._session_locks = KeyedLocks()
        self._last_nonce = 0

    @property
    def wallet_address(self) -> str:
        """EIP-55 address of our wallet."""
        return self._coordinator.wallet_address

    def next_nonce(self) -> int:
        """Return a nonce for a new session: the time in ms, never the same twice.

        The session id is derived from the definition, nonce included: two equal
        requests in the same millisecond must still open two sessions.
        """
        self._last_nonce = max(time.time_ns() // 1_000_000, self._last_nonce + 1)
        return self._last_nonce

    def app_session_id(self, definition: AppDefinition) -> str:
        """Return the id the ClearNode gives a session created from ``definition``."""
        with translated_errors(self.hass, self._entry):
            return self._client.app_session_id(definition)

    # Changes of app sessions -----------------------------------------------------

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
        wallet = self.wallet_address
        rules.check_participant(definition.participants, wallet)
        rules.check_others_need_us(definition, wallet)
        rules.check_only_we_deposit(allocations, wallet)
        session_id = self.app_session_id(definition)
        created = created_session(
            session_id, definition, tuple(allocations), session_data
        )
        store = self._coordinator.session_store
        async with self._session_locks(session_id):
            await self._coordinator.unanswered.async_wait(session_id)
            new = self._coordinator.data.session(session_id) is None
            if new:
                await store.async_remember_now(created)
            try:
                result = await self._async_send_change(
                    None,
                    created,
                    lambda: self._client.create_app_session(
                        definition, allocations, session_data
                    ),
                    _deposits(allocations, wallet, session_id),
                )
            except HomeAssistantError:
                if new and session_id not in self._coordinator.unanswered:
                    store.async_forget(session_id)
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
        wallet = self.wallet_address
        async with self._async_changing(app_session_id) as session:
            rules.check_quorum(session, wallet)
            outlay = None
            if intent == "deposit":
                rules.check_others_need_us(session, wallet)
                added = increases(session.allocations or (), allocations)
                rules.check_only_we_deposit(added, wallet)
                outlay = _deposits(added, wallet, app_session_id)
            return await self._async_submit(
                session, allocations, intent, session_data, outlay=outlay
            )

    async def async_pay_in_session(
        self,
        app_session_id: str,
        amount: Decimal,
        asset: str | None,
        payer: str | None,
        payee: str | None,
        *,
        before_sending: BeforeSending | None = None,
    ) -> AppSession:
        """Move an amount from one participant to another inside an app session.

        The next allocations are computed from the state as it is once the session's
        lock is held, so concurrent payments add up instead of overwriting each other.
        ``before_sending`` is awaited, under the lock, with the state the payment
        makes, before it is signed.
        """
        wallet = self.wallet_address
        async with self._async_changing(app_session_id) as session:
            rules.check_quorum(session, wallet)
            current = rules.known_allocations(session)
            payer = payer or wallet
            payee = payee or rules.other_participant(session, payer)
            asset = asset or self._session_asset(current)
            if amount <= 0:
                raise validation_error(
                    "amount_not_positive", field="amount", amount=format_amount(amount)
                )
            rules.check_participant(session.participants, payer)
            rules.check_participant(session.participants, payee)
            rules.check_not_paying_oneself(payer, payee, "to")
            allocations = move(current, payer, payee, asset, amount)
            return await self._async_submit(
                session, allocations, "operate", None, before_sending=before_sending
            )

    async def async_deposit_in_session(
        self, app_session_id: str, asset: str, amount: Decimal
    ) -> AppSession:
        """Add an amount of our unified balance to our allocation in an app session.

        Computed from the state as it is once the session's lock is held, like a payment.
        """
        wallet = self.wallet_address
        async with self._async_changing(app_session_id) as session:
            rules.check_quorum(session, wallet)
            rules.check_others_need_us(session, wallet)
            current = rules.known_allocations(session)
            allocations = add(current, wallet, asset, amount)
            return await self._async_submit(
                session,
                allocations,
                "deposit",
                None,
                outlay=_deposits(
                    increases(current, allocations), wallet, app_session_id
                ),
            )

    async def async_close_app_session(
        self,
        app_session_id: str,
        allocations: Sequence[Allocation] | None,
        session_data: str | None,
    ) -> AppSession:
        """Close an app session, by default with its current allocations."""
        async with self._async_changing(app_session_id) as session:
            rules.check_quorum(session, self.wallet_address)
            final = (
                tuple(allocations)
                if allocations is not None
                else rules.known_allocations(session)
            )
            closed = next_state(session, "closed", final, session_data)
            result = await self._async_send_change(
                session,
                closed,
                lambda: self._client.close_app_session(session, final, session_data),
            )
            return self._async_take_answer(closed, result)

    @asynccontextmanager
    async def _async_changing(self, app_session_id: str) -> AsyncIterator[AppSession]:
        """Hold the session's lock and yield the open session as it stands now.

        Reading, computing, signing, sending and taking the answer all happen under
        the lock, after any earlier unanswered change of the session is settled.
        """
        async with self._session_locks(app_session_id):
            await self._coordinator.unanswered.async_wait(app_session_id)
            yield self._open_session(app_session_id)

    async def _async_submit(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        intent: str,
        session_data: str | None,
        *,
        before_sending: BeforeSending | None = None,
        outlay: Outlay | None = None,
    ) -> AppSession:
        updated = next_state(session, "open", tuple(allocations), session_data)
        if before_sending is not None:
            await before_sending(updated)
        result = await self._async_send_change(
            session,
            updated,
            lambda: self._client.submit_app_state(
                session, allocations, intent=intent, session_data=session_data
            ),
            outlay,
        )
        return self._async_take_answer(updated, result)

    @callback
    def _async_take_answer(
        self, expected: AppSession, result: AppSessionResult
    ) -> AppSession:
        """Take our answered change into the state model; return the session as it is."""
        session = replace(expected, version=result.version, status=result.status)
        self._coordinator.async_reconcile(
            Reading(read_started=time.monotonic(), sessions=(session,))
        )
        return session

    async def _async_send_change[T](
        self,
        before: AppSession | None,
        after: AppSession,
        send: Callable[[], Awaitable[T]],
        outlay: Outlay | None = None,
    ) -> T:
        """Send a change of a session; remember it if it may have been applied unanswered."""

        def unanswered(spends: tuple[Spend, ...]) -> HomeAssistantError:
            self._coordinator.unanswered.async_add(before, after, spends)
            return service_error(
                "change_unanswered", app_session_id=after.app_session_id
            )

        return await self._async_send(send, unanswered, outlay)

    async def _async_send[T](
        self,
        send: Callable[[], Awaitable[T]],
        unanswered: Callable[[tuple[Spend, ...]], HomeAssistantError],
        outlay: Outlay | None = None,
    ) -> T:
        """Send a request that moves funds; never retried.

        What it takes out of the wallet is counted against the local caps before it
        is signed, and stops counting if it certainly failed. With no answer (a
        timeout, or the connection lost while it was on its way) the request may
        have been applied: the state is re-read at once and the caller is told so,
        never that it failed.
        """
        spends = await self._async_count(outlay)
        with translated_errors(self.hass, self._entry):
            try:
                return await send()
            except ClearNodeError as err:
                if not err.outcome_unknown:
                    self._async_uncount(spends)
                    raise
                error = unanswered(spends)
                self._coordinator.unanswered.async_reread()
                raise error from err

    async def _async_count(self, outlay: Outlay | None) -> tuple[Spend, ...]:
        """Count an outlay against the local caps (where the node has none)."""
        spending = self._coordinator.spending
        if spending is None or outlay is None:
            return ()
        return await spending.async_spend(outlay)

    @callback
    def _async_uncount(self, spends: tuple[Spend, ...]) -> None:
        if spends and (spending := self._coordinator.spending) is not None:
            spending.async_release(spends)

    # Transfers and reads -------------------------------------------------------

    async def async_transfer(
        self, destination: str, asset: str, amount: Decimal
    ) -> tuple[Transaction, ...]:
        """Send funds from our unified balance to another wallet."""
        rules.check_not_paying_oneself(self.wallet_address, destination, "destination")
        return await self._async_send(
            lambda: self._client.transfer(destination, [(asset, amount)]),
            lambda _spends: service_error("transfer_unanswered"),
            Outlay("transfer", destination, {asset: amount}),
        )

    async def async_get_balances(
        self, wallet: str | None = None
    ) -> tuple[Balance, ...]:
        """Read our balances (taken into the state model), or another wallet's.

        Another wallet's balances can be read where the node's reads are public.
        """
        if wallet is None or wallet == self.wallet_address:
            return await self._async_read_own_balances()
        if Feature.PUBLIC_READS not in self._client.features:
            raise validation_error("public_reads_unsupported", field="wallet")
        with translated_errors(self.hass, self._entry):
            return await self._client.get_balances(wallet)

    async def _async_read_own_balances(self) -> tuple[Balance, ...]:
        read_started = time.monotonic()
        with translated_errors(self.hass, self._entry):
            balances = await self._client.get_balances()
        self._coordinator.async_reconcile(
            Reading(read_started=read_started, balances=balances)
        )
        return balances

    async def async_get_app_sessions(
        self, status: str | None, participant: str | None
    ) -> tuple[AppSession, ...]:
        """List app sessions (ours unless another participant is given).

        The ClearNode lists no allocations; those we hold for the listed version are
        filled in.
        """
        with translated_errors(self.hass, self._entry):
            listed = [
                session
                async for session in self._client.iter_app_sessions(
                    participant=participant or self.wallet_address, status=status
                )
            ]
        return tuple(self._with_known_allocations(session) for session in listed)

    def _with_known_allocations(self, session: AppSession) -> AppSession:
        known = self._coordinator.data.session(session.app_session_id)
        if session.allocations is None and known and known.version == session.version:
            return replace(session, allocations=known.allocations)
        return session

    # Checks: we can sign only for our own wallet -------------------------------

    def _open_session(self, app_session_id: str) -> AppSession:
        session = self._coordinator.data.session(app_session_id)
        if session is None:
            raise validation_error("unknown_app_session", app_session_id=app_session_id)
        if session.status != "open":
            raise validation_error("app_session_closed", app_session_id=app_session_id)
        return session

    def _session_asset(self, allocations: Sequence[Allocation]) -> str:
        if default := self._entry.options.get(CONF_DEFAULT_ASSET):
            return str(default)
        assets = {allocation.asset for allocation in allocations}
        if len(assets) != 1:
            raise validation_error("asset_required")
        return assets.pop()


def _deposits(
    allocations: Sequence[Allocation], wallet: str, app_session_id: str
) -> Outlay:
    """Return what our wallet puts into a session: its positive allocations."""
    return Outlay(
        "deposit",
        app_session_id,
        {
            asset: amount
            for (participant, asset), amount in totals(allocations).items()
            if participant == wallet and amount > 0
        },
    )
