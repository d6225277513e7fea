"""Public methods: no login, no timestamp check, no signature."""

from __future__ import annotations

from typing import Any

from .app_sessions import AppSession
from .constants import DEFAULT_PAGE_SIZE, LOCAL_NETWORK, MAX_PAGE_SIZE
from .context import Call, asset_rows
from .errors import RPCError
from .params import text, uint

Reply = tuple[str, Any]


def ping(_call: Call) -> Reply:
    """Answer "pong" with a null result."""
    return "pong", None


def get_config(call: Call) -> Reply:
    """Return the broker address and the (single, local) network."""
    return "get_config", {
        "broker_address": call.services.broker_address,
        "networks": [LOCAL_NETWORK],
    }


def get_assets(call: Call) -> Reply:
    """Supported assets, optionally of one chain."""
    chain_id = call.decode(lambda p: uint(p, "chain_id", bits=32))
    return "get_assets", {"assets": asset_rows(call.services.assets, chain_id)}


def get_channels(call: Call) -> Reply:
    """No on-chain channels exist on this server."""
    call.params()
    return "get_channels", {"channels": []}


def get_app_definition(call: Call) -> Reply:
    """Return a session's definition; like the real server, application is always ""."""
    session_id = call.decode(lambda p: text(p, "app_session_id"))
    if not session_id:
        raise RPCError("missing account ID")
    session = call.state.app_sessions.sessions.get(session_id)
    if session is None:
        raise RPCError("failed to get application definition")
    definition = {
        "application": "",
        "protocol": session.protocol,
        "participants": session.participants,
        "weights": session.weights,
        "quorum": session.quorum,
        "challenge": session.challenge,
        "nonce": session.nonce,
    }
    return "get_app_definition", definition


def get_app_sessions(call: Call) -> Reply:
    """Sessions filtered by exact participant string and status, newest update first."""
    participant, status, offset, limit, sort = call.decode(
        lambda p: (
            text(p, "participant"),
            text(p, "status"),
            uint(p, "offset", 32),
            uint(p, "limit", 32),
            text(p, "sort"),
        ),
    )
    sessions = [
        s
        for s in call.state.app_sessions.sessions.values()
        if (not participant or participant in s.participants)
        and (not status or s.status == status)
    ]
    sessions.sort(key=_updated, reverse=sort != "asc")
    page = sessions[offset : offset + min(limit or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)]
    return "get_app_sessions", {"app_sessions": [s.to_response() for s in page]}


def not_supported(call: Call) -> Reply:
    """Ledger history is not kept by this server."""
    msg = f"{call.request.method} is not supported by the local ClearNode"
    raise RPCError(msg)


def _updated(session: AppSession) -> tuple[float, float]:
    return session.updated_at, session.created_at
