"""One metered preset's worker: what wakes it, each step it takes and its outcome.

The worker takes one step at a time, as meter_steps decides: open or close the session as
the *session follows* entity says, start counting in a new session, top up, pay. Meter
updates only wake it, so a burst of them makes one payment in flight, and the next one
pays the whole advance since. The reading a payment covers is saved with it before it
is signed (meter_store); once its outcome is known (its answer, the settlement of an
unanswered change, or the listing after a restart) the session's version tells whether
it applied.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal
from functools import partial
import logging

from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.event import async_track_state_change_event

from .clearnode import AppSession
from .const import DOMAIN, LOGGER
from .meter import Baseline, MeteredPayment, MeterSettings
from .meter_notices import MeterNotices
from .meter_steps import (
    CloseSession,
    MeterRead,
    OpenSession,
    Pay,
    Situation,
    StartCounting,
    Step,
    TopUp,
    TopUpRefused,
    follow_asked,
    follow_due,
    next_step,
    read_meter,
)
from .meter_store import MeterState, MeterStore, PendingPayment
from .presets import Preset, PresetManager

# Refusals after which metering tries again once the state changes: nothing was
# applied, or the outcome of what was sent is being learnt.
_TRY_AGAIN = frozenset({"not_connected", "outcome_pending", "change_unanswered"})
# Refusals that only mean the session changed meanwhile: the next step sees how.
_SESSION_CHANGED = frozenset(
    {
        "app_session_closed",
        "unknown_app_session",
        "preset_no_open_session",
        "preset_session_open",
        "insufficient_allocation",
    }
)

type Action = Callable[[], Awaitable[bool]]  # True: take the next step at once


class PresetMeter:
    """Pays one preset's open session as its meter grows."""

    def __init__(
        self,
        presets: PresetManager,
        store: MeterStore,
        subentry_id: str,
        settings: MeterSettings,
    ) -> None:
        """Nothing is followed yet; see async_start."""
        self._hass = presets.hass
        self._entry = presets.entry
        self._presets = presets
        self._coordinator = presets.coordinator
        self._store = store
        self.subentry_id = subentry_id
        self.settings = settings
        self._worker: asyncio.Task[None] | None = None
        self._paying = False  # a payment is being signed or sent
        self._follow: bool | None = None  # open (True) or close (False) to be done
        self._rebaseline = False  # count from the reading now (Metering turned on)
        self._reset_to: Baseline | None = None  # where a reset left the meter
        self._problems: set[str] = set()  # logged since the meter last read well
        self._top_up_refused: TopUpRefused | None = None  # none tried again in it
        self._listeners: list[CALLBACK_TYPE] = []
        self._notices = MeterNotices(self._hass, self._entry, subentry_id, settings)

    @property
    def state(self) -> MeterState:
        """What the preset's metering stands at."""
        return self._store.get(self.subentry_id)

    # Lifecycle -------------------------------------------------------------------

    @callback
    def async_settle_saved(self) -> None:
        """Settle the payment that was pending when Home Assistant stopped.

        The ClearNode lists the version it made, not its allocations: if it applied,
        they are the ones saved with it.
        """
        state = self.state
        if state.pending is not None and state.session_id is not None:
            self._coordinator.async_restore_allocations(
                state.session_id, state.pending.version, state.pending.allocations
            )
        self._async_settle(announce=False)

    @callback
    def async_start(self) -> None:
        """Follow the meter and the session-follows entity until the entry unloads."""
        settings = self.settings
        self._entry.async_on_unload(
            async_track_state_change_event(
                self._hass, settings.entity_id, self._async_meter_changed
            )
        )
        if settings.session_follows is not None:
            self._entry.async_on_unload(
                async_track_state_change_event(
                    self._hass, settings.session_follows, self._async_follows_changed
                )
            )
            self._follow = follow_asked(self._hass.states.get(settings.session_follows))
        self.async_wake()

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the state changes; return the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def async_set_enabled(self, enabled: bool) -> None:  # noqa: FBT001
        """Turn metering on or off; saved before it takes effect.

        Turned on, it counts from the meter's reading now: what was metered while it
        was off is not paid. It also opens or closes the session as the session-follows
        entity now says.
        """
        state = self.state
        if enabled == state.enabled:
            return
        self._async_set(replace(state, enabled=enabled))
        try:
            await self._store.async_save_now()
        except HomeAssistantError:
            self._async_set(replace(self.state, enabled=state.enabled))
            raise
        if enabled:
            self._rebaseline = True
            if self.settings.session_follows is not None:
                self._follow = follow_asked(
                    self._hass.states.get(self.settings.session_follows)
                )
            self._notices.async_dismiss()
            self.async_wake()

    # What wakes the worker -----------------------------------------------------

    @callback
    def _async_meter_changed(self, event: Event[EventStateChangedData]) -> None:
        """Look at every update, so that no reset is missed while a payment is busy."""
        if (preset := self._presets.get(self.subentry_id)) is not None:
            counted_from = self._reset_to or self.state.baseline
            self._note_read(
                preset,
                read_meter(
                    self.settings.entity_id, counted_from, event.data["new_state"]
                ),
            )
        self.async_wake()

    @callback
    def _async_follows_changed(self, event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        follow = follow_asked(new)
        if follow is not None and follow_asked(old) != follow:
            self._follow = follow
            self.async_wake()

    @callback
    def async_coordinator_updated(self) -> None:
        """Settle a pending payment whose outcome is now known; take the next step."""
        self._async_settle()
        self.async_wake()

    @callback
    def async_wake(self) -> None:
        """Start the worker if it is not running and there is something to do."""
        if (self._worker is None or self._worker.done()) and self._next_action():
            self._worker = self._entry.async_create_background_task(
                self._hass, self._async_work(), f"{DOMAIN}_meter_{self.subentry_id}"
            )

    async def _async_work(self) -> None:
        """Take one step after another until none is due or one must wait."""
        while (action := self._next_action()) is not None:
            if not await action():
                return

    # Deciding ----------------------------------------------------------------------

    def _next_action(self) -> Action | None:
        """Return what to do next, or None until something changes.

        Nothing while a payment waits for its outcome: one payment in flight per preset.
        """
        state, preset = self.state, self._presets.get(self.subentry_id)
        if (
            preset is None
            or not state.enabled
            or state.pending is not None
            or not self._coordinator.connected
        ):
            return None
        session = self._presets.open_session(self.subentry_id)
        self._follow = follow_due(self._follow, session)
        decision = next_step(
            Situation(
                settings=self.settings,
                preset=preset,
                state=state,
                session=session,
                meter=self._hass.states.get(self.settings.entity_id),
                remaining=self._presets.remaining(preset) or Decimal(0),
                follow=self._follow,
                rebaseline=self._rebaseline,
                reset_to=self._reset_to,
                top_up_refused=self._top_up_refused,
            )
        )
        if decision.read is not None:
            self._note_read(preset, decision.read)
        if decision.exhausted is not None:
            self._notices.async_exhausted(
                preset, decision.exhausted, self._top_up_refused
            )
        if decision.step is None:
            return None
        return partial(self._async_take, preset, decision.step)

    def _note_read(self, preset: Preset, read: MeterRead) -> None:
        """Note a reset to count from; log a problem once while it lasts."""
        if (problem := read.problem) is not None:
            self._note(preset, problem.problem, f"{problem}; nothing is paid for it")
        elif (reset_to := read.reset_to) is not None:
            self._note(
                preset, "reset", f"was reset to {reset_to.reading}", logging.INFO
            )
            self._reset_to = reset_to
        else:
            self._problems.clear()

    def _note(
        self, preset: Preset, problem: str, message: str, level: int = logging.WARNING
    ) -> None:
        """Log a problem of the meter once, until it reads well again."""
        if problem not in self._problems:
            self._problems.add(problem)
            LOGGER.log(
                level,
                "Meter %s of preset %s %s",
                self.settings.entity_id,
                preset.name,
                message,
            )

    # Steps -----------------------------------------------------------------------

    async def _async_take(self, preset: Preset, step: Step) -> bool:
        """Take a step; True: take the next one at once."""
        match step:
            case OpenSession():
                return await self._async_follow(preset, self._presets.async_open)
            case CloseSession():
                return await self._async_follow(preset, self._presets.async_close)
            case StartCounting(counting):
                return await self._async_start_counting(preset, counting)
            case TopUp(session):
                return await self._async_top_up(preset, session)
            case Pay(payment):
                return await self._async_pay(preset, payment)

    async def _async_follow(
        self, preset: Preset, change: Callable[[Preset], Awaitable[object]]
    ) -> bool:
        """Open or close the session as the session-follows entity said."""
        try:
            await change(preset)
        except HomeAssistantError as err:
            if err.translation_key not in _TRY_AGAIN:
                self._follow = None
            return self._async_refused(preset, err)
        self._follow = None
        return True

    async def _async_start_counting(self, preset: Preset, counting: MeterState) -> bool:
        """Save where counting starts; the reset or Metering turned on is then counted."""
        self._rebaseline, self._reset_to = False, None
        self._async_set(counting)
        try:
            await self._store.async_save_now()
        except HomeAssistantError as err:
            return self._async_refused(preset, err)
        return True

    async def _async_top_up(self, preset: Preset, session: AppSession) -> bool:
        """Add the deposit; a refusal (e.g. the spending cap) ends top-ups of the session."""
        try:
            await self._presets.async_top_up(preset)
        except HomeAssistantError as err:
            if err.translation_key in _TRY_AGAIN | _SESSION_CHANGED:
                return self._async_refused(preset, err)
            self._top_up_refused = TopUpRefused(
                session.app_session_id, err.translation_key or "error", str(err)
            )
        return True

    async def _async_pay(self, preset: Preset, payment: MeteredPayment) -> bool:
        """Pay, with the reading it covers saved before it is signed."""

        async def save_pending(after: AppSession) -> None:
            pending = PendingPayment(after.version, payment, after.allocations or ())
            self._async_set(replace(self.state, pending=pending))
            await self._store.async_save_now()

        self._paying = True
        error: HomeAssistantError | None = None
        try:
            await self._presets.async_pay(
                preset, payment.units, before_sending=save_pending
            )
        except HomeAssistantError as err:
            error = err
        # Not reached when cancelled (the entry unloads): the payment may be on its
        # way, so it stays pending for the next start to settle.
        self._paying = False
        self._async_settle()
        return True if error is None else self._async_refused(preset, error)

    # Outcomes ----------------------------------------------------------------------

    @callback
    def _async_settle(self, *, announce: bool = True) -> None:
        """Settle the pending payment once its outcome is known.

        Not while it is on its way, nor while its change awaits the listing that
        settles it: then the session's version tells whether it applied.
        """
        state = self.state
        pending = state.pending
        if (
            pending is None
            or self._paying
            or state.session_id in self._coordinator.unanswered
        ):
            return
        session = (
            None
            if state.session_id is None
            else self._coordinator.data.session(state.session_id)
        )
        applied = session is not None and session.version >= pending.version
        self._async_set(state.settled(applied=applied))
        if not applied or session is None:
            return
        self._notices.async_paying_again()
        if announce and (preset := self._presets.get(self.subentry_id)) is not None:
            self._notices.async_paid(
                preset, session, self._coordinator.wallet_address, pending.payment
            )

    @callback
    def _async_refused(self, preset: Preset, err: HomeAssistantError) -> bool:
        """Take a refused step: try again later, at once, or stop metering."""
        key = err.translation_key or "error"
        if key in _TRY_AGAIN:
            LOGGER.debug("Metering of preset %s waits: %s", preset.name, err)
            return False
        if key in _SESSION_CHANGED:
            return True
        self._async_stop(preset, err)
        return False

    @callback
    def _async_stop(self, preset: Preset, error: HomeAssistantError) -> None:
        """Turn metering off after a refusal it cannot work around; tell why."""
        self._async_set(replace(self.state, enabled=False))
        self._notices.async_stopped(preset, self.state.session_id, error)

    @callback
    def _async_set(self, state: MeterState) -> None:
        self._store.async_set(self.subentry_id, state)
        for listener in list(self._listeners):
            listener()
