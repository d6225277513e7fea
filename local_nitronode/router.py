"""The method table of v1.4.1 (20 methods) and one request's answer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import localcontext
import logging
from typing import Any

from custom_components.nitrolite.clearnode import EXACT

from . import app_sessions, channels, params, reads, session_keys
from .constants import KEY_STATES_PAGE_SIZE
from .context import Call, Node
from .errors import RPCError
from .gotypes import string
from .wire import Request, encode_error, encode_response

_LOGGER = logging.getLogger(__name__)
DEFAULT_ERROR = "an error occurred while processing the request"

type Handler = Callable[[Call], Mapping[str, Any]]


def _channel_key_states(call: Call) -> dict[str, Any]:
    """Channel session keys (0x01 signatures) cannot be registered here: none exist."""
    call.decode(lambda d: string(d.get("user_address")))
    none: list[dict[str, Any]] = []
    shown, metadata = params.paginate(
        none, None, KEY_STATES_PAGE_SIZE, KEY_STATES_PAGE_SIZE
    )
    return {"states": shown, "metadata": metadata}


def _submit_channel_key_state(call: Call) -> dict[str, Any]:
    call.decode(lambda d: d.get("state"))
    raise RPCError("channel session keys are not supported by the local Nitronode")


ROUTES: dict[str, Handler] = {
    "node.v1.ping": reads.ping,
    "node.v1.get_config": reads.get_config,
    "node.v1.get_assets": reads.get_assets,
    "user.v1.get_balances": reads.get_balances,
    "user.v1.get_transactions": reads.get_transactions,
    "channels.v1.get_home_channel": channels.get_home_channel,
    "channels.v1.get_escrow_channel": channels.get_escrow_channel,
    "channels.v1.get_channels": channels.get_channels,
    "channels.v1.get_latest_state": channels.get_latest_state,
    "channels.v1.request_creation": channels.request_creation,
    "channels.v1.submit_state": channels.submit_state,
    "channels.v1.submit_session_key_state": _submit_channel_key_state,
    "channels.v1.get_last_key_states": _channel_key_states,
    "app_sessions.v1.create_app_session": app_sessions.create_app_session,
    "app_sessions.v1.submit_deposit_state": app_sessions.submit_deposit_state,
    "app_sessions.v1.submit_app_state": app_sessions.submit_app_state,
    "app_sessions.v1.get_app_sessions": app_sessions.get_app_sessions,
    "app_sessions.v1.get_app_definition": app_sessions.get_app_definition,
    "app_sessions.v1.submit_session_key_state": session_keys.submit_session_key_state,
    "app_sessions.v1.get_last_key_states": session_keys.get_last_key_states,
}


def run(call: Call) -> Mapping[str, Any]:
    """Run a known method's handler (RPCError carries the node's text)."""
    with localcontext(EXACT):
        return ROUTES[call.request.method](call)


def answer(request: Request, node: Node, app_id: str) -> tuple[str, bool]:
    """Return the frame answering ``request`` and whether the node's state changed."""
    method = request.method
    if method not in ROUTES:
        return encode_error(
            request.request_id, method, f"unknown method: {method}"
        ), False
    call = Call(request, node, app_id)
    try:
        result = run(call)
    except RPCError as err:
        return encode_error(request.request_id, method, err.message), False
    except Exception:  # a bug here must not kill the connection; Go hides causes too
        _LOGGER.exception("Handling %s failed", method)
        return encode_error(request.request_id, method, DEFAULT_ERROR), False
    return encode_response(request.request_id, method, result), call.changed
