"""``app_sessions.v1.submit_session_key_state`` and ``get_last_key_states`` (§7.1).

An app-session key signs ``quorum_sigs`` (0xA2) for its owner while its latest state is
unexpired and names the session or its application. Registering or extending a key
needs both signatures over the library's key-state hash; revoking needs the wallet's.
"""

from __future__ import annotations

from dataclasses import replace
import re
from typing import Any

from custom_components.nitrolite.clearnode.v1 import (
    AppSessionKeyState,
    app_session_key_state_hash,
)

from . import params
from .constants import (
    APPLICATION_ID,
    KEY_STATES_PAGE_SIZE,
    MAX_SESSION_KEY_IDS,
    MAX_SESSION_KEYS_PER_USER,
)
from .context import Call, Node
from .errors import RPCError
from .gotypes import (
    boolean,
    hex_decode,
    normalize_address,
    optional_string,
    parse_int,
    parse_uint,
    string,
)
from .signatures import recover
from .store import KeyState

PREFIX = "invalid_session_key_state"
_SESSION_ID = re.compile(r"0x[0-9a-f]{64}")


def _invalid(reason: str) -> RPCError:
    return RPCError(f"{PREFIX}: {reason}")


def submit_session_key_state(call: Call) -> dict[str, Any]:
    """Register, extend, rotate or revoke an app-session key; answers ``{}``."""
    text = call.decode(lambda d: params.key_state(d.get("state")))
    state = _checked(text)
    node = call.node
    if state.expires_at > node.clock():
        if not state.session_key_sig:
            raise _invalid("session_key_sig is required")
        _check_signer(
            state, state.user_sig, state.user_address, "user_sig", "user_address"
        )
        _check_signer(
            state,
            state.session_key_sig,
            state.session_key,
            "session_key_sig",
            "session_key",
        )
    else:
        if state.version == 1:
            raise _invalid("cannot revoke a session key with no prior delegation")
        _check_signer(
            state, state.user_sig, state.user_address, "user_sig", "user_address"
        )
        state = replace(state, session_key_sig="")
    _store(node, state)
    call.changed = True
    return {}


def _checked(text: params.KeyStateText) -> KeyState:
    """Parse and check a key state's fields in the node's order."""
    try:
        version = parse_uint(text.version)
    except ValueError as err:
        raise _invalid(f"invalid version: {err}") from None
    try:
        expires_at = parse_int(text.expires_at)
    except ValueError as err:
        raise _invalid(f"invalid expires_at: {err}") from None
    user = _address(text.user_address, "user_address")
    key = _address(text.session_key, "session_key")
    if user == key:
        raise _invalid("session_key must differ from user_address")
    if version == 0:
        raise _invalid("version must be greater than 0")
    if expires_at < 0:
        raise _invalid("expires_at must be non-negative")
    application_ids = tuple(text.application_ids or ())
    session_ids = tuple(text.app_session_ids or ())
    _check_ids(application_ids, session_ids)
    if not text.user_sig:
        raise _invalid("user_sig is required")
    return KeyState(
        user,
        key,
        version,
        application_ids,
        session_ids,
        expires_at,
        text.user_sig,
        text.session_key_sig,
    )


def _address(text: str, what: str) -> str:
    try:
        return normalize_address(text)
    except ValueError as err:
        raise _invalid(f"invalid {what}: {err}") from None


def _check_ids(application_ids: tuple[str, ...], session_ids: tuple[str, ...]) -> None:
    if len(session_ids) > MAX_SESSION_KEY_IDS:
        raise _invalid(
            f"app_session_ids array exceeds maximum length of {MAX_SESSION_KEY_IDS}"
        )
    if len(application_ids) > MAX_SESSION_KEY_IDS:
        raise _invalid(
            f"application_ids array exceeds maximum length of {MAX_SESSION_KEY_IDS}"
        )
    for application_id in application_ids:
        if not APPLICATION_ID.fullmatch(application_id):
            raise _invalid(
                "application_ids must contain only lowercase letters, digits, dashes, "
                f"and underscores (max 66 chars), got: {application_id}"
            )
    for session_id in session_ids:
        if not _SESSION_ID.fullmatch(session_id):
            raise _invalid(f"app_session_ids must be lowercase, got: {session_id}")


def _hash(state: KeyState) -> bytes:
    return app_session_key_state_hash(
        AppSessionKeyState(
            user_address=state.user_address,
            session_key=state.session_key,
            version=state.version,
            application_ids=state.application_ids,
            app_session_ids=state.app_session_ids,
            expires_at=state.expires_at,
        )
    )


def _check_signer(
    state: KeyState, signature: str, expected: str, what: str, whom: str
) -> None:
    """One of the two signatures over the key state's hash (65 bytes, no type byte)."""
    try:
        raw = hex_decode(signature)
    except ValueError as err:
        raise _invalid(f"failed to decode {what}: {err}") from None
    try:
        signer = recover(_hash(state), raw)
    except ValueError as err:
        raise _invalid(f"failed to recover {what}: {err}") from None
    if signer != expected:
        raise _invalid(f"{what} does not match {whom}")


def _store(node: Node, state: KeyState) -> None:
    """Version + 1 per (wallet, key); a key belongs to one wallet; at most 100 active."""
    store = node.store
    if any(
        key == state.session_key and user != state.user_address
        for user, key in store.key_states
    ):
        raise _invalid("session_key not allowed")
    latest = store.key_states.get((state.user_address, state.session_key))
    now = node.clock()
    was_active = latest is not None and latest.expires_at > now
    if not was_active and state.expires_at > now:
        active = sum(
            1
            for (user, _key), known in store.key_states.items()
            if user == state.user_address and known.expires_at > now
        )
        if active >= MAX_SESSION_KEYS_PER_USER:
            raise _invalid(
                f"user has reached the session key limit of {MAX_SESSION_KEYS_PER_USER}"
            )
    expected = (latest.version if latest else 0) + 1
    if state.version != expected:
        raise _invalid(f"expected version {expected}, got {state.version}")
    store.key_states[state.user_address, state.session_key] = state


def key_state_json(state: KeyState) -> dict[str, Any]:
    """AppSessionKeyStateV1."""
    return {
        "user_address": state.user_address,
        "session_key": state.session_key,
        "version": str(state.version),
        "application_ids": list(state.application_ids),
        "app_session_ids": list(state.app_session_ids),
        "expires_at": str(state.expires_at),
        "user_sig": state.user_sig,
        "session_key_sig": state.session_key_sig,
    }


def get_last_key_states(call: Call) -> dict[str, Any]:
    """Return a wallet's latest key states (active only, unless ``include_inactive``)."""
    user, session_key, include_inactive, page = call.decode(
        lambda d: (
            string(d.get("user_address")),
            optional_string(d.get("session_key")),
            boolean(d.get("include_inactive")),
            params.pagination(d.get("pagination")),
        )
    )
    if not user:
        raise RPCError("wallet is required")
    now = call.node.clock()
    states = [
        state
        for (owner, key), state in call.node.store.key_states.items()
        if owner == user.lower()
        and (session_key is None or key == session_key.lower())
        and (include_inactive or state.expires_at > now)
    ]
    shown, metadata = params.paginate(
        states, page, KEY_STATES_PAGE_SIZE, KEY_STATES_PAGE_SIZE
    )
    return {"states": [key_state_json(state) for state in shown], "metadata": metadata}
