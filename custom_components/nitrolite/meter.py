"""What a preset's meter is, what it reads and what its advance pays.

A meter pays whole steps of *pay every* units: the advance since the reading the payments
so far cover is rounded down to whole steps and the rest carried, so no payment covers
more than the meter shows. Arithmetic is exact (``EXACT``); amounts are written plainly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import Enum
from typing import Any

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import State

from .allocations import totals
from .clearnode import EXACT, Allocation, AmountError, format_amount, parse_amount
from .const import (
    CONF_MAX_SESSION_DEPOSIT,
    CONF_METER_ENTITY,
    CONF_METER_UNITS,
    CONF_PAY_EVERY,
    CONF_SESSION_FOLLOWS,
    CONF_WHEN_DEPOSIT_RUNS_OUT,
    DEPOSIT_RUNS_OUT_TOP_UP,
)

# A meter that drops below this share of the reading paid for was reset (as Home
# Assistant's statistics read a total_increasing sensor); a smaller drop is made up first.
RESET_SHARE = Decimal("0.9")
_SHOWN_CHARS = 48


def plain(amount: Decimal) -> Decimal:
    """Return an amount as written plainly: 0.1, not 0.10; 100, not 1E+2."""
    return parse_amount(format_amount(amount))


@dataclass(frozen=True, slots=True)
class MeterSettings:
    """A preset's meter: what it pays for, how often, what runs out of deposit does."""

    entity_id: str
    meter_units: Decimal  # meter units in one preset unit
    pay_every: Decimal  # preset units
    session_follows: str | None  # an on/off entity the session opens and closes with
    top_up: bool  # else stop when the deposit runs out
    max_session_deposit: Decimal | None  # what one session may hold, top-ups included

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> MeterSettings:
        """Read the meter of a preset subentry's data."""
        maximum = data.get(CONF_MAX_SESSION_DEPOSIT)
        return cls(
            entity_id=data[CONF_METER_ENTITY],
            meter_units=parse_amount(data[CONF_METER_UNITS]),
            pay_every=parse_amount(data[CONF_PAY_EVERY]),
            session_follows=data.get(CONF_SESSION_FOLLOWS),
            top_up=data[CONF_WHEN_DEPOSIT_RUNS_OUT] == DEPOSIT_RUNS_OUT_TOP_UP,
            max_session_deposit=None if maximum is None else parse_amount(maximum),
        )

    def may_top_up(
        self, allocations: Sequence[Allocation] | None, asset: str, deposit: Decimal
    ) -> bool:
        """Whether one more deposit keeps the session within what it may hold."""
        maximum = self.max_session_deposit
        if not self.top_up or maximum is None or allocations is None:
            return False
        with localcontext(EXACT):
            held = sum(
                (
                    amount
                    for (_participant, held_asset), amount in totals(
                        allocations
                    ).items()
                    if held_asset == asset
                ),
                Decimal(0),
            )
            return held + deposit <= maximum


@dataclass(frozen=True, slots=True)
class Baseline:
    """The meter reading the payments so far cover, and the unit it was read in."""

    entity_id: str
    reading: Decimal
    unit: str | None


@dataclass(frozen=True, slots=True)
class MeteredPayment:
    """A payment for a stretch of the meter: what it pays and up to which reading."""

    amount: Decimal
    units: Decimal  # preset units
    reading: Decimal  # the meter reading it covers


class UnusableReadingError(Exception):
    """The meter's state is not a reading to pay for."""

    def __init__(self, problem: str, message: str) -> None:
        """Name the problem (logged once while it lasts) and describe it."""
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class MeterReading:
    """A meter's state as a number of meter units."""

    value: Decimal
    unit: str | None


def meter_reading(state: State | None) -> MeterReading:
    """Return a meter's reading; raise UnusableReadingError for any other state."""
    if state is None or state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        raise UnusableReadingError("unavailable", "is unavailable or unknown")
    try:
        value = parse_amount(state.state)
    except AmountError:
        raise UnusableReadingError(
            "not_a_number",
            f"reads “{state.state[:_SHOWN_CHARS]}”, not a number of 0 or more",
        ) from None
    return MeterReading(value, state.attributes.get(ATTR_UNIT_OF_MEASUREMENT))


class Progress(Enum):
    """How a reading stands to the reading the payments cover."""

    NEW_COUNT = "new_count"  # nothing counted yet, or another meter: count from it
    RESET = "reset"  # the meter was reset: count from it
    FORWARD = "forward"  # pays the whole steps since


def progress(
    baseline: Baseline | None, entity_id: str, reading: MeterReading
) -> Progress:
    """Tell how ``reading`` of the meter ``entity_id`` stands to the baseline.

    Raise UnusableReadingError where it pays nothing: another unit than counting began
    in, or a drop too small to be a reset (made up before anything more is paid).
    """
    if baseline is None or baseline.entity_id != entity_id:
        return Progress.NEW_COUNT
    if reading.unit != baseline.unit:
        raise UnusableReadingError(
            "other_unit",
            f"reports {reading.unit}, not {baseline.unit} as when counting began (turn "
            "Metering off and on to count in the new unit)",
        )
    if reading.value >= baseline.reading:
        return Progress.FORWARD
    with localcontext(EXACT):
        if reading.value < RESET_SHARE * baseline.reading:
            return Progress.RESET
    raise UnusableReadingError(
        "backwards", f"went back from {baseline.reading} to {reading.value}"
    )


def metered_payment(
    settings: MeterSettings,
    unit_price: Decimal,
    covered: Decimal,
    reading: Decimal,
    budget: Decimal | None = None,
) -> MeteredPayment | None:
    """Return the payment for the whole steps the meter advanced past ``covered``.

    With a budget, only the steps it pays for; None when not one step is due.
    """
    with localcontext(EXACT):
        step = settings.meter_units * settings.pay_every  # in meter units
        steps = (reading - covered) // step
        if budget is not None:
            steps = min(steps, budget // (unit_price * settings.pay_every))
        if steps < 1:
            return None
        units = steps * settings.pay_every
        return MeteredPayment(
            plain(units * unit_price), plain(units), plain(covered + steps * step)
        )
