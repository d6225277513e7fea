"""What a v1 node refuses, checked before anything is signed (HA_MAPPING §1.5.3).

The dialect-neutral rules (addresses, bounded amounts, members only, each asset
redistributed exactly) come from :mod:`..validation`; this module adds the node's own:
uint8 weights and quorum, the application-id pattern, 1024 bytes of session data,
amounts within the asset's decimals, and what each intent may do to the allocations.
Every failure is a ClearNodeValidationError naming the field; amounts are returned as
they will be sent, and allocations with participants in EIP-55.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext
import re

from .. import validation as common  # noqa: TID252
from ..addresses import parse_address  # noqa: TID252
from ..amounts import EXACT, AmountError  # noqa: TID252
from ..errors import ClearNodeValidationError  # noqa: TID252
from ..models import Allocation, AppDefinition, AppSession, AppSessionStatus  # noqa: TID252
from .codec import UINT64_LIMIT, canonical_decimal, check_precision, parse_wire_decimal
from .models import PROTOCOL, Asset

APPLICATION_ID = re.compile(r"[a-z0-9_-]{1,66}")
MAX_SESSION_DATA_BYTES = 1024
MAX_PARTICIPANTS = 32
UINT8_LIMIT = 256

type Pair = tuple[str, str]


def _invalid(field: str, message: str) -> ClearNodeValidationError:
    return ClearNodeValidationError(field=field, message=message)


def application_id(value: str) -> str:
    """Check an application id: 1 to 66 of lowercase letters, digits, ``_`` and ``-``."""
    if not isinstance(value, str) or not APPLICATION_ID.fullmatch(value):
        raise _invalid(
            "application", "must be 1 to 66 lowercase letters, digits, _ or -"
        )
    return value


def session_data(value: str | None) -> str:
    """Return the session data to send (``""`` for none), at most 1024 UTF-8 bytes."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid("session_data", "must be text")
    if len(value.encode()) > MAX_SESSION_DATA_BYTES:
        raise _invalid(
            "session_data", f"must be at most {MAX_SESSION_DATA_BYTES} bytes"
        )
    return value


def status(value: str) -> AppSessionStatus:
    """Check a listing's status filter: ``open`` or ``closed``."""
    if value == "open":
        return "open"
    if value == "closed":
        return "closed"
    raise _invalid("status", "must be open or closed")


def funding(
    definition: AppDefinition, values: Iterable[Allocation], wallet: str
) -> dict[str, Decimal]:
    """Return what ``wallet`` deposits into a new session, by asset (positive amounts).

    Members only, each pair once, and nobody else puts funds in: only our wallet signs.
    """
    checked = common.allocations(values, definition.participants)
    common.check_funded_only_by(checked, wallet)
    return {a.asset: a.amount for a in checked if a.participant == wallet and a.amount}


