"""Actions of the Nitrolite integration: app sessions, payments and transfers."""

from collections.abc import Callable, Coroutine, Mapping, Sequence
from decimal import Decimal
import re
from typing import TYPE_CHECKING, Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util.json import JsonObjectType

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol  # type: ignore[import-not-found,unused-ignore]
else:
    import voluptuous as vol

from . import validation
from .clearnode import (
    V1_MAX_SESSION_DATA_BYTES,
    V1_PROTOCOL,
    V1_WEIGHT_LIMIT,
    Allocation,
    AppDefinition,
    AppSession,
    Feature,
    WalletClient,
)
from .const import DEFAULT_CHALLENGE, DEFAULT_PROTOCOL, DOMAIN, PROTOCOLS
from .data import NitroliteConfigEntry, NitroliteRuntimeData
from .faucet import async_request_test_tokens
from .presets import Preset, PresetManager
from .serialize import RESPONSE_FIELDS, balance_json, session_json, transaction_json

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

SERVICE_CREATE_APP_SESSION = "create_app_session"
SERVICE_SUBMIT_APP_STATE = "submit_app_state"
SERVICE_PAY_IN_SESSION = "pay_in_session"
SERVICE_CLOSE_APP_SESSION = "close_app_session"
SERVICE_TRANSFER = "transfer"
SERVICE_GET_BALANCES = "get_balances"
SERVICE_GET_APP_SESSIONS = "get_app_sessions"
SERVICE_REQUEST_TEST_TOKENS = "request_test_tokens"

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

ALLOCATION_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_PARTICIPANT): cv.string,
        vol.Required(ATTR_ASSET): cv.string,
        vol.Required(ATTR_AMOUNT): cv.string,
    }
)
ALLOCATIONS = vol.All(cv.ensure_list, [ALLOCATION_SCHEMA])
ENTRY_SCHEMA: dict[vol.Marker, Any] = {vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string}
SESSION_SCHEMA: dict[vol.Marker, Any] = {
    **ENTRY_SCHEMA,
    vol.Required(ATTR_APP_SESSION_ID): cv.string,
}
PRESET_SESSION_SCHEMA: dict[vol.Marker, Any] = {
    **ENTRY_SCHEMA,
    vol.Optional(ATTR_APP_SESSION_ID): cv.string,
    vol.Optional(ATTR_PRESET): cv.string,
}

CREATE_APP_SESSION_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Optional(ATTR_PRESET): cv.string,
        vol.Optional(ATTR_COUNTERPARTY): cv.string,
        vol.Optional(ATTR_ASSET): cv.string,
        vol.Optional(ATTR_AMOUNT): cv.string,
        vol.Optional(ATTR_PARTICIPANTS): vol.All(cv.ensure_list, [cv.string]),
        vol.Optional(ATTR_WEIGHTS): vol.All(cv.ensure_list, [cv.positive_int]),
        vol.Optional(ATTR_QUORUM): cv.positive_int,
        vol.Optional(ATTR_ALLOCATIONS): ALLOCATIONS,
        vol.Optional(ATTR_CHALLENGE): cv.positive_int,
        vol.Optional(ATTR_NONCE): vol.All(vol.Coerce(int), vol.Range(min=1)),
        vol.Optional(ATTR_PROTOCOL): cv.string,
        vol.Optional(ATTR_APPLICATION): cv.string,
        vol.Optional(ATTR_SESSION_DATA): cv.string,
    }
)
SUBMIT_APP_STATE_SCHEMA = vol.Schema(
    {
        **SESSION_SCHEMA,
        vol.Required(ATTR_ALLOCATIONS): ALLOCATIONS,
        vol.Optional(ATTR_INTENT, default="operate"): cv.string,
        vol.Optional(ATTR_SESSION_DATA): cv.string,
    }
)
PAY_IN_SESSION_SCHEMA = vol.Schema(
    {
        **PRESET_SESSION_SCHEMA,
        vol.Optional(ATTR_UNITS): cv.string,
        vol.Optional(ATTR_AMOUNT): cv.string,
        vol.Optional(ATTR_ASSET): cv.string,
        vol.Optional(ATTR_FROM): cv.string,
        vol.Optional(ATTR_TO): cv.string,
    }
)
CLOSE_APP_SESSION_SCHEMA = vol.Schema(
    {
        **PRESET_SESSION_SCHEMA,
        vol.Optional(ATTR_ALLOCATIONS): ALLOCATIONS,
        vol.Optional(ATTR_SESSION_DATA): cv.string,
    }
)
TRANSFER_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Required(ATTR_DESTINATION): cv.string,
        vol.Required(ATTR_ASSET): cv.string,
        vol.Required(ATTR_AMOUNT): cv.string,
    }
)
GET_BALANCES_SCHEMA = vol.Schema({**ENTRY_SCHEMA, vol.Optional(ATTR_WALLET): cv.string})
REQUEST_TEST_TOKENS_SCHEMA = vol.Schema(ENTRY_SCHEMA)
GET_APP_SESSIONS_SCHEMA = vol.Schema(
    {
        **ENTRY_SCHEMA,
        vol.Optional(ATTR_STATUS): cv.string,
        vol.Optional(ATTR_PARTICIPANT): cv.string,
    }
)


