"""Methods behind the login gate: balances, keys, transfers, app sessions."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import re
import time
from typing import Any

from custom_components.nitrolite.clearnode import ClearNodeError
from custom_components.nitrolite.clearnode.v05 import recover_address

from .app_sessions import AppSession, StateUpdate, operation_result
from .constants import ROOT_APPLICATION
from .context import Call, Push, balance_rows, recover_or_fail
from .errors import RPCError
from .goformat import go_decimal, rfc3339_nano
from .ledger import account_id
from .params import (
    allocations,
    decimal,
    definition,
    object_list,
    optional_text,
    text,
    uint,
)
from .session_keys import SessionKey, check_spending

Reply = tuple[str, Any]
_HEX_ADDRESS = re.compile(r"^(0[xX])?[0-9a-fA-F]{40}$")


def get_ledger_balances(call: Call) -> Reply:
    """Return the caller's unified balance, or the caller's own share of an app session."""
    account = call.decode(lambda p: text(p, "account_id")) or call.login.user_id
    return "get_ledger_balances", {
        "ledger_balances": balance_rows(call.state, account, call.login.user_id)
    }


def get_user_tag(call: Call) -> Reply:
    """Return the tag generated at the wallet's first login."""
    tag = call.state.user_tags.get(call.login.user_id)
    if tag is None:
        raise RPCError("failed to get user tag")
    return "get_user_tag", {"tag": tag}


def get_session_keys(call: Call) -> Reply:
    """Active session keys of the caller with their allowance usage."""
    offset, limit = call.decode(lambda p: (uint(p, "offset", 32), uint(p, "limit", 32)))
    keys = call.state.keys.active_of_wallet(call.login.user_id)[offset:]
    return "get_session_keys", {
        "session_keys": [_key_row(call, key) for key in keys[: limit or None]]
    }


def revoke_session_key(call: Call) -> Reply:
    """Expire one of the caller's keys (a key may revoke itself; root keys any key)."""
    address = call.decode(lambda p: text(p, "session_key"))
    if not address:
        raise RPCError("session_key parameter is required")
    signer = _verify_signer(call)
    keys = call.state.keys
    if keys.owned_active(address, call.login.user_id) is None:
        raise RPCError(
            "operation denied: provided address is not an active session key of this user"
        )
    if signer not in (call.login.user_id, address):
        try:
            acting = keys.active(signer)
        except RPCError as err:
            raise RPCError("operation denied: active session key is invalid") from err
        if acting.application != ROOT_APPLICATION:
            raise RPCError(
                "operation denied: insufficient permissions for the active session key"
            )
    keys.revoke(address)
    call.changed_state = True
    return "revoke_session_key", {"session_key": address}


def transfer(call: Call) -> Reply:
    """Move unified balance to another wallet (by address or user tag)."""
    destination, tag, rows = call.decode(
        lambda p: (
            text(p, "destination"),
            text(p, "destination_user_tag"),
            [
                (text(r, "asset"), decimal(r, "amount"))
                for r in object_list(p, "allocations")
            ],
        )
    )
    if call.request.raw in call.services.recent_transfers:
        raise RPCError("operation denied: the request has already been processed")
    _check_transfer_request(destination, tag, rows)
    signer = _verify_signer(call)
    destination, to_tag = _destination(call, destination, tag)
    sender = call.login.user_id
    if destination == sender:
        raise RPCError("cannot transfer to self")
    with call.state.ledger.transaction():
        transactions = [
            _transfer_one(call, signer, (destination, to_tag), asset, amount)
            for asset, amount in rows
        ]
    call.services.recent_transfers.add(call.request.raw)
    call.changed_state = True
    result = {"transactions": transactions}
    recipients = [sender, destination] if _HEX_ADDRESS.match(destination) else [sender]
    for wallet in recipients:
        call.push_balances(wallet)
        call.pushes.append(Push(wallet, "tr", result))
    return "transfer", result


def create_app_session(call: Call) -> Reply:
    """Open an app session funded by its signed depositors."""
    spec, funds, session_data = call.decode(
        lambda p: (definition(p), allocations(p), optional_text(p, "session_data"))
    )
    signers = call.state.app_sessions.signers(
        recover_or_fail(call, "failed to get signers from RPC message")
    )
    session, funded = call.state.app_sessions.create(spec, funds, session_data, signers)
    call.changed_state = True
    for wallet in funded:
        call.push_balances(wallet)
    return "create_app_session", operation_result(
        session.session_id, session.version, "open"
    )


def submit_app_state(call: Call) -> Reply:
    """Apply a new state of an open session (operate, deposit or withdraw)."""
    update = call.decode(_state_update)
    sessions = call.state.app_sessions
    signers = sessions.signers(
        recover_or_fail(call, "failed to get wallets from RPC message")
    )
    session, moved = sessions.submit(update, signers)
    call.changed_state = True
    for wallet in moved:
        call.push_balances(wallet)
    app_state = _app_state_push(call, session)
    call.pushes.extend(
        Push(wallet, "asu", app_state) for wallet in session.participants
    )
    return "submit_app_state", operation_result(
        session.session_id, session.version, "open"
    )


