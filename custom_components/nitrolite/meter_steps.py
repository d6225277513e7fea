"""What a metered preset does next, decided from its meter, the preset and the session.

Nothing here waits, logs or changes anything: the worker (meter_worker) takes the step
decided and notes what the decision saw. A reset or an unusable reading pays nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import NamedTuple

from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import State

from .clearnode import AppSession
from .meter import (
    Baseline,
    MeteredPayment,
    MeterReading,
    MeterSettings,
    Progress,
    UnusableReadingError,
    meter_reading,
    metered_payment,
    progress,
)
from .meter_store import MeterState
from .presets import Preset


@dataclass(frozen=True, slots=True)
class OpenSession:
    """Open the preset's session, as the session-follows entity says."""


@dataclass(frozen=True, slots=True)
class CloseSession:
    """Close the preset's session, as the session-follows entity says."""


@dataclass(frozen=True, slots=True)
class StartCounting:
    """Count from here: the session, and the reading the payments in it will cover."""

    counting: MeterState


@dataclass(frozen=True, slots=True)
class TopUp:
    """Add the preset's deposit to the session."""

    session: AppSession


@dataclass(frozen=True, slots=True)
class Pay:
    """Pay for a stretch of the meter."""

    payment: MeteredPayment


type Step = OpenSession | CloseSession | StartCounting | TopUp | Pay


@dataclass(frozen=True, slots=True)
class Exhausted:
    """The session's deposit does not cover the next payment, and no top-up may add to it."""

    session: AppSession
    remaining: Decimal
    due: MeteredPayment


class TopUpRefused(NamedTuple):
    """A top-up the ClearNode refused: none is tried again in that session."""

    app_session_id: str
    reason: str  # the error's translation key
    message: str


class MeterRead(NamedTuple):
    """What a meter's state shows against the reading counted from."""

    reading: MeterReading | None  # None: nothing is paid for it (problem says why)
    reset_to: Baseline | None = None  # the meter was reset: count from here
    problem: UnusableReadingError | None = None


def read_meter(
    entity_id: str, counted_from: Baseline | None, state: State | None
) -> MeterRead:
    """Return what the meter's state shows, if it can be paid from."""
    try:
        reading = meter_reading(state)
        found = progress(counted_from, entity_id, reading)
    except UnusableReadingError as err:
        return MeterRead(None, problem=err)
    if found is Progress.RESET:
        return MeterRead(reading, Baseline(entity_id, reading.value, reading.unit))
    return MeterRead(reading)


@dataclass(frozen=True, slots=True)
class Situation:
    """What a metered preset's next step is decided from."""

    settings: MeterSettings
    preset: Preset
    state: MeterState
    session: AppSession | None  # the preset's session, if it is open
    meter: State | None  # the meter entity's state
    remaining: Decimal  # what we still hold in the session
    follow: bool | None  # open (True) or close (False) still to be done
    rebaseline: bool  # count from the reading now (Metering turned on)
    reset_to: Baseline | None  # where a reset left the meter
    top_up_refused: TopUpRefused | None


class Decision(NamedTuple):
    """The step to take (None until something changes) and what deciding it saw."""

    step: Step | None
    read: MeterRead | None = None  # the meter, where the step depends on it
    exhausted: Exhausted | None = None  # to tell: nothing more is paid


def follow_asked(state: State | None) -> bool | None:
    """Return what the session-follows entity asks: open (on), close (off) or nothing."""
    if state is None or state.state not in (STATE_ON, STATE_OFF):
        return None
    return state.state == STATE_ON


def follow_due(follow: bool | None, session: AppSession | None) -> bool | None:
    """Return what the session-follows entity still asks: nothing once it is so."""
    return None if follow == (session is not None) else follow


def next_step(situation: Situation) -> Decision:
    """Decide what to do next: open, start counting, pay or top up, then close."""
    session, state = situation.session, situation.state
    if session is None:
        return Decision(OpenSession() if situation.follow else None)
    if session.app_session_id != state.session_id or situation.rebaseline:
        return Decision(_start_counting(situation, session))
    read = read_meter(
        situation.settings.entity_id,
        situation.reset_to or state.baseline,
        situation.meter,
    )
    found = _payment_step(situation, session, read)
    if isinstance(found, Exhausted):
        return Decision(_close_step(situation), read, exhausted=found)
    return Decision(found or _close_step(situation), read)


def _close_step(situation: Situation) -> Step | None:
    """Close the session once nothing is to be paid, if the session-follows entity said so."""
    return CloseSession() if situation.follow is False else None


def _payment_step(
    situation: Situation, session: AppSession, read: MeterRead
) -> Step | Exhausted | None:
    """Return the payment (or the new count) the meter's reading calls for.

    An unusable reading pays nothing; after a reset, counting starts again.
    """
    if read.reading is None:
        return None
    baseline, reset_to = situation.state.baseline, read.reset_to or situation.reset_to
    if (
        reset_to is not None
        or baseline is None
        or baseline.entity_id != situation.settings.entity_id
    ):
        return _start_counting(situation, session, reset_to)
    return _paying_step(situation, session, baseline.reading, read.reading.value)


def _start_counting(
    situation: Situation, session: AppSession, reset_to: Baseline | None = None
) -> StartCounting:
    """Count from where a reset left the meter, else from its reading now.

    A new session, a meter counted for the first time, Metering turned on.
    """
    state, entity_id = situation.state, situation.settings.entity_id
    new_session = session.app_session_id != state.session_id
    baseline = None if new_session or situation.rebaseline else reset_to
    if baseline is None:
        try:
            reading = meter_reading(situation.meter)
        except UnusableReadingError:
            pass  # the first reading it gives starts the count
        else:
            baseline = Baseline(entity_id, reading.value, reading.unit)
    return StartCounting(
        replace(
            state,
            session_id=session.app_session_id,
            baseline=baseline,
            units_paid=Decimal(0) if new_session else state.units_paid,
        )
    )


def _paying_step(
    situation: Situation, session: AppSession, covered: Decimal, reading: Decimal
) -> Step | Exhausted | None:
    """Return the payment due, or the top-up it needs; None while none can be made.

    Where the deposit runs out, the whole steps the rest covers are paid; then
    nothing more until funds are added.
    """
    settings, price = situation.settings, situation.preset.unit_price
    due = metered_payment(settings, price, covered, reading)
    if due is None:
        return None
    remaining = situation.remaining
    if due.amount <= remaining:
        return Pay(due)
    if _may_top_up(situation, session):
        return TopUp(session)
    if payment := metered_payment(settings, price, covered, reading, remaining):
        return Pay(payment)
    return Exhausted(session, remaining, due)


def _may_top_up(situation: Situation, session: AppSession) -> bool:
    refused, preset = situation.top_up_refused, situation.preset
    return (
        refused is None or refused.app_session_id != session.app_session_id
    ) and situation.settings.may_top_up(
        session.allocations, preset.asset, preset.deposit
    )
