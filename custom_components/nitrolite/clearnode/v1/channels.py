"""A channel state, its ledger and transition, and a home channel's definition.

The objects the node and the wallet co-sign (PROTOCOL_V1 §3.2), parsed strictly and
written back as the node reads them; the rules that advance them are in
:mod:`.state`, the bytes that are signed in :mod:`.hashing`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import wire
from .codec import canonical_decimal
from .models import TransitionType

_ACCOUNT_ID_SIZES = (42, 66)


@dataclass(frozen=True, slots=True)
class Ledger:
    """Balances and net flows of one channel, in human units; hex as sent."""

    token_address: str
    blockchain_id: int
    user_balance: Decimal
    user_net_flow: Decimal
    node_balance: Decimal
    node_net_flow: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Ledger:
        """Parse ``{token_address, blockchain_id, user_balance, …}`` (signs are rules)."""
        return cls(
            token_address=wire.text(data, "token_address", 42),
            blockchain_id=wire.uint_text(data, "blockchain_id"),
            user_balance=wire.amount(data, "user_balance", signed=True),
            user_net_flow=wire.amount(data, "user_net_flow", signed=True),
            node_balance=wire.amount(data, "node_balance", signed=True),
            node_net_flow=wire.amount(data, "node_net_flow", signed=True),
        )

    def to_wire(self) -> dict[str, str]:
        """Return the ledger with canonical amounts."""
        return {
            "token_address": self.token_address,
            "blockchain_id": str(self.blockchain_id),
            "user_balance": canonical_decimal(self.user_balance),
            "user_net_flow": canonical_decimal(self.user_net_flow),
            "node_balance": canonical_decimal(self.node_balance),
            "node_net_flow": canonical_decimal(self.node_net_flow),
        }


EMPTY_LEDGER = Ledger("", 0, Decimal(0), Decimal(0), Decimal(0), Decimal(0))


@dataclass(frozen=True, slots=True)
class Transition:
    """What moved funds into or out of a state; ``account_id`` depends on ``type``."""

    type: TransitionType
    tx_id: str
    account_id: str
    amount: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Transition:
        """Parse ``{type, tx_id, account_id, amount}``."""
        kind = wire.uint(data, "type", 8)
        if kind not in TransitionType:
            raise wire.fail(f"transition type {kind} is unknown")
        account_id = wire.text(data, "account_id", 66)
        if len(account_id) not in _ACCOUNT_ID_SIZES:
            raise wire.fail("account_id is neither an address nor a 32-byte id")
        wire.hex_text(data, "account_id", (len(account_id) - 2) // 2)
        return cls(
            type=TransitionType(kind),
            tx_id=wire.hex_text(data, "tx_id", 32),
            account_id=account_id,
            amount=wire.amount(data, "amount", signed=True),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the transition with a canonical amount."""
        return {
            "type": int(self.type),
            "tx_id": self.tx_id,
            "account_id": self.account_id,
            "amount": canonical_decimal(self.amount),
        }


NO_TRANSITION = Transition(TransitionType.VOID, "", "", Decimal(0))


@dataclass(frozen=True, slots=True)
class ChannelState:
    """A wallet's state of one asset, version by version within an epoch."""

    id: str
    transition: Transition
    asset: str
    user_wallet: str
    epoch: int
    version: int
    home_channel_id: str | None
    home_ledger: Ledger
    escrow_channel_id: str | None = None
    escrow_ledger: Ledger | None = None
    user_sig: str | None = None
    node_sig: str | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ChannelState:
        """Parse a ``State`` object."""
        escrow = data.get("escrow_ledger")
        return cls(
            id=wire.hex_text(data, "id", 32),
            transition=Transition.from_wire(
                wire.mapping(data.get("transition"), "transition")
            ),
            asset=wire.text(data, "asset", 256),
            user_wallet=wire.hex_text(data, "user_wallet", 20),
            epoch=wire.uint_text(data, "epoch"),
            version=wire.uint_text(data, "version"),
            home_channel_id=wire.optional_id(data, "home_channel_id"),
            home_ledger=Ledger.from_wire(
                wire.mapping(data.get("home_ledger"), "home_ledger")
            ),
            escrow_channel_id=wire.optional_id(data, "escrow_channel_id"),
            escrow_ledger=None
            if escrow is None
            else Ledger.from_wire(wire.mapping(escrow, "escrow_ledger")),
            user_sig=wire.optional_text(data, "user_sig", 1024),
            node_sig=wire.optional_text(data, "node_sig", 1024),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the state as the node reads it; absent values are left out."""
        optional = {
            "home_channel_id": self.home_channel_id,
            "escrow_channel_id": self.escrow_channel_id,
            "home_ledger": self.home_ledger.to_wire(),
            "escrow_ledger": None
            if self.escrow_ledger is None
            else self.escrow_ledger.to_wire(),
            "user_sig": self.user_sig,
            "node_sig": self.node_sig,
        }
        return {
            "id": self.id,
            "transition": self.transition.to_wire(),
            "asset": self.asset,
            "user_wallet": self.user_wallet,
            "epoch": str(self.epoch),
            "version": str(self.version),
        } | {key: value for key, value in optional.items() if value is not None}


@dataclass(frozen=True, slots=True)
class ChannelDefinition:
    """The parameters a home channel's id is derived from."""

    nonce: int
    challenge: int
    approved_sig_validators: str

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ChannelDefinition:
        """Parse ``{nonce, challenge, approved_sig_validators}``."""
        return cls(
            nonce=wire.uint_text(data, "nonce"),
            challenge=wire.uint(data, "challenge", 32),
            approved_sig_validators=wire.text(data, "approved_sig_validators", 66),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the definition as the node reads it."""
        return {
            "nonce": str(self.nonce),
            "challenge": self.challenge,
            "approved_sig_validators": self.approved_sig_validators,
        }
