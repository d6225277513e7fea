"""App sessions on the v0.5 wire: the request shapes and the id the server derives (§8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..amounts import format_amount
from ..digests import keccak256
from ..models import Allocation, AppDefinition
from .gojson import go_json

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