def _choice(data: Mapping[str, Any], field: str, choices: Sequence[str]) -> str:
    value: str = data[field]
    if value not in choices:
        raise validation.validation_error(
            "invalid_choice", field=field, value=value, choices=", ".join(choices)
        )
    return value


def _optional_address(data: Mapping[str, Any], field: str) -> str | None:
    return validation.address(data[field], field) if field in data else None


def _app_session_id(data: Mapping[str, Any]) -> str:
    value: str = data[ATTR_APP_SESSION_ID]
    if not APP_SESSION_ID_PATTERN.fullmatch(value):
        raise validation.validation_error(
            "invalid_app_session_id", field=ATTR_APP_SESSION_ID, value=value
        )
    return value.lower()


def _allocations(items: Sequence[Mapping[str, str]]) -> list[Allocation]:
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


def _require(
    data: Mapping[str, Any], fields: Sequence[str], translation_key: str
) -> None:
    for field in fields:
        if field not in data:
            raise validation.validation_error(translation_key, field=field)


def _two_party_request(
    data: Mapping[str, Any], own: str
) -> tuple[tuple[str, ...], tuple[int, ...], int, list[Allocation]]:
    """Own wallet deposits the amount; the counterparty joins with nothing."""
    _require(data, SHORTCUT_FIELDS, "missing_shortcut_field")
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
    _require(data, DEFINITION_FIELDS, "missing_definition_field")
    participants = tuple(
        validation.address(value, f"{ATTR_PARTICIPANTS}[{index}]")
        for index, value in enumerate(data[ATTR_PARTICIPANTS])
    )
    allocations = _allocations(data[ATTR_ALLOCATIONS])
    return participants, tuple(data[ATTR_WEIGHTS]), data[ATTR_QUORUM], allocations


def _check_node_rules(data: Mapping[str, Any], client: WalletClient) -> None:
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
    return _choice({ATTR_PROTOCOL: DEFAULT_PROTOCOL, **data}, ATTR_PROTOCOL, PROTOCOLS)


def _application(data: Mapping[str, Any], runtime: NitroliteRuntimeData) -> str:
    if ATTR_APPLICATION not in data:
        return runtime.coordinator.application
    return validation.application(data[ATTR_APPLICATION], ATTR_APPLICATION)


def _create_request(
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


def _session_response(session: AppSession) -> JsonObjectType:
    """Describe an app session the way every action answers."""
    return session_json(session, RESPONSE_FIELDS)


def _single_loaded_entry_id(hass: HomeAssistant) -> str:
    """Pick the account when config_entry_id is left out (one must be loaded)."""
    entries = hass.config_entries.async_loaded_entries(DOMAIN)
    if len(entries) != 1:
        raise validation.validation_error(
            "entry_required" if entries else "no_loaded_entry",
            field=ATTR_CONFIG_ENTRY_ID,
        )
    return entries[0].entry_id


def _runtime(call: ServiceCall) -> NitroliteRuntimeData:
    entry_id = call.data.get(ATTR_CONFIG_ENTRY_ID) or _single_loaded_entry_id(call.hass)
    entry: NitroliteConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, entry_id
    )
    return entry.runtime_data


def _preset(
    call: ServiceCall, supplied: Sequence[str]
) -> tuple[PresetManager, Preset] | None:
    """Return the preset the call names, refusing fields the preset supplies."""
    if (key := call.data.get(ATTR_PRESET)) is None:
        return None
    if given := [field for field in supplied if field in call.data]:
        raise validation.validation_error("preset_conflict", field=given[0], preset=key)
    presets = _runtime(call).presets
    return presets, presets.find(key)


async def _async_create_app_session(call: ServiceCall) -> ServiceResponse:
    _check_node_rules(call.data, _runtime(call).client)
    if found := _preset(call, PRESET_CREATE_FIELDS):
        presets, preset = found
        session = await presets.async_open(
            preset, call.data.get(ATTR_NONCE), call.data.get(ATTR_SESSION_DATA)
        )
        return _session_response(session)
    runtime = _runtime(call)
    definition, allocations = _create_request(call.data, runtime)
    session = await runtime.actions.async_create_app_session(
        definition, allocations, call.data.get(ATTR_SESSION_DATA)
    )
    return _session_response(session)