def close_app_session(call: Call) -> Reply:
    """Pay out every share and close the session."""
    session_id, funds, session_data = call.decode(
        lambda p: (
            text(p, "app_session_id"),
            allocations(p),
            optional_text(p, "session_data"),
        )
    )
    sessions = call.state.app_sessions
    signers = sessions.signers(
        recover_or_fail(call, "failed to get wallets from RPC message")
    )
    session, paid = sessions.close(session_id, funds, session_data, signers)
    call.changed_state = True
    for wallet in paid:
        call.push_balances(wallet)
    return "close_app_session", operation_result(
        session.session_id, session.version, "closed"
    )


def channels_not_supported(_call: Call) -> Reply:
    """Refuse: there is no blockchain behind this server."""
    raise RPCError("on-chain channels are not supported by the local ClearNode")


def _verify_signer(call: Call) -> str:
    """verifySigner: sig[0] must be the caller's wallet or one of its session keys."""
    if not call.request.signatures:
        raise RPCError("missing participant signature")
    try:
        signer = recover_address(call.request.digest, call.request.signatures[0])
    except ClearNodeError as err:
        raise RPCError("failed to verify signer") from err
    if (call.state.keys.wallet_of(signer) or signer) != call.login.user_id:
        raise RPCError("invalid signature")
    return signer


def _check_transfer_request(
    destination: str, tag: str, rows: list[tuple[str, Decimal]]
) -> None:
    if not destination and not tag:
        raise RPCError("destination or destination_tag must be provided")
    if destination and not _HEX_ADDRESS.match(destination):
        raise RPCError(f"invalid destination account: {destination}")
    if not rows:
        raise RPCError("allocations cannot be empty")


def _destination(call: Call, destination: str, tag: str) -> tuple[str, str]:
    tags = call.state.user_tags
    if destination:
        return destination, tags.get(destination, "")
    for wallet, wallet_tag in tags.items():
        if wallet_tag == tag:
            return wallet, tag
    raise RPCError(f"failed to get wallet by tag: {tag}")


def _transfer_one(
    call: Call, signer: str, recipient: tuple[str, str], asset: str, amount: Decimal
) -> dict[str, Any]:
    destination, to_tag = recipient
    sender = call.login.user_id
    if amount <= 0:
        raise RPCError(f"invalid allocation: {go_decimal(amount)} for asset {asset}")
    session_key = signer if signer != sender else None
    if session_key is not None:
        _check_transfer_spending(call, session_key, asset, amount)
    ledger = call.state.ledger
    if amount > ledger.balance(sender, sender, asset):
        raise RPCError(f"insufficient funds: {sender} for asset {asset}")
    ledger.record(sender, sender, asset, -amount, session_key)
    ledger.record(destination, destination, asset, amount)
    return _transaction_row(call, destination, to_tag, asset, amount)


def _check_transfer_spending(
    call: Call, session_key: str, asset: str, amount: Decimal
) -> None:
    keys = call.state.keys
    try:
        key = keys.active(session_key)
    except RPCError as err:
        raise RPCError(f"session key validation failed: {err.message}") from err
    try:
        check_spending(keys, key, asset, amount)
    except RPCError as err:
        raise RPCError(
            f"session key spending validation failed: {err.message}"
        ) from err


def _transaction_row(
    call: Call, destination: str, to_tag: str, asset: str, amount: Decimal
) -> dict[str, Any]:
    state = call.state
    sender = call.login.user_id
    row: dict[str, Any] = {
        "id": state.next_transaction_id,
        "tx_type": "transfer",
        "from_account": account_id(sender),
    }
    state.next_transaction_id += 1
    if from_tag := state.user_tags.get(sender, ""):
        row["from_account_tag"] = from_tag
    row["to_account"] = account_id(destination)
    if to_tag:
        row["to_account_tag"] = to_tag
    row |= {
        "asset": asset,
        "amount": go_decimal(amount),
        "created_at": rfc3339_nano(time.time()),
    }
    return row


def _key_row(call: Call, key: SessionKey) -> dict[str, Any]:
    keys = call.state.keys
    allowances = [
        {
            "asset": asset,
            "allowance": go_decimal(Decimal(amount)),
            "used": go_decimal(keys.spent(key.address, asset)),
        }
        for asset, amount in key.allowances
    ]
    row: dict[str, Any] = {
        "id": key.key_id,
        "session_key": key.address,
        "application": key.application,
        "allowances": allowances,
    }
    if key.scope:
        row["scope"] = key.scope
    return row | {
        "expires_at": rfc3339_nano(key.expires_at),
        "created_at": rfc3339_nano(key.created_at),
    }


def _state_update(params: Mapping[str, Any]) -> StateUpdate:
    return StateUpdate(
        session_id=text(params, "app_session_id"),
        intent=text(params, "intent"),
        version=uint(params, "version"),
        allocations=allocations(params),
        session_data=optional_text(params, "session_data"),
    )


def _app_state_push(call: Call, session: AppSession) -> dict[str, Any]:
    shares = call.state.app_sessions.participant_allocations(session)
    rows = [
        {"participant": participant, "asset": asset, "amount": go_decimal(amount)}
        for participant, assets in shares.items()
        for asset, amount in assets.items()
    ]
    return {
        "app_session": session.to_response(),
        "participant_allocations": rows or None,
    }
