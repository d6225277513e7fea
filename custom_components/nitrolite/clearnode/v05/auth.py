"""The v0.5 login (PROTOCOL.md §5): session keys, the EIP-712 challenge, the JWT.

The wallet signs once per session key: an EIP-712 ``Policy`` that registers the key
for one application, scope, expiry and set of spending caps. Requests are then signed
by the session key. A JWT lets a reconnect log in again without a new signature while
the key is young; a key is replaced at 80 % of its lifetime, and at once when the
server no longer knows it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
import logging
import time
from typing import Any

from ..addresses import to_checksum_address
from ..amounts import format_amount
from ..digests import keccak256
from ..errors import (
    ClearNodeAuthenticationError,
    ClearNodeInvalidAnswerError,
    ClearNodeSessionKeyError,
    ClearNodeValidationError,
)
from ..frames import FrameKind, InboundFrame
from ..signing import Signer, run_crypto
from ..throttle import ThrottledWarning
from . import codec, refusals
from .parsing import answer

_LOGGER = logging.getLogger(__package__)
_ROTATE_AT = 0.8  # share of the session key's lifetime after which it is replaced

# EIP-712 for the login policy (§5.2). The types are fixed, so the encoding is direct.
_DOMAIN_TYPEHASH = keccak256(b"EIP712Domain(string name)")
_ALLOWANCE_TYPE = b"Allowance(string asset,string amount)"
_ALLOWANCE_TYPEHASH = keccak256(_ALLOWANCE_TYPE)
_POLICY_TYPEHASH = keccak256(
    b"Policy(string challenge,string scope,address wallet,address session_key,"
    b"uint64 expires_at,Allowance[] allowances)" + _ALLOWANCE_TYPE
)

type Send = Callable[[str, Callable[[int], Awaitable[str]]], Awaitable[InboundFrame]]


def _challenge(result: Mapping[str, Any]) -> str:
    challenge = result.get("challenge_message")
    if not isinstance(challenge, str):
        msg = "auth_challenge carries no challenge"
        raise ClearNodeInvalidAnswerError(msg)
    return challenge


def _address_word(address: str) -> bytes:
    return bytes.fromhex(to_checksum_address(address)[2:]).rjust(32, b"\x00")


def _allowance_hash(asset: str, amount: Decimal | str) -> bytes:
    amount_text = amount if isinstance(amount, str) else format_amount(amount)
    return keccak256(
        _ALLOWANCE_TYPEHASH
        + keccak256(asset.encode())
        + keccak256(amount_text.encode())
    )


def eip712_auth_digest(  # noqa: PLR0913, PLR0917 - the signed Policy fields
    application: str,
    challenge: str,
    scope: str,
    wallet: str,
    session_key: str,
    expires_at: int,
    allowances: Sequence[tuple[str, Decimal | str]],
) -> bytes:
    """Return the EIP-712 digest the wallet signs in ``auth_verify``."""
    if not 0 <= expires_at < 2**64:
        raise ClearNodeValidationError(field="expires_at", message="must fit in uint64")
    domain = keccak256(_DOMAIN_TYPEHASH + keccak256(application.encode()))
    allowance_hashes = b"".join(_allowance_hash(a, m) for a, m in allowances)
    policy = keccak256(
        _POLICY_TYPEHASH
        + keccak256(challenge.encode())
        + keccak256(scope.encode())
        + _address_word(wallet)
        + _address_word(session_key)
        + expires_at.to_bytes(32)
        + keccak256(allowance_hashes)
    )
    return keccak256(b"\x19\x01" + domain + policy)


class SessionKey:
    """A session key and the moment it stops being valid (unix seconds)."""

    __slots__ = ("expires_at", "lifetime", "signer")

    def __init__(self, signer: Signer, lifetime: float) -> None:
        """Start the key's lifetime now."""
        self.signer = signer
        self.lifetime = lifetime
        self.expires_at = int(time.time() + lifetime)

    @property
    def rotate_at(self) -> float:
        """When the key is replaced (unix seconds)."""
        return self.expires_at - self.lifetime * (1 - _ROTATE_AT)

    def due_for_rotation(self) -> bool:
        """Whether the key is old enough to be replaced."""
        return time.time() >= self.rotate_at


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """What each session key is registered for."""

    application: str
    scope: str
    allowances: tuple[tuple[str, Decimal], ...]
    key_lifetime: float


