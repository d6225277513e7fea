"""What an action call carries: its fields, and the checks that turn them into requests.

Each check raises the translated ServiceValidationError that names the field.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
import re
from typing import Any

from . import validation
from .clearnode import (
    V1_MAX_SESSION_DATA_BYTES,
    V1_PROTOCOL,
    V1_WEIGHT_LIMIT,
    Allocation,
    AppDefinition,
    Feature,
    WalletClient,
)
from .const import DEFAULT_CHALLENGE, DEFAULT_PROTOCOL, PROTOCOLS
from .data import NitroliteRuntimeData

ATTR_CONFIG_ENTRY_ID = "config_entry_id"
ATTR_APP_SESSION_ID = "app_session_id"
ATTR_APPLICATION = "application"
ATTR_PROTOCOL = "protocol"
ATTR_PARTICIPANTS = "participants"
ATTR_WEIGHTS = "weights"
ATTR_QUORUM = "quorum"
ATTR_CHALLENGE = "challenge"
ATTR_NONCE = "nonce"
ATTR_ALLOCATIONS = "allocations"
ATTR_SESSION_DATA = "session_data"
ATTR_COUNTERPARTY = "counterparty"
ATTR_ASSET = "asset"
ATTR_AMOUNT = "amount"
ATTR_PARTICIPANT = "participant"
ATTR_INTENT = "intent"
ATTR_FROM = "from"
ATTR_TO = "to"
ATTR_DESTINATION = "destination"
ATTR_STATUS = "status"
ATTR_PRESET = "preset"
ATTR_UNITS = "units"
ATTR_WALLET = "wallet"

INTENTS = ("operate", "deposit", "withdraw")
SESSION_STATUSES = ("open", "closed")
TWO_PARTY_WEIGHTS = (100, 0)
TWO_PARTY_QUORUM = 100

SHORTCUT_FIELDS = (ATTR_COUNTERPARTY, ATTR_ASSET, ATTR_AMOUNT)
DEFINITION_FIELDS = (ATTR_PARTICIPANTS, ATTR_WEIGHTS, ATTR_QUORUM, ATTR_ALLOCATIONS)
# Fields a preset supplies, so a call naming a preset must leave them out.
PRESET_CREATE_FIELDS = (
    *SHORTCUT_FIELDS,
    *DEFINITION_FIELDS,
    ATTR_CHALLENGE,
    ATTR_PROTOCOL,
    ATTR_APPLICATION,
)
PRESET_PAY_FIELDS = (ATTR_APP_SESSION_ID, ATTR_AMOUNT, ATTR_ASSET, ATTR_FROM, ATTR_TO)
PRESET_CLOSE_FIELDS = (ATTR_APP_SESSION_ID,)
APP_SESSION_ID_PATTERN = re.compile(r"0x[0-9a-fA-F]{64}")
# Definition fields a node without session protocols (v1) has no place for.
SESSION_PROTOCOL_FIELDS = (ATTR_PROTOCOL, ATTR_CHALLENGE)


def choice(data: Mapping[str, Any], field: str, choices: Sequence[str]) -> str:
    """Return the field's value if it is one of ``choices``."""
    value: str = data[field]
    if value not in choices:
        raise validation.validation_error(
            "invalid_choice", field=field, value=value, choices=", ".join(choices)
        )
    return value


def optional_address(data: Mapping[str, Any], field: str) -> str | None:
    """Return the field as an EIP-55 address, None if the call leaves it out."""
    return validation.address(data[field], field) if field in data else None


def app_session_id(data: Mapping[str, Any]) -> str:
    """Return the app session id the call names, lowercase."""
    value: str = data[ATTR_APP_SESSION_ID]
    if not APP_SESSION_ID_PATTERN.fullmatch(value):
        raise validation.validation_error(
            "invalid_app_session_id", field=ATTR_APP_SESSION_ID, value=value
        )
    return value.lower()


def parse_allocations(items: Sequence[Mapping[str, str]]) -> list[Allocation]:
    """Return the call's allocations, each participant and amount checked."""
    return [
        Allocation(
            participant=validation.address(
                item[ATTR_PARTICIPANT], f"{ATTR_ALLOCATIONS}[{index}].participant"
            ),
            asset=item[ATTR_ASSET],
            amount=validation.amount(
                item[ATTR_AMOUNT], f"{ATTR_ALLOCATIONS}[{index}].amount"
            ),
        )
        for index, item in enumerate(items)
    ]


def require(
    data: Mapping[str, Any], fields: Sequence[str], translation_key: str
) -> None:
    """Refuse a call that leaves out one of ``fields``."""
    for field in fields:
        if field not in data:
            raise validation.validation_error(translation_key, field=field)