async def _async_submit_app_state(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    _check_node_rules(call.data, runtime.client)
    session = await runtime.actions.async_submit_app_state(
        _app_session_id(call.data),
        _allocations(call.data[ATTR_ALLOCATIONS]),
        _choice(call.data, ATTR_INTENT, INTENTS),
        call.data.get(ATTR_SESSION_DATA),
    )
    return _session_response(session)


async def _async_pay_in_session(call: ServiceCall) -> ServiceResponse:
    if found := _preset(call, PRESET_PAY_FIELDS):
        presets, preset = found
        units = validation.amount(call.data.get(ATTR_UNITS, "1"), ATTR_UNITS)
        return _session_response(await presets.async_pay(preset, units))
    if ATTR_UNITS in call.data:
        raise validation.validation_error("preset_required", field=ATTR_UNITS)
    _require(call.data, (ATTR_APP_SESSION_ID, ATTR_AMOUNT), "field_required")
    session = await _runtime(call).actions.async_pay_in_session(
        _app_session_id(call.data),
        validation.positive_amount(call.data[ATTR_AMOUNT], ATTR_AMOUNT),
        call.data.get(ATTR_ASSET),
        _optional_address(call.data, ATTR_FROM),
        _optional_address(call.data, ATTR_TO),
    )
    return _session_response(session)


async def _async_close_app_session(call: ServiceCall) -> ServiceResponse:
    _check_node_rules(call.data, _runtime(call).client)
    items = call.data.get(ATTR_ALLOCATIONS)
    allocations = None if items is None else _allocations(items)
    session_data = call.data.get(ATTR_SESSION_DATA)
    if found := _preset(call, PRESET_CLOSE_FIELDS):
        presets, preset = found
        session = await presets.async_close(preset, allocations, session_data)
        return _session_response(session)
    _require(call.data, (ATTR_APP_SESSION_ID,), "field_required")
    session = await _runtime(call).actions.async_close_app_session(
        _app_session_id(call.data), allocations, session_data
    )
    return _session_response(session)


async def _async_transfer(call: ServiceCall) -> ServiceResponse:
    transactions = await _runtime(call).actions.async_transfer(
        validation.address(call.data[ATTR_DESTINATION], ATTR_DESTINATION),
        call.data[ATTR_ASSET],
        validation.positive_amount(call.data[ATTR_AMOUNT], ATTR_AMOUNT),
    )
    return {"transactions": [transaction_json(tx) for tx in transactions]}


async def _async_get_balances(call: ServiceCall) -> ServiceResponse:
    balances = await _runtime(call).actions.async_get_balances(
        _optional_address(call.data, ATTR_WALLET)
    )
    return {"balances": [balance_json(balance) for balance in balances]}


async def _async_get_app_sessions(call: ServiceCall) -> ServiceResponse:
    status = call.data.get(ATTR_STATUS) and _choice(
        call.data, ATTR_STATUS, SESSION_STATUSES
    )
    sessions = await _runtime(call).actions.async_get_app_sessions(
        status, _optional_address(call.data, ATTR_PARTICIPANT)
    )
    return {"app_sessions": [_session_response(session) for session in sessions]}


async def _async_request_test_tokens(call: ServiceCall) -> ServiceResponse:
    received = await async_request_test_tokens(_runtime(call).client)
    return balance_json(received)


type _Handler = Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]

_SERVICES: dict[str, tuple[_Handler, vol.Schema, SupportsResponse]] = {
    SERVICE_CREATE_APP_SESSION: (
        _async_create_app_session,
        CREATE_APP_SESSION_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    SERVICE_SUBMIT_APP_STATE: (
        _async_submit_app_state,
        SUBMIT_APP_STATE_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    SERVICE_PAY_IN_SESSION: (
        _async_pay_in_session,
        PAY_IN_SESSION_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    SERVICE_CLOSE_APP_SESSION: (
        _async_close_app_session,
        CLOSE_APP_SESSION_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
    SERVICE_TRANSFER: (_async_transfer, TRANSFER_SCHEMA, SupportsResponse.OPTIONAL),
    SERVICE_GET_BALANCES: (
        _async_get_balances,
        GET_BALANCES_SCHEMA,
        SupportsResponse.ONLY,
    ),
    SERVICE_GET_APP_SESSIONS: (
        _async_get_app_sessions,
        GET_APP_SESSIONS_SCHEMA,
        SupportsResponse.ONLY,
    ),
    SERVICE_REQUEST_TEST_TOKENS: (
        _async_request_test_tokens,
        REQUEST_TEST_TOKENS_SCHEMA,
        SupportsResponse.OPTIONAL,
    ),
}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, from async_setup)."""
    for name, (handler, schema, supports_response) in _SERVICES.items():
        hass.services.async_register(
            DOMAIN, name, handler, schema=schema, supports_response=supports_response
        )
