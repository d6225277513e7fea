"""A raw WebSocket peer for the server tests: hand-built frames, nothing from the client class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
import json
import time
from typing import Any

import aiohttp

from custom_components.nitrolite.clearnode import signing
from custom_components.nitrolite.clearnode.v05 import (
    SignatureVerifier,
    compact_json,
    eip712_auth_digest,
    extract_raw,
    frame_request,
)

RECEIVE_TIMEOUT = 10.0


def now_ms() -> int:
    """Return the current time in milliseconds."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Frame:
    """One server frame: the res array and whether the broker signed exactly its bytes."""

    request_id: int
    method: str
    result: Any
    timestamp: int
    broker_signed: bool

    @property
    def error(self) -> str | None:
        """Return the server error text, or None for a non-error frame."""
        return self.result["error"] if self.method == "error" else None


class Peer:
    """One socket to the server; pushes are collected while waiting for answers."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, broker_address: str
    ) -> None:
        """Wrap an open socket; answers must be signed by broker_address."""
        self.ws = ws
        self.verifier = SignatureVerifier(broker_address)
        self.pushes: list[Frame] = []
        self._next_id = 1

    async def receive(self) -> Frame:
        """Read one frame and check the broker signature over its raw res bytes."""
        text = await self.ws.receive_str(timeout=RECEIVE_TIMEOUT)
        raw = extract_raw(text, "res")
        request_id, method, result, timestamp = json.loads(raw)
        signed = self.verifier.verify(raw, json.loads(text)["sig"])
        return Frame(request_id, method, result, timestamp, signed)

    async def send_text(self, text: str) -> None:
        """Send a text frame as is."""
        await self.ws.send_str(text)

    def frame(
        self,
        method: str,
        params: Any,
        signers: Sequence[signing.Signer] = (),
        *,
        timestamp: int | None = None,
        request_id: int | None = None,
        extra_signatures: Sequence[str] = (),
    ) -> tuple[int, str]:
        """Build a signed frame the way the SDK does (raw keccak over the req bytes)."""
        if request_id is None:
            request_id, self._next_id = self._next_id, self._next_id + 1
        req = compact_json(
            [request_id, method, params, now_ms() if timestamp is None else timestamp]
        )
        return request_id, frame_request(
            req, [*(s.sign_message(req) for s in signers), *extra_signatures]
        )

    async def next_answer(self) -> Frame:
        """Return the next frame that is not a push (id 0); keep pushes in self.pushes."""
        while True:
            frame = await self.receive()
            if frame.request_id != 0:
                return frame
            self.pushes.append(frame)

    async def next_push(self) -> Frame:
        """Return the next push, from those already collected or from the socket."""
        if self.pushes:
            return self.pushes.pop(0)
        frame = await self.receive()
        assert frame.request_id == 0, frame
        return frame

    async def request(
        self,
        method: str,
        params: Any,
        signers: Sequence[signing.Signer] = (),
        **options: Any,
    ) -> Frame:
        """Send a request and return its answer."""
        request_id, text = self.frame(method, params, signers, **options)
        await self.send_text(text)
        answer = await self.next_answer()
        assert answer.request_id == request_id, answer
        return answer

    async def auth_request(
        self,
        wallet: str,
        session_key: str,
        *,
        application: str = "home-assistant",
        allowances: Sequence[tuple[str, str]] = (("usdc", "50"),),
        expires_at: int | None = None,
        scope: str = "app.create",
    ) -> tuple[Frame, dict[str, Any]]:
        """Ask for a challenge; return the answer and the policy sent."""
        policy = {
            "address": wallet,
            "session_key": session_key,
            "application": application,
            "allowances": [
                {"asset": asset, "amount": amount} for asset, amount in allowances
            ],
            "expires_at": int(time.time()) + 3600 if expires_at is None else expires_at,
            "scope": scope,
        }
        return await self.request("auth_request", policy), policy

    async def auth_verify(self, challenge: str, signature: str) -> Frame:
        """Answer a challenge with a given signature."""
        return await self.request(
            "auth_verify", {"challenge": challenge}, extra_signatures=[signature]
        )

    async def login(
        self,
        wallet: signing.Signer,
        session_key: signing.Signer,
        **policy_options: Any,
    ) -> Frame:
        """auth_request + auth_verify signed with EIP-712 by the wallet."""
        challenge, policy = await self.auth_request(
            wallet.address, session_key.address, **policy_options
        )
        token = challenge.result["challenge_message"]
        return await self.auth_verify(
            token, wallet.sign_digest(policy_digest(token, policy))
        )


def policy_digest(challenge: str, policy: dict[str, Any]) -> bytes:
    """Return the EIP-712 digest of a login policy."""
    return eip712_auth_digest(
        policy["application"],
        challenge,
        policy["scope"],
        policy["address"],
        policy["session_key"],
        policy["expires_at"],
        [(item["asset"], item["amount"]) for item in policy["allowances"]],
    )
