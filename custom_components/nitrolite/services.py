"""Actions of the Nitrolite integration: app sessions, payments and transfers."""

from collections.abc import Callable, Coroutine, Sequence
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

from . import call_data, validation
from .call_data import (
    ATTR_ALLOCATIONS,
    ATTR_AMOUNT,
    ATTR_APP_SESSION_ID,
    ATTR_APPLICATION,
    ATTR_ASSET,
    ATTR_CHALLENGE,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_COUNTERPARTY,
    ATTR_DESTINATION,
    ATTR_FROM,
    ATTR_INTENT,
    ATTR_NONCE,
    ATTR_PARTICIPANT,
    ATTR_PARTICIPANTS,
    ATTR_PRESET,
    ATTR_PROTOCOL,
    ATTR_QUORUM,
    ATTR_SESSION_DATA,
    ATTR_STATUS,
    ATTR_TO,
    ATTR_UNITS,
    ATTR_WALLET,
    ATTR_WEIGHTS,
    INTENTS,
    PRESET_CLOSE_FIELDS,
    PRESET_CREATE_FIELDS,
    PRESET_PAY_FIELDS,
    SESSION_STATUSES,
)
from .clearnode import AppSession
from .const import DOMAIN
from .data import NitroliteConfigEntry, NitroliteRuntimeData
from .faucet import async_request_test_tokens
from .presets import Preset, PresetManager
from .serialize import RESPONSE_FIELDS, balance_json, session_json, transaction_json

SERVICE_CREATE_APP_SESSION = "create_app_session"
SERVICE_SUBMIT_APP_STATE = "submit_app_state"
SERVICE_PAY_IN_SESSION = "pay_in_session"
SERVICE_CLOSE_APP_SESSION = "close_app_session"
SERVICE_TRANSFER = "transfer"
SERVICE_GET_BALANCES = "get_balances"
SERVICE_GET_APP_SESSIONS = "get_app_sessions"
SERVICE_REQUEST_TEST_TOKENS = "request_test_tokens"

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
    call_data.check_node_rules(call.data, _runtime(call).client)
    if found := _preset(call, PRESET_CREATE_FIELDS):
        presets, preset = found
        session = await presets.async_open(
            preset, call.data.get(ATTR_NONCE), call.data.get(ATTR_SESSION_DATA)
        )
        return _session_response(session)
    runtime = _runtime(call)
    definition, allocations = call_data.create_request(call.data, runtime)
    session = await runtime.actions.async_create_app_session(
        definition, allocations, call.data.get(ATTR_SESSION_DATA)
    )
    return _session_response(session)


async def _async_submit_app_state(call: ServiceCall) -> ServiceResponse:
    runtime = _runtime(call)
    call_data.check_node_rules(call.data, runtime.client)
    session = await runtime.actions.async_submit_app_state(
        call_data.app_session_id(call.data),
        call_data.parse_allocations(call.data[ATTR_ALLOCATIONS]),
        call_data.choice(call.data, ATTR_INTENT, INTENTS),
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
    call_data.require(call.data, (ATTR_APP_SESSION_ID, ATTR_AMOUNT), "field_required")
    session = await _runtime(call).actions.async_pay_in_session(
        call_data.app_session_id(call.data),
        validation.positive_amount(call.data[ATTR_AMOUNT], ATTR_AMOUNT),
        call.data.get(ATTR_ASSET),
        call_data.optional_address(call.data, ATTR_FROM),
        call_data.optional_address(call.data, ATTR_TO),
    )
    return _session_response(session)


async def _async_close_app_session(call: ServiceCall) -> ServiceResponse:
    call_data.check_node_rules(call.data, _runtime(call).client)
    items = call.data.get(ATTR_ALLOCATIONS)
    allocations = None if items is None else call_data.parse_allocations(items)
    session_data = call.data.get(ATTR_SESSION_DATA)
    if found := _preset(call, PRESET_CLOSE_FIELDS):
        presets, preset = found
        session = await presets.async_close(preset, allocations, session_data)
        return _session_response(session)
    call_data.require(call.data, (ATTR_APP_SESSION_ID,), "field_required")
    session = await _runtime(call).actions.async_close_app_session(
        call_data.app_session_id(call.data), allocations, session_data
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
        call_data.optional_address(call.data, ATTR_WALLET)
    )
    return {"balances": [balance_json(balance) for balance in balances]}


async def _async_get_app_sessions(call: ServiceCall) -> ServiceResponse:
    status = call.data.get(ATTR_STATUS) and call_data.choice(
        call.data, ATTR_STATUS, SESSION_STATUSES
    )
    sessions = await _runtime(call).actions.async_get_app_sessions(
        status, call_data.optional_address(call.data, ATTR_PARTICIPANT)
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
