"""What Home Assistant signs for: a request's rules against the session and our wallet.

Home Assistant signs only for its own wallet, so it refuses what would need another
participant's signature, what others could decide without it, and what moves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import validation
from .clearnode import Allocation, AppDefinition, AppSession, other_funders, weights_of


def check_participant(participants: Sequence[str], address: str) -> None:
    """Refuse an address that is not one of the participants."""
    if address not in participants:
        raise validation.validation_error("not_a_participant", participant=address)


def check_only_we_deposit(allocations: Sequence[Allocation], wallet: str) -> None:
    """Refuse allocations that others fund: they would have to sign too."""
    if others := other_funders(allocations, wallet):
        raise validation.validation_error(
            "missing_signature", participants=", ".join(others)
        )


def check_quorum(session: AppSession, wallet: str) -> None:
    """Refuse a session whose quorum our weight alone does not reach."""
    own_weight, _ = weights_of(session, wallet)
    validation.check_own_weight_reaches_quorum(own_weight, session.quorum)


def check_others_need_us(definition: AppDefinition | AppSession, wallet: str) -> None:
    """Refuse a definition where the others reach the quorum without us."""
    if len(definition.weights) != len(definition.participants):
        return  # the client refuses it, naming the weights
    _, others_weight = weights_of(definition, wallet)
    validation.check_others_need_us(others_weight, definition.quorum)


def known_allocations(session: AppSession) -> tuple[Allocation, ...]:
    """Return the session's allocations; refuse a session whose are not known."""
    if session.allocations is None:
        raise validation.validation_error(
            "allocations_unknown", app_session_id=session.app_session_id
        )
    return session.allocations


def check_not_paying_oneself(payer: str, payee: str, field: str) -> None:
    """Refuse a payment that would move nothing: the payee is the payer."""
    if payee == payer:
        raise validation.validation_error("pay_oneself", field=field, address=payee)


def other_participant(session: AppSession, payer: str) -> str:
    """Return the one participant other than the payer."""
    others = [
        participant for participant in session.participants if participant != payer
    ]
    if len(others) != 1:
        raise validation.validation_error("payee_required")
    return others[0]
