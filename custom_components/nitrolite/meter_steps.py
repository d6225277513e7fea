"""What a metered preset does next, decided from its meter, the preset and the session.

Nothing here waits, logs or changes anything: the worker (meter_worker) takes the step
decided and notes what the decision saw. A reset or an unusable reading pays nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

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
    """Count from the meter's reading in this session (or from where a reset left it)."""

    session: AppSession


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
    reset: bool = False  # count from the reading
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
    return MeterRead(reading, reset=found is Progress.RESET)


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


def follow_due(follow: bool | None, session: AppSession | None) -> bool | None:
    """Return what the session-follows entity still asks: nothing once it is so."""
    return None if follow == (session is not None) else follow


def next_step(situation: Situation) -> Decision:
    """Decide what to do next: open, start counting, pay or top up, then close."""
    session, state = situation.session, situation.state
    if session is None:
        return Decision(OpenSession() if situation.follow else None)
    if session.app_session_id != state.session_id or situation.rebaseline:
        return Decision(StartCounting(session))
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
    """Return the payment (or the new count) the meter's reading calls for."""
    if read.reading is None:
        return None
    baseline = situation.state.baseline
    if (
        read.reset
        or situation.reset_to is not None
        or baseline is None
        or baseline.entity_id != situation.settings.entity_id
    ):
        return StartCounting(session)
    return _paying_step(situation, session, baseline.reading, read.reading.value)


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