def _uint8(value: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(field, "must be an integer")
    if not 0 <= value < UINT8_LIMIT:
        raise _invalid(field, "must be between 0 and 255")
    return value


def definition(value: AppDefinition, wallet: str) -> AppDefinition:
    """Check a v1 definition that ``wallet`` alone signs; participants in EIP-55."""
    if value.protocol != PROTOCOL:
        raise _invalid("protocol", "v1 sessions have no protocol version")
    if value.challenge != 0:
        raise _invalid("challenge", "v1 sessions have no challenge period")
    if not 0 < len(value.participants) <= MAX_PARTICIPANTS:
        raise _invalid("participants", f"must be 1 to {MAX_PARTICIPANTS} addresses")
    participants = tuple(parse_address(p, "participants") for p in value.participants)
    if len(set(participants)) != len(participants):
        raise _invalid("participants", "an address is listed twice")
    if len(value.weights) != len(participants):
        raise _invalid("weights", "one weight per participant is required")
    weights = tuple(_uint8(weight, "weights") for weight in value.weights)
    quorum = _uint8(value.quorum, "quorum")
    if quorum == 0 or quorum > sum(weights):
        raise _invalid("quorum", "must be above 0 and at most the sum of the weights")
    nonce = value.nonce
    if isinstance(nonce, bool) or not isinstance(nonce, int):
        raise _invalid("nonce", "must be an integer")
    if not 0 < nonce < UINT64_LIMIT:
        raise _invalid("nonce", "must be a non-zero 64-bit integer")
    checked = AppDefinition(
        application_id(value.application),
        PROTOCOL,
        participants,
        weights,
        quorum,
        0,
        nonce,
    )
    _signs_alone(checked.participants, checked.weights, checked.quorum, wallet)
    return checked


def _signs_alone(
    participants: Sequence[str], weights: Sequence[int], quorum: int, wallet: str
) -> None:
    """We sign only for our own wallet: its weight alone must reach the quorum."""
    weight = dict(zip(participants, weights, strict=True)).get(wallet)
    if weight is None:
        raise _invalid("participants", "this wallet is not a participant")
    if weight < quorum:
        raise _invalid(
            "quorum", "needs signatures of other participants, which we cannot make"
        )


def open_session(session: AppSession, wallet: str) -> tuple[Allocation, ...]:
    """Check that we can change ``session``; return its current allocations."""
    if session.status != "open":
        raise _invalid("app_session_id", "the app session is not open")
    if session.allocations is None:
        raise _invalid("app_session_id", "the app session's allocations are unknown")
    _signs_alone(session.participants, session.weights, session.quorum, wallet)
    return session.allocations


def asset_amount(asset: Asset, value: Decimal | str, field: str) -> Decimal:
    """Return a positive amount within the asset's decimals, in its sent form."""
    amount = common.amount(value, field)
    if amount <= 0:
        raise _invalid(field, "must be positive")
    return _precise(asset, amount, field)


def _precise(asset: Asset, amount: Decimal, field: str) -> Decimal:
    """Return the canonical form we send; the node counts the decimals as written."""
    sent = parse_wire_decimal(canonical_decimal(amount))
    try:
        check_precision(sent, asset.decimals)
    except AmountError as err:
        raise _invalid(field, f"{asset.symbol}: {err}") from None
    return sent


def allocations(
    session: AppSession, values: Iterable[Allocation], assets: Mapping[str, Asset]
) -> tuple[Allocation, ...]:
    """Members only, each pair once, amounts >= 0 within their asset's decimals."""
    checked = common.allocations(values, session.participants)
    for item in checked:
        if item.asset not in assets:
            raise _invalid(
                "allocations.asset", f"{item.asset} is not an asset of the node"
            )
    return tuple(
        Allocation(
            item.participant,
            item.asset,
            _precise(assets[item.asset], item.amount, "allocations.amount"),
        )
        for item in checked
    )


def _holdings(values: Iterable[Allocation]) -> dict[Pair, Decimal]:
    return {(a.participant, a.asset): a.amount for a in values if a.amount}


def _lists_every_holding(
    current: Iterable[Allocation], new: Iterable[Allocation], intent: str
) -> None:
    listed = {(a.participant, a.asset) for a in new}
    if any(pair not in listed for pair in _holdings(current)):
        raise _invalid(
            "allocations", f"{intent} must list every participant's non-zero share"
        )


def operate(current: Sequence[Allocation], new: Sequence[Allocation]) -> None:
    """Redistribute: every non-zero share listed, each asset's total unchanged."""
    _lists_every_holding(current, new, "a redistribution")
    with localcontext(EXACT):
        common.redistribution(current, new)


def withdraw(current: Sequence[Allocation], new: Sequence[Allocation]) -> None:
    """Pay out: every non-zero share listed, shares only shrink, no new ones."""
    _lists_every_holding(current, new, "a withdrawal")
    with localcontext(EXACT):
        common.withdraw(current, new)


def same_shares(current: Iterable[Allocation], new: Iterable[Allocation]) -> bool:
    """Whether two allocation lists hold the same non-zero shares."""
    return _holdings(current) == _holdings(new)


def deposit(
    current: Sequence[Allocation], new: Sequence[Allocation], wallet: str
) -> Allocation:
    """One commit funds one asset from our wallet: return the increase.

    Shares only grow, every non-zero share is listed, and only our own share of one
    asset grows (the commit is signed by our wallet).
    """
    _lists_every_holding(current, new, "a deposit")
    before = _holdings(current)
    with localcontext(EXACT):
        common.deposit(current, new)
        increases = [
            Allocation(a.participant, a.asset, change)
            for a in new
            if (change := a.amount - before.get((a.participant, a.asset), Decimal(0)))
        ]
    if len(increases) != 1 or increases[0].participant != wallet:
        raise _invalid(
            "allocations", "a deposit funds one asset of this wallet's share only"
        )
    return increases[0]


def without_zero_shares(values: Iterable[Allocation]) -> tuple[Allocation, ...]:
    """Leave out the zero shares a deposit must not list (the node refuses them)."""
    return tuple(value for value in values if value.amount)


def payment(
    session: AppSession, payer: str, to: str, asset: Asset, value: Decimal | str
) -> tuple[Allocation, ...]:
    """Return ``session``'s allocations after ``payer`` pays ``value`` to ``to``."""
    current = open_session(session, payer)
    payee = parse_address(to, "to")
    if payee == payer:
        raise _invalid("to", "cannot pay yourself")
    if payee not in session.participants:
        raise _invalid("to", "not a session participant")
    amount = asset_amount(asset, value, "amount")
    shares = {(a.participant, a.asset): a.amount for a in current}
    paid, received = (payer, asset.symbol), (payee, asset.symbol)
    if shares.get(paid, Decimal(0)) < amount:
        raise _invalid("amount", "exceeds the payer's allocation")
    with localcontext(EXACT):
        shares[paid] -= amount
        shares[received] = shares.get(received, Decimal(0)) + amount
    return tuple(
        Allocation(participant, symbol, share)
        for (participant, symbol), share in shares.items()
    )
