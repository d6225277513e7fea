"""What the v0.5 server's error texts mean: one place for every text we act upon."""

from __future__ import annotations

from ..errors import (
    ClearNodeAllowanceError,
    ClearNodeClockSkewError,
    ClearNodeRejectedError,
)

# A login (auth_request, auth_verify) refused for the session key rather than the wallet.
_SESSION_KEY_REFUSALS = ("session key", "signer is already in use")
# The server forgot our login (24 h idle): log in again, then repeat the request.
_LOGIN_LOST = frozenset(
    {"authentication required", "session expired, please re-authenticate"}
)


def rejected_error(method: str, reason: str) -> ClearNodeRejectedError:
    """Map a server error text to the most specific rejection class."""
    if reason == "invalid message timestamp":
        return ClearNodeClockSkewError(method, reason)
    if "allowance" in reason:
        return ClearNodeAllowanceError(method, reason)
    return ClearNodeRejectedError(method, reason)


def refuses_session_key_at_login(reason: str) -> bool:
    """Whether a refused login blames the session key (a new key may be accepted)."""
    return any(text in reason for text in _SESSION_KEY_REFUSALS)


def login_lost(reason: str) -> bool:
    """Whether the server refused a request because it forgot our login."""
    return reason in _LOGIN_LOST


def refuses_session_key(reason: str, wallet: str, session_key: str) -> bool:
    """Whether the server's error means it maps ``session_key`` to no wallet.

    It happens when another login of this wallet and application replaced the key,
    when the server lost it, or when it expired while the JWT still works. Each
    refusal comes before the server changes anything.
    """
    return reason in {
        "invalid signature",  # transfer, revoke_session_key
        f"missing signature for participant {wallet}",  # create
        f"signature from unknown participant wallet {session_key}",  # submit, close
    }
