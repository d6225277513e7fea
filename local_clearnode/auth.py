"""Login: pending challenges, EIP-712 policy signatures, JWTs and auth sessions."""

from __future__ import annotations

import base64
from dataclasses import dataclass
import json
import time
from typing import Any
import uuid

from custom_components.nitrolite.clearnode import ClearNodeError, Signer
from custom_components.nitrolite.clearnode.v05 import (
    compact_json,
    eip712_auth_digest,
    keccak256,
    recover_address,
)

from .constants import (
    AUTH_SESSION_LIFETIME_SECONDS,
    CHALLENGE_LIFETIME_SECONDS,
    JWT_LIFETIME_SECONDS,
    MAX_PENDING_CHALLENGES,
)
from .errors import RPCError

INVALID_JWT = "invalid JWT token"
_JWT_HEADER = {"alg": "ES256", "typ": "JWT"}


@dataclass(frozen=True, slots=True)
class Policy:
    """What a login grants: the auth_request fields exactly as sent."""

    wallet: str
    session_key: str
    application: str
    allowances: tuple[tuple[str, str], ...]
    scope: str
    expires_at: int


@dataclass(slots=True)
class Challenge:
    """A challenge handed out by auth_request."""

    token: uuid.UUID
    policy: Policy
    issued_at: float
    completed: bool = False

    @property
    def expired(self) -> bool:
        """Challenges live five minutes."""
        return time.monotonic() - self.issued_at > CHALLENGE_LIFETIME_SECONDS


class Challenges:
    """Pending challenges, bounded server-wide."""

    def __init__(self) -> None:
        """Start with none."""
        self._pending: dict[uuid.UUID, Challenge] = {}

    def issue(self, policy: Policy) -> uuid.UUID:
        """Store a fresh challenge for this policy."""
        self._purge()
        if len(self._pending) >= MAX_PENDING_CHALLENGES:
            raise RPCError("too many pending challenges")
        token = uuid.uuid4()
        self._pending[token] = Challenge(token, policy, time.monotonic())
        return token

    def get(self, token: uuid.UUID) -> Challenge:
        """Return the stored challenge, or fail with "invalid challenge"."""
        challenge = self._pending.get(token)
        if challenge is None:
            raise RPCError("invalid challenge")
        return challenge

    def complete(self, challenge: Challenge, signer: str) -> None:
        """Accept the recovered signer once, within the lifetime, for the exact address."""
        if (
            challenge.completed
            or challenge.expired
            or signer != challenge.policy.wallet
        ):
            raise RPCError("invalid challenge or signature")
        challenge.completed = True

    def clear(self) -> None:
        """Forget everything (server restart)."""
        self._pending.clear()

    def _purge(self) -> None:
        for token, challenge in list(self._pending.items()):
            if challenge.expired:
                del self._pending[token]


def recover_policy_signer(challenge: Challenge, signature: str) -> str:
    """Recover the EIP-712 Policy signer, or "invalid signature".

    The application is the domain's only field, and go-ethereum leaves a field out of
    the domain when it is empty; an empty domain fails to hash ("domain is undefined").
    """
    policy = challenge.policy
    if not policy.application:
        raise RPCError("invalid signature")
    try:
        digest = eip712_auth_digest(
            policy.application,
            str(challenge.token),
            policy.scope,
            policy.wallet,
            policy.session_key,
            policy.expires_at,
            policy.allowances,
        )
        return recover_address(digest, signature)
    except ClearNodeError as err:
        raise RPCError("invalid signature") from err


class Tokens:
    """JWTs signed with the broker key (opaque to clients, 24 h lifetime)."""

    def __init__(self, broker: Signer) -> None:
        """Sign and verify with the broker's secp256k1 key."""
        self._broker = broker

    def issue(self, policy: Policy) -> str:
        """Return a token carrying the policy."""
        now = int(time.time())
        claims = {
            "policy": _policy_claims(policy),
            "iss": "clearnode",
            "exp": now + JWT_LIFETIME_SECONDS,
            "nbf": now,
            "iat": now,
        }
        signing_input = (
            f"{_b64(compact_json(_JWT_HEADER))}.{_b64(compact_json(claims))}"
        )
        signature = self._broker.sign_digest(keccak256(signing_input.encode()))
        return f"{signing_input}.{_b64_bytes(bytes.fromhex(signature[2:]))}"

    def verify(self, token: str) -> Policy:
        """Return the policy of a valid, unexpired token, or fail with "invalid JWT token"."""
        try:
            header, claims_text, signature = token.split(".")
            digest = keccak256(f"{header}.{claims_text}".encode())
            signer = recover_address(digest, "0x" + _unb64(signature).hex())
            claims = json.loads(_unb64(claims_text))
            if signer != self._broker.address or claims["exp"] < time.time():
                raise RPCError(INVALID_JWT)
            return _policy_from_claims(claims["policy"])
        except (ClearNodeError, ValueError, KeyError, TypeError) as err:
            raise RPCError(INVALID_JWT) from err


class AuthSessions:
    """In-memory login sessions per wallet: 24 h, renewed by every private request."""

    def __init__(self) -> None:
        """Start with none (a restart forgets them all)."""
        self._last_seen: dict[str, float] = {}

    def touch(self, wallet: str) -> None:
        """Create or renew the wallet's session."""
        self._last_seen[wallet] = time.monotonic()

    def valid(self, wallet: str) -> bool:
        """Whether the wallet's session is alive."""
        last = self._last_seen.get(wallet)
        return (
            last is not None and time.monotonic() - last < AUTH_SESSION_LIFETIME_SECONDS
        )

    def clear(self) -> None:
        """Forget every session."""
        self._last_seen.clear()


def _policy_claims(policy: Policy) -> dict[str, Any]:
    return {
        "wallet": policy.wallet,
        "session_key": policy.session_key,
        "scope": policy.scope,
        "application": policy.application,
        "allowance": [{"asset": a, "amount": m} for a, m in policy.allowances],
        "expiration": policy.expires_at,
    }


def _policy_from_claims(claims: dict[str, Any]) -> Policy:
    return Policy(
        wallet=claims["wallet"],
        session_key=claims["session_key"],
        application=claims["application"],
        allowances=tuple(
            (item["asset"], item["amount"]) for item in claims["allowance"]
        ),
        scope=claims["scope"],
        expires_at=claims["expiration"],
    )


def _b64(text: str) -> str:
    return _b64_bytes(text.encode())


def _b64_bytes(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
