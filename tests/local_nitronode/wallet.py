"""A wallet that drives the node the way a client does.

It builds every hash, signature and channel state with the library's v1 primitives
and sends them over a peer's raw socket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from custom_components.nitrolite.clearnode.models import Allocation, AppDefinition
from custom_components.nitrolite.clearnode.signing import Signer
from custom_components.nitrolite.clearnode.v1.hashing import (
    app_session_key_state_hash,
    app_state_update_hash,
    create_request_hash,
    pack_state,
)
from custom_components.nitrolite.clearnode.v1.models import (
    PROTOCOL,
    AppIntent,
    AppStateUpdate,
    Asset,
    Token,
)
from custom_components.nitrolite.clearnode.v1.session_keys import AppSessionKeyState
from custom_components.nitrolite.clearnode.v1.signing import (
    personal_sign,
    quorum_signature,
    verify_node_signature,
)
from custom_components.nitrolite.clearnode.v1.state import (
    ChannelDefinition,
    ChannelState,
    apply_acknowledgement,
    apply_commit,
    apply_transfer_send,
    next_state,
    sign_state,
    with_home_channel,
)

from .peer import Answer, Peer

CHALLENGE = 86400
VALIDATORS = "0x03"


def definition(
    participants: Sequence[tuple[Signer, int]],
    quorum: int,
    nonce: int,
    application: str = "home-assistant",
) -> AppDefinition:
    """Return an app definition of (signer, weight) participants."""
    return AppDefinition(
        application=application,
        protocol=PROTOCOL,
        participants=tuple(signer.address.lower() for signer, _ in participants),
        weights=tuple(weight for _, weight in participants),
        quorum=quorum,
        challenge=0,
        nonce=nonce,
    )


def definition_wire(app_definition: AppDefinition) -> dict[str, Any]:
    """Return ``{application_id, participants, quorum, nonce}``."""
    return {
        "application_id": app_definition.application,
        "participants": [
            {"wallet_address": wallet, "signature_weight": weight}
            for wallet, weight in zip(
                app_definition.participants, app_definition.weights, strict=True
            )
        ],
        "quorum": app_definition.quorum,
        "nonce": str(app_definition.nonce),
    }


def allocation(signer: Signer, asset: str, amount: str) -> Allocation:
    """Return one allocation of a participant."""
    return Allocation(signer.address.lower(), asset, Decimal(amount))


def update(
    app_session_id: str,
    intent: AppIntent,
    version: int,
    allocations: Sequence[Allocation],
    session_data: str = "",
) -> AppStateUpdate:
    """Return an app state update."""
    return AppStateUpdate(
        app_session_id=app_session_id,
        intent=intent,
        version=version,
        allocations=tuple(allocations),
        session_data=session_data,
    )


def signed_update(
    proposal: AppStateUpdate, signers: Sequence[Signer]
) -> dict[str, Any]:
    """Return ``{app_state_update, quorum_sigs}`` signed (0xA1) by ``signers``."""
    app_hash = app_state_update_hash(proposal)
    return {
        "app_state_update": proposal.to_wire(),
        "quorum_sigs": [quorum_signature(signer, app_hash) for signer in signers],
    }


def key_state(
    wallet: Signer,
    key: Signer,
    *,
    version: int,
    expires_at: int,
    application_ids: Sequence[str] = ("home-assistant",),
    app_session_ids: Sequence[str] = (),
) -> AppSessionKeyState:
    """Return an app-session key state signed by the wallet and by the key."""
    state = AppSessionKeyState(
        user_address=wallet.address.lower(),
        session_key=key.address.lower(),
        version=version,
        application_ids=tuple(application_ids),
        app_session_ids=tuple(app_session_ids),
        expires_at=expires_at,
    )
    digest = app_session_key_state_hash(state)
    return replace(
        state,
        user_sig=personal_sign(wallet, digest),
        session_key_sig=personal_sign(key, digest),
    )


class Wallet:
    """One wallet on one socket."""

    def __init__(self, peer: Peer, signer: Signer, node_address: str) -> None:
        """Act for ``signer`` on ``peer``'s socket."""
        self.peer = peer
        self.signer = signer
        self.address = signer.address.lower()
        self.node_address = node_address

    async def latest(self, asset: str) -> ChannelState | None:
        """Return the wallet's newest state (unsigned node-issued ones included)."""
        result = await self.peer.call(
            "channels.v1.get_latest_state",
            {"wallet": self.address, "asset": asset, "only_signed": False},
        )
        return ChannelState.from_wire(result["state"]) if "state" in result else None

    async def balance(self, asset: str) -> Decimal:
        """Return the wallet's off-chain balance of ``asset``."""
        result = await self.peer.call("user.v1.get_balances", {"wallet": self.address})
        amounts = {b["asset"]: Decimal(b["amount"]) for b in result["balances"]}
        return amounts.get(asset, Decimal(0))

    async def token(self, asset: str) -> Token:
        """Return the token of ``asset`` on its suggested chain."""
        result = await self.peer.call("node.v1.get_assets")
        found = next(
            Asset.from_wire(a) for a in result["assets"] if a["symbol"] == asset
        )
        token = found.token_on(found.suggested_blockchain_id)
        assert token is not None
        return token

    async def acknowledge(self, asset: str, nonce: int = 1) -> ChannelState:
        """Open the home channel on the latest state; check the node's co-signature."""
        token = await self.token(asset)
        current = await self.latest(asset)
        assert current is not None
        channel = ChannelDefinition(nonce, CHALLENGE, VALIDATORS)
        state = with_home_channel(
            next_state(current),
            channel,
            token.blockchain_id,
            token.address,
            self.node_address,
        )
        state = sign_state(apply_acknowledgement(state), self.signer, token.decimals)
        result = await self.peer.call(
            "channels.v1.request_creation",
            {"state": state.to_wire(), "channel_definition": channel.to_wire()},
        )
        verify_node_signature(
            pack_state(state, token.decimals), result["signature"], self.node_address
        )
        return state

    async def create(
        self,
        app_definition: AppDefinition,
        signers: Sequence[Signer],
        session_data: str = "",
    ) -> str:
        """Create an app session signed by ``signers``; return its id."""
        create_hash = create_request_hash(app_definition, session_data)
        result = await self.peer.call(
            "app_sessions.v1.create_app_session",
            {
                "definition": definition_wire(app_definition),
                "session_data": session_data,
                "quorum_sigs": [quorum_signature(s, create_hash) for s in signers],
            },
        )
        return str(result["app_session_id"])

    async def commit(
        self, app_session_id: str, asset: str, amount: Decimal
    ) -> ChannelState:
        """Return the signed commit of ``amount`` on top of the latest state."""
        token = await self.token(asset)
        current = await self.latest(asset)
        assert current is not None
        state = apply_commit(next_state(current), app_session_id, amount)
        return sign_state(state, self.signer, token.decimals)

    async def deposit(
        self,
        proposal: AppStateUpdate,
        signers: Sequence[Signer],
        amount: Decimal,
    ) -> Answer:
        """Submit a deposit with this wallet's commit; check the node's co-signature."""
        asset = proposal.allocations[0].asset
        token = await self.token(asset)
        commit = await self.commit(proposal.app_session_id, asset, amount)
        answer = await self.peer.request(
            "app_sessions.v1.submit_deposit_state",
            signed_update(proposal, signers) | {"user_state": commit.to_wire()},
        )
        if answer.error is None:
            verify_node_signature(
                pack_state(commit, token.decimals),
                answer.result["signature"],
                self.node_address,
            )
        return answer

    async def submit(
        self, proposal: AppStateUpdate, signers: Sequence[Signer]
    ) -> Answer:
        """Submit an operate, withdraw or close update."""
        return await self.peer.request(
            "app_sessions.v1.submit_app_state", signed_update(proposal, signers)
        )

    async def transfer(self, recipient: str, asset: str, amount: Decimal) -> Answer:
        """Send ``amount`` to ``recipient`` on the open home channel."""
        token = await self.token(asset)
        current = await self.latest(asset)
        assert current is not None
        state = apply_transfer_send(next_state(current), recipient, amount)
        state = sign_state(state, self.signer, token.decimals)
        return await self.peer.request(
            "channels.v1.submit_state", {"state": state.to_wire()}
        )

    async def session(self, app_session_id: str) -> dict[str, Any]:
        """Return the node's listing of one app session."""
        result = await self.peer.call(
            "app_sessions.v1.get_app_sessions", {"app_session_id": app_session_id}
        )
        (found,) = result["app_sessions"]
        return dict(found)
