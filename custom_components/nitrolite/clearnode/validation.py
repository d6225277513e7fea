"""Client-side checks that mirror the ClearNode's rules (PROTOCOL.md §7.8 – §7.11).

Every failure is a ClearNodeValidationError naming the offending field, raised before
anything is signed or sent. Sums and differences of amounts are computed in
:data:`~.amounts.EXACT`: a rounded total could hide a unit that goes missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Literal

from .addresses import parse_address
from .amounts import EXACT, AmountError, parse_amount
from .errors import ClearNodeValidationError
from .models import Allocation, AppDefinition, AppSession

SUPPORTED_PROTOCOLS = frozenset({"NitroRPC/0.2", "NitroRPC/0.4"})
type Intent = Literal["operate", "deposit", "withdraw"]
type Holdings = dict[tuple[str, str], Decimal]
_UINT64 = 2**64


def _invalid(field: str, message: str) -> ClearNodeValidationError:
    return ClearNodeValidationError(field=field, message=message)


def amount(value: Decimal | str | int, field: str) -> Decimal:
    """Return a bounded, finite, non-negative Decimal (floats are refused: inexact)."""
    try:
        return parse_amount(value)
    except AmountError as err:
        raise _invalid(field, str(err)) from None


def _uint64(value: int, field: str, *, nonzero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, "must be an integer")
    if not 0 <= value < _UINT64 or (nonzero and value == 0):
        kind = "a non-zero" if nonzero else "a non-negative"
        raise _invalid(field, f"must be {kind} 64-bit integer")
    return value


def definition(value: AppDefinition) -> AppDefinition:
    """Check an app definition; return it with participants in EIP-55."""
    if value.protocol not in SUPPORTED_PROTOCOLS:
        raise _invalid("protocol", "must be NitroRPC/0.2 or NitroRPC/0.4")
    if len(value.participants) < 2:  # noqa: PLR2004 - server minimum
        raise _invalid("participants", "at least two participants are required")
    participants = tuple(parse_address(p, "participants") for p in value.participants)
    if len(value.weights) != len(participants):
        raise _invalid("weights", "one weight per participant is required")
    weights = tuple(_uint64(w, "weights") for w in value.weights)
    if _uint64(value.quorum, "quorum") > sum(weights):
        raise _invalid("quorum", "exceeds the sum of the weights")
    return AppDefinition(
        application=value.application,
        protocol=value.protocol,
        participants=participants,
        weights=weights,
        quorum=value.quorum,
        challenge=_uint64(value.challenge, "challenge"),
        nonce=_uint64(value.nonce, "nonce", nonzero=True),
    )


def allocations(
    values: Iterable[Allocation], participants: Sequence[str]
) -> tuple[Allocation, ...]:
    """Check allocations: members only, known asset names, amounts >= 0."""
    members = {parse_address(p, "participants") for p in participants}
    checked: list[Allocation] = []
    seen: set[tuple[str, str]] = set()
    for item in values:
        participant = parse_address(item.participant, "allocations.participant")
        if participant not in members:
            raise _invalid("allocations.participant", "not a session participant")
        if not isinstance(item.asset, str) or not item.asset:
            raise _invalid("allocations.asset", "must be an asset symbol")
        if (participant, item.asset) in seen:
            raise _invalid("allocations", "participant and asset listed twice")
        seen.add((participant, item.asset))
        value = amount(item.amount, "allocations.amount")
        checked.append(Allocation(participant, item.asset, value))
    return tuple(checked)


def _holdings(values: Iterable[Allocation]) -> Holdings:
    return {(a.participant, a.asset): a.amount for a in values}


def _totals(values: Iterable[Allocation]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for item in values:
        totals[item.asset] = EXACT.add(totals[item.asset], item.amount)
    return {asset: total for asset, total in totals.items() if total}


def redistribution(current: Iterable[Allocation], new: Iterable[Allocation]) -> None:
    """Operate and close must redistribute each asset's holdings exactly."""
    if _totals(current) != _totals(new):
        raise _invalid("allocations", "must redistribute the session holdings exactly")


def _changes(current: Iterable[Allocation], new: Iterable[Allocation]) -> list[Decimal]:
    before, after = _holdings(current), _holdings(new)
    keys = before.keys() | after.keys()
    return [
        EXACT.subtract(after.get(k, Decimal(0)), before.get(k, Decimal(0)))
        for k in keys
    ]


