"""What each intent may do to an app session's allocations, in the node's words.

The rules of ``submit_app_state.go`` and ``submit_deposit_state.go``, in their order.

Every rule returns the ledger entries to record and the releases to issue, or raises
before anything is written. Where the node walks a Go map (random order) the pairs are
taken sorted, so that the same request always fails the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from custom_components.nitrolite.clearnode import Allocation, AmountError
from custom_components.nitrolite.clearnode.v1 import check_precision

from .errors import RPCError
from .states import go_amount
from .store import Holdings

type Decimals = Callable[[str], int]
ZERO = Decimal(0)


@dataclass(slots=True)
class Outcome:
    """Ledger entries ``(participant, asset, change)`` and releases to participants."""

    entries: list[tuple[str, str, Decimal]] = field(default_factory=list)
    releases: list[tuple[str, str, Decimal]] = field(default_factory=list)
    deposited: Decimal = ZERO


def _member(weights: dict[str, int], allocation: Allocation) -> None:
    if allocation.participant not in weights:
        raise RPCError(f"allocation to non-participant {allocation.participant}")


def _not_negative(allocation: Allocation) -> None:
    if allocation.amount < 0:
        raise RPCError(
            f"negative allocation: {go_amount(allocation.amount)} "
            f"for asset {allocation.asset}"
        )


def _precise(decimals: Decimals, allocation: Allocation) -> None:
    precision_error(
        decimals,
        allocation.asset,
        allocation.amount,
        f"invalid amount for allocation with asset {allocation.asset} "
        f"and participant {allocation.participant}",
    )


def precision_error(
    decimals: Decimals, asset: str, amount: Decimal, prefix: str
) -> None:
    """Check the asset's precision, judged on the amount as written."""
    try:
        places = decimals(asset)
    except ValueError as err:
        raise RPCError(f"failed to get asset decimals: {err}") from None
    try:
        check_precision(amount, places)
    except AmountError as err:
        raise RPCError(f"{prefix}: {err}") from None


def _first_time(incoming: Holdings, allocation: Allocation) -> tuple[str, str]:
    key = (allocation.participant, allocation.asset)
    if key in incoming:
        raise RPCError(
            f"duplicate allocation for participant {allocation.participant}, "
            f"asset {allocation.asset}"
        )
    return key


def _nonzero(current: Holdings) -> Iterable[tuple[tuple[str, str], Decimal]]:
    return ((key, amount) for key, amount in sorted(current.items()) if amount)


def operate(
    allocations: list[Allocation],
    current: Holdings,
    weights: dict[str, int],
    balances: dict[str, Decimal],
    decimals: Decimals,
) -> Outcome:
    """Redistribute: every non-zero pair listed, each asset's total unchanged."""
    incoming: Holdings = {}
    totals: dict[str, Decimal] = {}
    for allocation in allocations:
        _member(weights, allocation)
        _not_negative(allocation)
        _precise(decimals, allocation)
        key = _first_time(incoming, allocation)
        totals[allocation.asset] = (
            totals.get(allocation.asset, ZERO) + allocation.amount
        )
        incoming[key] = allocation.amount
    outcome = Outcome()
    for (participant, asset), amount in _nonzero(current):
        if (participant, asset) not in incoming:
            raise RPCError(
                f"operate intent missing allocation for participant {participant}, "
                f"asset {asset} with current amount {go_amount(amount)}"
            )
        if change := incoming[participant, asset] - amount:
            outcome.entries.append((participant, asset, change))
    outcome.entries.extend(
        (participant, asset, amount)
        for (participant, asset), amount in incoming.items()
        if amount and not current.get((participant, asset))
    )
    _same_totals(totals, balances)
    return outcome


def _same_totals(totals: dict[str, Decimal], balances: dict[str, Decimal]) -> None:
    for asset, total in sorted(totals.items()):
        balance = balances.get(asset, ZERO)
        if total != balance:
            raise RPCError(
                f"operate intent allocation mismatch for asset {asset}: "
                f"total allocations {go_amount(total)}, session balance {go_amount(balance)}"
            )
    for asset, balance in sorted(balances.items()):
        if balance and asset not in totals:
            raise RPCError(
                f"operate intent missing allocations for asset {asset} "
                f"with balance {go_amount(balance)}"
            )