def _two_party_request(
    data: Mapping[str, Any], own: str
) -> tuple[tuple[str, ...], tuple[int, ...], int, list[Allocation]]:
    """Own wallet deposits the amount; the counterparty joins with nothing."""
    require(data, SHORTCUT_FIELDS, "missing_shortcut_field")
    counterparty = validation.address(data[ATTR_COUNTERPARTY], ATTR_COUNTERPARTY)
    asset: str = data[ATTR_ASSET]
    allocations = [
        Allocation(
            own, asset, validation.positive_amount(data[ATTR_AMOUNT], ATTR_AMOUNT)
        ),
        Allocation(counterparty, asset, Decimal(0)),
    ]
    return (own, counterparty), TWO_PARTY_WEIGHTS, TWO_PARTY_QUORUM, allocations


def _explicit_request(
    data: Mapping[str, Any],
) -> tuple[tuple[str, ...], tuple[int, ...], int, list[Allocation]]:
    require(data, DEFINITION_FIELDS, "missing_definition_field")
    participants = tuple(
        validation.address(value, f"{ATTR_PARTICIPANTS}[{index}]")
        for index, value in enumerate(data[ATTR_PARTICIPANTS])
    )
    allocations = parse_allocations(data[ATTR_ALLOCATIONS])
    return participants, tuple(data[ATTR_WEIGHTS]), data[ATTR_QUORUM], allocations


def check_node_rules(data: Mapping[str, Any], client: WalletClient) -> None:
    """Refuse, by field, what the entry's node has no place for (v1 definitions).

    A v1 definition has no protocol version or challenge period, uint8 weights and
    quorum, and at most 1024 bytes of session data.
    """
    if Feature.SESSION_PROTOCOLS in client.features:
        return
    if given := [field for field in SESSION_PROTOCOL_FIELDS if field in data]:
        raise validation.validation_error("field_not_supported", field=given[0])
    _check_v1_weights(data)
    _check_v1_session_data(data)


def _check_v1_weights(data: Mapping[str, Any]) -> None:
    weights = [
        (f"{ATTR_WEIGHTS}[{index}]", weight)
        for index, weight in enumerate(data.get(ATTR_WEIGHTS, ()))
    ]
    if ATTR_QUORUM in data:
        weights.append((ATTR_QUORUM, data[ATTR_QUORUM]))
    for field, weight in weights:
        if weight >= V1_WEIGHT_LIMIT:
            raise validation.validation_error(
                "weight_too_large",
                field=field,
                value=str(weight),
                max=str(V1_WEIGHT_LIMIT - 1),
            )


def _check_v1_session_data(data: Mapping[str, Any]) -> None:
    size = len(data.get(ATTR_SESSION_DATA, "").encode())
    if size > V1_MAX_SESSION_DATA_BYTES:
        raise validation.validation_error(
            "session_data_too_long",
            field=ATTR_SESSION_DATA,
            size=str(size),
            max=str(V1_MAX_SESSION_DATA_BYTES),
        )


def _protocol(data: Mapping[str, Any], client: WalletClient) -> str:
    if Feature.SESSION_PROTOCOLS not in client.features:
        return V1_PROTOCOL
    return choice({ATTR_PROTOCOL: DEFAULT_PROTOCOL, **data}, ATTR_PROTOCOL, PROTOCOLS)


def _application(data: Mapping[str, Any], runtime: NitroliteRuntimeData) -> str:
    if ATTR_APPLICATION not in data:
        return runtime.coordinator.application
    return validation.application(data[ATTR_APPLICATION], ATTR_APPLICATION)


def create_request(
    data: Mapping[str, Any], runtime: NitroliteRuntimeData
) -> tuple[AppDefinition, list[Allocation]]:
    """Build the app definition and allocations from either form of the call."""
    shortcut = [field for field in SHORTCUT_FIELDS if field in data]
    explicit = [field for field in DEFINITION_FIELDS if field in data]
    if shortcut and explicit:
        raise validation.validation_error(
            "mixed_create_forms", shortcut=shortcut[0], field=explicit[0]
        )
    participants, weights, quorum, allocations = (
        _two_party_request(data, runtime.actions.wallet_address)
        if shortcut
        else _explicit_request(data)
    )
    definition = AppDefinition(
        application=_application(data, runtime),
        protocol=_protocol(data, runtime.client),
        participants=participants,
        weights=weights,
        quorum=quorum,
        challenge=data.get(ATTR_CHALLENGE, DEFAULT_CHALLENGE),
        nonce=data[ATTR_NONCE] if ATTR_NONCE in data else runtime.actions.next_nonce(),
    )
    return definition, allocations