def deposit(current: Iterable[Allocation], new: Iterable[Allocation]) -> None:
    """Check that a deposit increases some allocation and decreases none."""
    changes = _changes(current, new)
    if any(c < 0 for c in changes) or not any(c > 0 for c in changes):
        raise _invalid("allocations", "a deposit must only increase allocations")


def withdraw(current: Iterable[Allocation], new: Iterable[Allocation]) -> None:
    """Check that a withdrawal decreases some allocation and increases none."""
    changes = _changes(current, new)
    if any(c > 0 for c in changes) or not any(c < 0 for c in changes):
        raise _invalid("allocations", "a withdrawal must only decrease allocations")


def intent(value: str) -> Intent:
    """Check a NitroRPC/0.4 intent name."""
    if value == "operate":
        return "operate"
    if value == "deposit":
        return "deposit"
    if value == "withdraw":
        return "withdraw"
    raise _invalid("intent", "must be operate, deposit or withdraw")


def state_change(
    session: AppSession, new: Iterable[Allocation], change: Intent | Literal["close"]
) -> tuple[Allocation, ...]:
    """Check a submit or close against the session, when its allocations are known."""
    if session.status != "open":
        raise _invalid("app_session_id", "the app session is not open")
    if session.protocol not in SUPPORTED_PROTOCOLS:
        raise _invalid("protocol", "unsupported session protocol")
    if session.protocol == "NitroRPC/0.2" and change in {"deposit", "withdraw"}:
        raise _invalid("intent", "NitroRPC/0.2 sessions only support operate")
    checked = allocations(new, session.participants)
    if session.allocations is not None:
        if change in {"operate", "close"}:
            redistribution(session.allocations, checked)
        elif change == "deposit":
            deposit(session.allocations, checked)
        else:
            withdraw(session.allocations, checked)
    return checked


def next_version(session: AppSession, version: int | None) -> int:
    """Return current + 1; an explicit ``version`` must equal it."""
    expected = session.version + 1
    if version is not None and version != expected:
        raise _invalid("version", f"must be {expected} (current version + 1)")
    return expected


def signers(signer_addresses: Iterable[str], participants: Sequence[str]) -> None:
    """Every signer must be a participant: a stray signature fails the request."""
    members = {parse_address(p, "participants") for p in participants}
    if any(parse_address(s, "signers") not in members for s in signer_addresses):
        raise _invalid("signers", "a signer is not a session participant")


def weights_of(definition: AppDefinition | AppSession, wallet: str) -> tuple[int, int]:
    """Return ``wallet``'s weight and the other participants' weights together."""
    own = others = 0
    for participant, weight in zip(
        definition.participants, definition.weights, strict=False
    ):
        if participant == wallet:
            own += weight
        else:
            others += weight
    return own, others


def check_signable_alone(session: AppSession, wallet: str) -> None:
    """We sign for ``wallet`` only: it must take part, and its weight reach the quorum."""
    signers([wallet], session.participants)
    own, _ = weights_of(session, wallet)
    if own < session.quorum:
        raise _invalid("quorum", "our weight alone does not reach the quorum")


def other_funders(allocations: Iterable[Allocation], wallet: str) -> list[str]:
    """Return, sorted, the participants other than ``wallet`` that put funds in."""
    return sorted(
        {a.participant for a in allocations if a.amount > 0 and a.participant != wallet}
    )


def check_funded_only_by(allocations: Iterable[Allocation], wallet: str) -> None:
    """Refuse funds of others in a session ``wallet`` creates alone: they must sign."""
    if other_funders(allocations, wallet):
        raise _invalid(
            "allocations", "only our wallet can fund a session it creates alone"
        )


def transfer(
    destination: str, values: Iterable[tuple[str, Decimal | str]], sender: str
) -> tuple[str, tuple[tuple[str, Decimal], ...]]:
    """Check a transfer: valid destination other than us, positive amounts."""
    target = parse_address(destination, "destination")
    if target == sender:
        raise _invalid("destination", "cannot transfer to yourself")
    checked = tuple(
        (asset, amount(value, "allocations.amount")) for asset, value in values
    )
    if not checked:
        raise _invalid("allocations", "at least one asset is required")
    for asset, value in checked:
        if not asset:
            raise _invalid("allocations.asset", "must be an asset symbol")
        if value <= 0:
            raise _invalid("allocations.amount", "must be positive")
    return target, checked
