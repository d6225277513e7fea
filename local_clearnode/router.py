"""Method table and the private-method gate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import logging
from typing import Any

from . import methods_auth, methods_private, methods_public
from .context import Call, Login, Push, Services
from .errors import RPCError
from .wire import Request

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Route:
    """How a method is handled."""

    handler: Callable[[Call], tuple[str, Any]]
    private: bool = False
    balance_update: bool = False


def _private(
    handler: Callable[[Call], tuple[str, Any]], *, balance_update: bool = False
) -> Route:
    return Route(handler, private=True, balance_update=balance_update)


ROUTES: dict[str, Route] = {
    "ping": Route(methods_public.ping),
    "get_config": Route(methods_public.get_config),
    "get_assets": Route(methods_public.get_assets),
    "get_channels": Route(methods_public.get_channels),
    "get_app_definition": Route(methods_public.get_app_definition),
    "get_app_sessions": Route(methods_public.get_app_sessions),
    "get_ledger_entries": Route(methods_public.not_supported),
    "get_ledger_transactions": Route(methods_public.not_supported),
    "auth_request": Route(methods_auth.auth_request),
    "auth_verify": Route(methods_auth.auth_verify),
    "get_ledger_balances": _private(methods_private.get_ledger_balances),
    "get_user_tag": _private(methods_private.get_user_tag),
    "get_session_keys": _private(methods_private.get_session_keys),
    "get_rpc_history": _private(methods_public.not_supported),
    "revoke_session_key": _private(methods_private.revoke_session_key),
    "transfer": _private(methods_private.transfer, balance_update=True),
    "create_app_session": _private(
        methods_private.create_app_session, balance_update=True
    ),
    "submit_app_state": _private(methods_private.submit_app_state, balance_update=True),
    "close_app_session": _private(
        methods_private.close_app_session, balance_update=True
    ),
    "create_channel": _private(methods_private.channels_not_supported),
    "resize_channel": _private(methods_private.channels_not_supported),
    "close_channel": _private(methods_private.channels_not_supported),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to one request and what else it caused."""

    method: str
    result: Any
    pushes: list[Push]
    logged_in_as_new_user: bool
    changed_state: bool


def dispatch(request: Request, login: Login, services: Services) -> Outcome:
    """Handle one request; errors become "error" answers with the server's text."""
    call = Call(request, login, services)
    user_before = login.user_id
    try:
        method, result = _run(call)
    except RPCError as err:
        method, result = "error", {"error": err.message}
    except Exception:  # a bug here must not kill the connection; Go hides causes too
        _LOGGER.exception("Handling %s failed", request.method)
        method, result = "error", {"error": f"failed to process {request.method}"}
    new_user = method == "auth_verify" and login.user_id != user_before
    return Outcome(method, result, call.pushes, new_user, call.changed_state)


def _run(call: Call) -> tuple[str, Any]:
    route = ROUTES.get(call.request.method)
    if route is None:
        raise RPCError(f"unknown method: {call.request.method}")
    if route.private:
        _gate(call)
    try:
        return route.handler(call)
    finally:
        if route.balance_update:
            call.push_balances(call.login.user_id)


def _gate(call: Call) -> None:
    """AuthMiddleware: logged in, session alive (renewed), fresh timestamp."""
    wallet = call.login.user_id
    if not wallet:
        raise RPCError("authentication required")
    sessions = call.services.auth_sessions
    if not sessions.valid(wallet):
        raise RPCError("session expired, please re-authenticate")
    sessions.touch(wallet)
    call.check_timestamp()
