"""App sessions on the v0.5 wire: checked requests, checked answers, derived ids (§8).

Each ``*_params`` function applies the rules a request must meet before it is signed
(:mod:`..validation`) and returns its params with what the answer must then say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from .. import validation
from ..addresses import parse_address
from ..amounts import format_amount
from ..digests import keccak256
from ..errors import ClearNodeInvalidAnswerError, ClearNodeValidationError
from ..models import Allocation, AppDefinition, AppSession, AppSessionResult
from .gojson import go_json

PAGE_LIMIT = 100  # the server's largest page

# A definition object's keys in the order Go marshals them, each with the zero value
# Go gives a key the object leaves out.
_DEFINITION_ZERO_VALUES: dict[str, Any] = {
    "application": "",
    "protocol": "",
    "participants": None,
    "weights": None,
    "quorum": 0,
    "challenge": 0,
    "nonce": 0,
}


def definition_params(definition: AppDefinition) -> dict[str, Any]:
    """Return a definition as the ``definition`` object of ``create_app_session``."""
    return {
        "application": definition.application,
        "protocol": definition.protocol,
        "participants": list(definition.participants),
        "weights": list(definition.weights),
        "quorum": definition.quorum,
        "challenge": definition.challenge,
        "nonce": definition.nonce,
    }


def allocation_params(allocations: Sequence[Allocation]) -> list[dict[str, str]]:
    """Return allocations as the ``allocations`` list of the session methods."""
    return [
        {
            "participant": a.participant,
            "asset": a.asset,
            "amount": format_amount(a.amount),
        }
        for a in allocations
    ]


def _definition_fields(definition: AppDefinition | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(definition, Mapping):
        return {k: definition.get(k, v) for k, v in _DEFINITION_ZERO_VALUES.items()}
    return definition_params(definition)


def app_session_id(definition: AppDefinition | Mapping[str, Any]) -> str:
    """Derive the app session id the server will assign to ``definition`` (§8)."""
    preimage = go_json(_definition_fields(definition))
    return "0x" + keccak256(preimage.encode()).hex()


def create_params(
    definition: AppDefinition,
    allocations: Sequence[Allocation],
    session_data: str | None,
    *,
    application: str,
    wallet: str,
) -> tuple[dict[str, Any], str]:
    """Return the params of a session ``wallet`` creates and funds alone, and its id."""
    checked = validation.definition(definition)
    if checked.application != application:
        raise ClearNodeValidationError(
            field="application",
            message="must be the application the session key is registered for",
        )
    funds = validation.allocations(allocations, checked.participants)
    validation.check_funded_only_by(funds, wallet)
    params: dict[str, Any] = {
        "definition": definition_params(checked),
        "allocations": allocation_params(funds),
    }
    if session_data is not None:
        params["session_data"] = session_data
    return params, app_session_id(checked)


def state_params(
    session: AppSession,
    allocations: Sequence[Allocation],
    change: validation.Intent | Literal["close"],
    session_data: str | None,
    *,
    wallet: str,
) -> tuple[dict[str, Any], int]:
    """Return the params of a submit or close that ``wallet`` signs alone.

    Also returns the version the answer must carry: NitroRPC/0.4 sends the intent and
    the next version with a submit; a close always moves to the next version.
    """
    checked = validation.state_change(session, allocations, change)
    validation.check_signable_alone(session, wallet)
    params: dict[str, Any] = {"app_session_id": session.app_session_id}
    version = validation.next_version(session, None)
    if change != "close" and session.protocol == "NitroRPC/0.4":
        params |= {"intent": change, "version": version}
    params["allocations"] = allocation_params(checked)
    if session_data is not None:
        params["session_data"] = session_data
    return params, version


def check_result(result: AppSessionResult, session: AppSession, version: int) -> None:
    """Refuse an answer for another session, or (NitroRPC/0.4) another version."""
    if result.app_session_id != session.app_session_id or (
        session.protocol == "NitroRPC/0.4" and result.version != version
    ):
        msg = "the ClearNode answered for another session or version"
        raise ClearNodeInvalidAnswerError(msg)


def listing_params(
    participant: str | None,
    status: str | None,
    offset: int,
    limit: int,
    sort: str | None,
) -> dict[str, Any]:
    """Return the params of one ``get_app_sessions`` page."""
    params: dict[str, Any] = {}
    if participant is not None:
        params["participant"] = parse_address(participant, "participant")
    if status is not None:
        if status not in {"open", "closed"}:
            raise ClearNodeValidationError(field="status", message="open or closed")
        params["status"] = status
    if offset < 0 or not 1 <= limit <= PAGE_LIMIT:
        raise ClearNodeValidationError(field="limit", message="1 to 100, offset >= 0")
    params |= {"offset": offset, "limit": limit}
    if sort is not None:
        if sort not in {"asc", "desc"}:
            raise ClearNodeValidationError(field="sort", message="asc or desc")
        params["sort"] = sort
    return params
