"""Arithmetic on allocations, exact to the last digit (no rounding, ever)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from .clearnode import EXACT, Allocation, format_amount
from .validation import validation_error

type Totals = dict[tuple[str, str], Decimal]


@dataclass(frozen=True, slots=True)
class Payment:
    """One asset moved from one participant to another."""

    payer: str
    payee: str
    asset: str
    amount: Decimal


def totals(allocations: Sequence[Allocation]) -> Totals:
    """Sum the allocations per (participant, asset)."""
    summed: Totals = {}
    with localcontext(EXACT):
        for allocation in allocations:
            key = (allocation.participant, allocation.asset)
            summed[key] = summed.get(key, Decimal(0)) + allocation.amount
    return summed


def increases(
    before: Sequence[Allocation], after: Sequence[Allocation]
) -> list[Allocation]:
    """Return by how much each (participant, asset) grows from ``before`` to ``after``."""
    held = totals(before)
    with localcontext(EXACT):
        return [
            Allocation(
                participant, asset, amount - held.get((participant, asset), Decimal(0))
            )
            for (participant, asset), amount in totals(after).items()
            if amount > held.get((participant, asset), Decimal(0))
        ]


def payment_between(
    before: Sequence[Allocation], after: Sequence[Allocation]
) -> Payment | None:
    """Return the payment a change is, if it moved one asset from one payer to one payee."""
    held, now = totals(before), totals(after)
    with localcontext(EXACT):
        changes = {
            key: now.get(key, Decimal(0)) - held.get(key, Decimal(0))
            for key in held.keys() | now.keys()
            if now.get(key, Decimal(0)) != held.get(key, Decimal(0))
        }
        if len(changes) != 2:  # one payer, one payee
            return None
        (payer, paid), (payee, received) = sorted(
            changes.items(), key=lambda item: item[1]
        )
        if paid + received != 0 or payer[1] != payee[1]:
            return None
    return Payment(payer[0], payee[0], payer[1], received)


def move(
    allocations: Sequence[Allocation],
    payer: str,
    payee: str,
    asset: str,
    amount: Decimal,
) -> tuple[Allocation, ...]:
    """Return the allocations with ``amount`` moved from payer to payee."""
    summed = totals(allocations)
    available = summed.get((payer, asset), Decimal(0))
    if available < amount:
        raise validation_error(
            "insufficient_allocation", available=format_amount(available), asset=asset
        )
    with localcontext(EXACT):
        summed[payer, asset] = available - amount
        summed[payee, asset] = summed.get((payee, asset), Decimal(0)) + amount
    return tuple(
        Allocation(participant, asset_, value)
        for (participant, asset_), value in summed.items()
    )


def add(
    allocations: Sequence[Allocation], participant: str, asset: str, amount: Decimal
) -> tuple[Allocation, ...]:
    """Return the allocations with ``amount`` more for the participant (a deposit)."""
    summed = totals(allocations)
    with localcontext(EXACT):
        summed[participant, asset] = (
            summed.get((participant, asset), Decimal(0)) + amount
        )
    return tuple(
        Allocation(participant_, asset_, value)
        for (participant_, asset_), value in summed.items()
    )