def withdraw(
    allocations: list[Allocation],
    current: Holdings,
    weights: dict[str, int],
    decimals: Decimals,
) -> Outcome:
    """Pay out: amounts only shrink, and each decrease is released to its participant."""
    incoming: Holdings = {}
    for allocation in allocations:
        _member(weights, allocation)
        _not_negative(allocation)
        key = _first_time(incoming, allocation)
        if allocation.amount and not current.get(key):
            raise RPCError(
                "withdraw intent cannot add new allocation for participant "
                f"{allocation.participant}, asset {allocation.asset}"
            )
        incoming[key] = allocation.amount
    outcome = Outcome()
    for (participant, asset), amount in _nonzero(current):
        if (participant, asset) not in incoming:
            raise RPCError(
                f"withdraw intent missing allocation for participant {participant}, "
                f"asset {asset} with current amount {go_amount(amount)}"
            )
        remaining = incoming[participant, asset]
        if remaining > amount:
            raise RPCError(
                "withdraw intent cannot increase allocations: "
                f"participant {participant}, asset {asset}"
            )
        if remaining < amount:
            paid = amount - remaining
            precision_error(
                decimals,
                asset,
                paid,
                f"invalid withdraw amount for allocation with asset {asset} "
                f"and participant {participant}",
            )
            outcome.entries.append((participant, asset, -paid))
            outcome.releases.append((participant, asset, paid))
    return outcome


def close(
    allocations: list[Allocation], current: Holdings, weights: dict[str, int]
) -> Outcome:
    """Release everything as it stands: the allocations must equal the current ones."""
    incoming: Holdings = {}
    for allocation in allocations:
        _member(weights, allocation)
        _not_negative(allocation)
        incoming[_first_time(incoming, allocation)] = allocation.amount
    outcome = Outcome()
    for (participant, asset), amount in _nonzero(current):
        if (participant, asset) not in incoming:
            raise RPCError(
                f"close intent missing allocation for participant {participant}, "
                f"asset {asset} with current amount {go_amount(amount)}"
            )
        provided = incoming[participant, asset]
        if provided != amount:
            raise RPCError(
                "close intent requires allocations to match current state: "
                f"participant {participant}, asset {asset}, "
                f"current {go_amount(amount)}, provided {go_amount(provided)}"
            )
        outcome.entries.append((participant, asset, -amount))
        outcome.releases.append((participant, asset, amount))
    for (participant, asset), amount in incoming.items():
        if amount and not current.get((participant, asset)):
            raise RPCError(
                f"close intent contains unexpected allocation for participant "
                f"{participant}, asset {asset} with amount {go_amount(amount)}"
            )
    return outcome


def deposit(
    allocations: list[Allocation],
    current: Holdings,
    weights: dict[str, int],
    decimals: Decimals,
    channel_asset: str,
) -> Outcome:
    """Fund: only increases, only in the committed asset; other pairs unchanged."""
    incoming: Holdings = {}
    outcome = Outcome()
    for allocation in allocations:
        _not_negative(allocation)
        _precise(decimals, allocation)
        key = _first_time(incoming, allocation)
        _deposit_one(
            allocation, current.get(key, ZERO), weights, channel_asset, outcome
        )
        incoming[key] = allocation.amount
    # A listed pair of another asset can only stay as it is: less is a decrease, more
    # a deposit in the wrong asset, both refused above. So only a missing one is left.
    for (participant, asset), amount in _nonzero(current):
        if asset != channel_asset and (participant, asset) not in incoming:
            raise RPCError(
                f"deposit intent missing allocation for participant {participant}, "
                f"asset {asset} with current amount {go_amount(amount)}"
            )
    return outcome


def _deposit_one(
    allocation: Allocation,
    now: Decimal,
    weights: dict[str, int],
    channel_asset: str,
    outcome: Outcome,
) -> None:
    participant, asset = allocation.participant, allocation.asset
    if not allocation.amount and not now:
        raise RPCError(
            f"zero allocation for participant {participant}, asset {asset} "
            "with no existing balance"
        )
    if allocation.amount < now:
        raise RPCError(
            f"decreased allocation for {asset} for participant {participant}"
        )
    if allocation.amount > now:
        _member(weights, allocation)
        if asset != channel_asset:
            raise RPCError(
                f"app session deposit allocation for asset '{asset}' does not match "
                f"user channel state asset '{channel_asset}'"
            )
        outcome.entries.append((participant, asset, allocation.amount - now))
        outcome.deposited += allocation.amount - now
