"""auth_request and auth_verify (challenge and JWT paths)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import re
from typing import Any
import uuid

from .auth import INVALID_JWT, Policy, recover_policy_signer
from .context import Call
from .errors import ParamsError, RPCError
from .params import object_list, optional_text, text, uint
from .session_keys import SessionKey

Reply = tuple[str, Any]
REFUSED_LOGIN = "invalid challenge or signature"
_DECIMAL_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def auth_request(call: Call) -> Reply:
    """Store the requested policy and hand out a challenge (nothing is checked yet)."""
    policy = call.decode(_policy, auth=True)
    token = call.services.challenges.issue(policy)
    return "auth_challenge", {"challenge_message": str(token)}


def auth_verify(call: Call) -> Reply:
    """Log the connection in, by JWT or by the wallet's EIP-712 signature."""
    challenge, jwt = call.decode(lambda p: (_challenge(p), text(p, "jwt")), auth=True)
    if call.services.faults.refuse_logins:
        raise RPCError(REFUSED_LOGIN)
    if jwt:
        policy, result = _verify_jwt(call, jwt)
    elif call.request.signatures:
        policy, result = _verify_signature(call, challenge)
    else:
        raise RPCError("invalid authentication method: expected JWT or signature")
    call.login.user_id = policy.wallet
    call.services.auth_sessions.touch(policy.wallet)
    return "auth_verify", result


def _verify_jwt(call: Call, jwt: str) -> tuple[Policy, dict[str, Any]]:
    if call.services.faults.reject_jwt:
        raise RPCError(INVALID_JWT)
    policy = call.services.tokens.verify(jwt)
    # Go marshals a map here, so the keys come out sorted.
    return policy, {
        "address": policy.wallet,
        "session_key": policy.session_key,
        "success": True,
    }


def _verify_signature(call: Call, token: uuid.UUID) -> tuple[Policy, dict[str, Any]]:
    challenges = call.services.challenges
    challenge = challenges.get(token)
    signer = recover_policy_signer(challenge, call.request.signatures[0])
    challenges.complete(challenge, signer)
    policy = challenge.policy
    call.state.tag_of(policy.wallet)
    call.changed_state = True
    jwt = call.services.tokens.issue(policy)
    _check_allowances(call, policy)
    keys = call.state.keys
    if (
        not keys.exists_for(policy.wallet, policy.session_key)
        and not call.services.faults.drop_session_keys
    ):
        keys.add(
            SessionKey(
                address=policy.session_key,
                wallet=policy.wallet,
                application=policy.application,
                allowances=list(policy.allowances),
                scope=policy.scope or "all",
                expires_at=policy.expires_at,
            )
        )
    result = {
        "address": policy.wallet,
        "jwt_token": jwt,
        "session_key": policy.session_key,
        "success": True,
    }
    return policy, result


def _check_allowances(call: Call, policy: Policy) -> None:
    symbols = {asset.symbol for asset in call.services.assets}
    for asset, amount in policy.allowances:
        if asset not in symbols:
            raise RPCError(f"unsupported token: asset '{asset}' is not supported")
        if not _DECIMAL_TEXT.match(amount):
            msg = f"unsupported token: invalid amount '{amount}' for asset '{asset}': can't convert {amount} to decimal"
            raise RPCError(msg)
        if Decimal(amount) < 0:
            msg = f"unsupported token: allowance amount cannot be negative for asset '{asset}', got '{amount}'"
            raise RPCError(msg)


def _policy(params: Mapping[str, Any]) -> Policy:
    allowances = tuple(
        (text(item, "asset"), text(item, "amount"))
        for item in object_list(params, "allowances")
    )
    return Policy(
        wallet=text(params, "address"),
        session_key=text(params, "session_key"),
        application=text(params, "application"),
        allowances=allowances,
        scope=text(params, "scope"),
        expires_at=uint(params, "expires_at"),
    )


def _challenge(params: Mapping[str, Any]) -> uuid.UUID:
    """Decode a uuid.UUID field: absent or null is the zero UUID, anything else must parse."""
    value = optional_text(params, "challenge")
    if value is None:
        return uuid.UUID(int=0)
    try:
        return uuid.UUID(value)
    except ValueError as err:
        raise ParamsError from err