class Login:
    """One wallet's login on one ClearNode, across reconnects.

    Holds the session key, the key that signs right now (it changes in the middle of
    a login), the JWT and one lock that serialises every login.
    """

    def __init__(self, wallet: Signer, policy: LoginPolicy, send: Send) -> None:
        """Log in through ``send(method, build)``, which returns the answer frame."""
        self._wallet = wallet
        self._policy = policy
        self._send = send
        self._lock = asyncio.Lock()
        self._session_key: SessionKey | None = None
        self._signing_key: Signer | None = None
        self._jwt: str | None = None
        self._authenticated = False
        self._warn_key_replaced = ThrottledWarning(
            _LOGGER,
            "The ClearNode no longer knows our session key (replaced by another login "
            "of this wallet and application, lost, or expired); logging in with a new "
            "one after it refused",
        )

    @property
    def authenticated(self) -> bool:
        """Whether the current connection is logged in."""
        return self._authenticated

    @property
    def session_key(self) -> SessionKey | None:
        """The registered session key, if any."""
        return self._session_key

    def signer(self) -> Signer:
        """Return the key that signs requests now."""
        if self._signing_key is None:
            msg = "not logged in"
            raise ClearNodeAuthenticationError(msg)
        return self._signing_key

    def rotation_due(self) -> bool:
        """Whether the session key should be replaced now."""
        return self._session_key is not None and self._session_key.due_for_rotation()

    def keepalive_delay(self, ping_interval: float) -> float:
        """Return the wait until the next ping, or the key's rotation if sooner."""
        key = self._session_key
        if key is None:
            return ping_interval
        rotate_in = key.rotate_at - time.time()
        return max(min(ping_interval, rotate_in), 0.0) or ping_interval

    def disconnected(self) -> None:
        """Forget the login of a dropped connection: the next one logs in again."""
        self._authenticated = False

    def revoked(self) -> None:
        """Forget the revoked session key: nothing signs until the next login."""
        self._session_key = self._signing_key = self._jwt = None
        self._authenticated = False

    async def login(self) -> None:
        """Log in: with the JWT while the key is young, else with a signed challenge."""
        async with self._lock:
            await self._login_unlocked()

    async def rotate(self) -> None:
        """Register a new session key on the live connection."""
        _LOGGER.debug("Replacing the ClearNode session key before it expires")
        async with self._lock:
            await self._login_with_challenge(await self._new_session_key())

    async def recover(
        self, method: str, reason: str, signer: Signer | None, *, retry: bool
    ) -> None:
        """Log in again when a refusal allows one more attempt; raise otherwise.

        Both refusals that allow it come before the server changes anything, so the
        repeated request cannot be applied twice.
        """
        if signer is not None and refusals.refuses_session_key(
            reason, self._wallet.address, signer.address
        ):
            if not retry:
                msg = f"{method}: the ClearNode does not know our session key"
                raise ClearNodeSessionKeyError(msg)
            await self._replace_refused_key(signer, method)
        elif retry and refusals.login_lost(reason):
            await self.login()  # the server forgot our login (24 h idle)
        else:
            raise refusals.rejected_error(method, reason)

    async def _replace_refused_key(self, refused: Signer, method: str) -> None:
        """Log in with a new session key, unless another request already did."""
        async with self._lock:
            if self._signing_key is not refused:
                return
            self._warn_key_replaced(method)
            await self._login_with_challenge(await self._new_session_key())

    async def _login_unlocked(self) -> None:
        self._authenticated = False
        key = self._session_key
        if self._jwt and key and not key.due_for_rotation():
            try:
                await self._login_with_jwt(self._jwt, key)
            except ClearNodeAuthenticationError as err:
                _LOGGER.debug("JWT refused (%s); signing a fresh challenge", err)
                self._jwt = None
            else:
                return
        if key is None or key.due_for_rotation():
            key = await self._new_session_key()
        try:
            await self._login_with_challenge(key)
        except ClearNodeSessionKeyError:
            await self._login_with_challenge(await self._new_session_key())

    async def _new_session_key(self) -> SessionKey:
        signer = await run_crypto(self._wallet.fast, Signer.generate)
        return SessionKey(signer, self._policy.key_lifetime)

    async def _login_with_jwt(self, jwt: str, key: SessionKey) -> None:
        self._check_auth_result(await self._call("auth_verify", {"jwt": jwt}), key)
        self._session_key, self._signing_key = key, key.signer
        self._authenticated = True

    async def _login_with_challenge(self, key: SessionKey) -> None:
        policy = self._policy
        frame = await self._call(
            "auth_request",
            {
                "address": self._wallet.address,
                "session_key": key.signer.address,
                "application": policy.application,
                "allowances": [
                    {"asset": asset, "amount": format_amount(amount)}
                    for asset, amount in policy.allowances
                ],
                "expires_at": key.expires_at,
                "scope": policy.scope,
            },
        )
        challenge = answer(frame, "auth_challenge", _challenge)
        signature = await self._sign_challenge(challenge, key)
        previous = self._signing_key
        try:
            frame = await self._call(
                "auth_verify", {"challenge": challenge}, signature, switch_to=key
            )
            jwt = self._check_auth_result(frame, key)
        except BaseException:
            self._signing_key = previous
            raise
        self._jwt = jwt
        self._session_key = key
        self._authenticated = True

    async def _sign_challenge(self, challenge: str, key: SessionKey) -> str:
        policy = self._policy
        digest = eip712_auth_digest(
            policy.application,
            challenge,
            policy.scope,
            self._wallet.address,
            key.signer.address,
            key.expires_at,
            policy.allowances,
        )
        return await self._wallet.async_sign_digest(digest)

    async def _call(
        self,
        method: str,
        params: dict[str, Any],
        signature: str | None = None,
        *,
        switch_to: SessionKey | None = None,
    ) -> InboundFrame:
        async def build(request_id: int) -> str:
            if switch_to is not None:
                # From this frame on, the server knows the new key: sign with it.
                self._signing_key = switch_to.signer
            req_text = codec.encode_request(request_id, method, params, codec.now_ms())
            return codec.frame_request(req_text, [signature] if signature else [])

        frame = await self._send(method, build)
        if frame.kind is FrameKind.ERROR:
            reason = frame.error_reason
            if refusals.refuses_session_key_at_login(reason):
                raise ClearNodeSessionKeyError(f"session key refused: {reason}")
            raise ClearNodeAuthenticationError(f"login refused: {reason}")
        return frame

    def _check_auth_result(self, frame: InboundFrame, key: SessionKey) -> str | None:
        """Check that ``auth_verify`` confirms our wallet and key; return its JWT."""
        result = answer(frame, "auth_verify", dict)
        if result.get("success") is False or result.get("address") != (
            self._wallet.address
        ):
            msg = "login refused: the ClearNode did not confirm our wallet"
            raise ClearNodeAuthenticationError(msg)
        if result.get("session_key") not in {None, key.signer.address}:
            msg = "the ClearNode confirmed another session key"
            raise ClearNodeSessionKeyError(msg)
        jwt = result.get("jwt_token")
        return jwt if isinstance(jwt, str) and jwt else None
