"""Typed v1 payloads and results (PROTOCOL_V1 §3), strict and bounded.

App sessions map onto the library's neutral models (:class:`~..models.AppDefinition`,
:class:`~..models.AppSession`, :class:`~..models.Allocation`, participants in EIP-55)
so that the coordinator serves both dialects; v1-only objects are defined here
(session keys' states in :mod:`.session_keys`). ``to_wire`` emits what the node
compares against: lowercase addresses, canonical amounts, uint64 as strings.

Over 400 lines because it is PROTOCOL_V1 §3 as one list of models, one per wire
object, meant to be read beside the specification.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
import re
from typing import Any

from ..addresses import to_checksum_address
from ..errors import ClearNodeUnsupportedNodeError, ClearNodeValidationError
from ..models import Allocation, AppDefinition, AppSession, AppSessionStatus
from . import wire
from .codec import canonical_decimal, wire_address

# AppDefinition.protocol and AppSession.protocol of v1 sessions, which have none.
PROTOCOL = "nitronode/v1"
# v1.2 needs registered (staked) applications; older nodes use another definition shape.
MIN_NODE_VERSION = (1, 3, 0)
MAX_PARTICIPANTS = 256
MAX_PAGE_ITEMS = 100
_NODE_VERSION = re.compile(r"v?([0-9]{1,6})\.([0-9]{1,6})\.([0-9]{1,6})(?:[-+].*)?")


class AppIntent(IntEnum):
    """``intent`` of an app state update (a number on the wire)."""

    OPERATE = 0
    DEPOSIT = 1
    WITHDRAW = 2
    CLOSE = 3


class TransitionType(IntEnum):
    """``transition.type`` of a channel state."""

    VOID = 0
    ACKNOWLEDGEMENT = 1
    HOME_DEPOSIT = 10
    HOME_WITHDRAWAL = 11
    ESCROW_DEPOSIT = 20
    ESCROW_WITHDRAW = 21
    TRANSFER_SEND = 30
    TRANSFER_RECEIVE = 31
    COMMIT = 40
    RELEASE = 41
    MIGRATE = 100
    ESCROW_LOCK = 110
    MUTUAL_LOCK = 120
    FINALIZE = 200
    CHALLENGE_RESCUE = 201


class TransactionType(IntEnum):
    """``tx_type`` of a transaction record (unknown future values stay plain ints)."""

    HOME_DEPOSIT = 10
    HOME_WITHDRAWAL = 11
    ESCROW_DEPOSIT = 20
    ESCROW_WITHDRAW = 21
    TRANSFER = 30
    COMMIT = 40
    RELEASE = 41
    MIGRATE = 100
    ESCROW_LOCK = 110
    MUTUAL_LOCK = 120
    FINALIZE = 200
    CHALLENGE_RESCUE = 201


def _participant(value: str, key: str) -> str:
    try:
        return to_checksum_address(value)
    except ClearNodeValidationError:
        raise wire.fail(f"{key} is not an address") from None


def app_definition_from_wire(data: Mapping[str, Any]) -> AppDefinition:
    """Parse ``{application_id, participants:[{wallet_address, signature_weight}], quorum, nonce}``."""
    participants = [
        wire.mapping(item, "participant")
        for item in wire.items(data, "participants", MAX_PARTICIPANTS)
    ]
    return AppDefinition(
        application=wire.text(data, "application_id"),
        protocol=PROTOCOL,
        participants=tuple(
            _participant(wire.text(p, "wallet_address", 42), "wallet_address")
            for p in participants
        ),
        weights=tuple(wire.uint(p, "signature_weight", 8) for p in participants),
        quorum=wire.uint(data, "quorum", 8),
        challenge=0,
        nonce=wire.uint_text(data, "nonce"),
    )


def app_definition_to_wire(definition: AppDefinition) -> dict[str, Any]:
    """Return the definition as the node reads it (lowercase wallets, nonce as text)."""
    return {
        "application_id": definition.application,
        "participants": [
            {
                "wallet_address": wire_address(participant, "participants"),
                "signature_weight": weight,
            }
            for participant, weight in zip(
                definition.participants, definition.weights, strict=True
            )
        ],
        "quorum": definition.quorum,
        "nonce": str(definition.nonce),
    }


def allocation_from_wire(data: Mapping[str, Any]) -> Allocation:
    """Parse ``{participant, asset, amount}``; the sign is checked by the rules."""
    return Allocation(
        participant=_participant(wire.text(data, "participant", 42), "participant"),
        asset=wire.text(data, "asset"),
        amount=wire.amount(data, "amount", signed=True),
    )


def allocation_to_wire(allocation: Allocation) -> dict[str, str]:
    """Return ``{participant, asset, amount}`` with a canonical amount."""
    return {
        "participant": wire_address(allocation.participant, "allocations.participant"),
        "asset": allocation.asset,
        "amount": canonical_decimal(allocation.amount),
    }


def _allocations(data: Mapping[str, Any]) -> tuple[Allocation, ...]:
    return tuple(
        allocation_from_wire(wire.mapping(item, "allocation"))
        for item in wire.items(data, "allocations")
    )


def _status(data: Mapping[str, Any]) -> AppSessionStatus:
    status = wire.text(data, "status", 16)
    if status == "open":
        return "open"
    if status == "closed":
        return "closed"
    raise wire.fail("status is neither open nor closed")


def app_session_from_wire(data: Mapping[str, Any]) -> AppSession:
    """Parse an ``AppSessionInfo``; its allocations are always known in v1."""
    definition = app_definition_from_wire(
        wire.mapping(data.get("app_definition"), "app_definition")
    )
    return session_of(
        definition,
        app_session_id=wire.hex_text(data, "app_session_id", 32),
        status=_status(data),
        version=wire.uint_text(data, "version"),
        session_data=wire.optional_text(data, "session_data") or None,
        allocations=_allocations(data),
    )


def session_of(  # noqa: PLR0913 - the fields a v1 session adds to its definition
    definition: AppDefinition,
    *,
    app_session_id: str,
    status: AppSessionStatus,
    version: int,
    session_data: str | None,
    allocations: tuple[Allocation, ...],
) -> AppSession:
    """Return a v1 session as the neutral model: no challenge, no times (v1 has none)."""
    return AppSession(
        app_session_id=app_session_id,
        application=definition.application,
        status=status,
        participants=definition.participants,
        weights=definition.weights,
        quorum=definition.quorum,
        protocol=PROTOCOL,
        challenge=0,
        nonce=definition.nonce,
        version=version,
        session_data=session_data,
        created_at="",
        updated_at="",
        allocations=allocations,
    )


@dataclass(frozen=True, slots=True)
class AppStateUpdate:
    """An app session's proposed next state: what quorum signatures cover (§6.3)."""

    app_session_id: str
    intent: AppIntent
    version: int
    allocations: tuple[Allocation, ...]
    session_data: str

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AppStateUpdate:
        """Parse ``{app_session_id, intent, version, allocations, session_data}``."""
        intent = wire.uint(data, "intent", 8)
        if intent not in AppIntent:
            raise wire.fail(f"intent {intent} is unknown")
        return cls(
            app_session_id=wire.text(data, "app_session_id", 66),
            intent=AppIntent(intent),
            version=wire.uint_text(data, "version"),
            allocations=_allocations(data),
            session_data=wire.text(data, "session_data"),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the update as the node reads it."""
        return {
            "app_session_id": self.app_session_id,
            "intent": int(self.intent),
            "version": str(self.version),
            "allocations": [allocation_to_wire(a) for a in self.allocations],
            "session_data": self.session_data,
        }


@dataclass(frozen=True, slots=True)
class Blockchain:
    """A chain the node settles on."""

    name: str
    blockchain_id: int
    channel_hub_address: str

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Blockchain:
        """Parse ``{name, blockchain_id, channel_hub_address, …}``."""
        return cls(
            name=wire.text(data, "name", 256),
            blockchain_id=wire.uint_text(data, "blockchain_id"),
            channel_hub_address=wire.hex_text(data, "channel_hub_address", 20),
        )


def _sig_validators(value: Any) -> tuple[int, ...]:
    """Go marshals the []uint8 as base64 ("AAE=" is [0, 1]); the TS SDK sends a list."""
    if isinstance(value, str):
        if len(value) > 344:  # noqa: PLR2004 - base64 of 256 bytes
            raise wire.fail("supported_sig_validators is too long")
        try:
            return tuple(base64.b64decode(value, validate=True))
        except binascii.Error:
            raise wire.fail("supported_sig_validators is not base64") from None
    values = wire.items({"v": value}, "v", 256)
    return tuple(wire.uint({"v": v}, "v", 8) for v in values)


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """``node.v1.get_config``: the node's identity, version and chains."""

    node_address: str
    node_version: str
    blockchains: tuple[Blockchain, ...]
    supported_sig_validators: tuple[int, ...]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> NodeConfig:
        """Parse the result of ``node.v1.get_config``."""
        return cls(
            node_address=wire.hex_text(data, "node_address", 20),
            node_version=wire.optional_text(data, "node_version", 64) or "",
            blockchains=parse_items(data, "blockchains", Blockchain.from_wire),
            supported_sig_validators=_sig_validators(
                data.get("supported_sig_validators")
            ),
        )

    @property
    def version(self) -> tuple[int, int, int] | None:
        """``(major, minor, patch)`` of ``node_version``, None when unparsable."""
        match = _NODE_VERSION.fullmatch(self.node_version)
        if match is None:
            return None
        major, minor, patch = (int(part) for part in match.groups())
        return (major, minor, patch)

    def require_supported(self) -> None:
        """Refuse nodes older than v1.3.0 and nodes that do not say their version."""
        version = self.version
        if version is None or version < MIN_NODE_VERSION:
            raise ClearNodeUnsupportedNodeError(self.node_version)


@dataclass(frozen=True, slots=True)
class Token:
    """An asset's token on one chain; ``decimals`` scale channel states (§6.8)."""

    name: str
    symbol: str
    address: str
    blockchain_id: int
    decimals: int

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Token:
        """Parse ``{name, symbol, address, blockchain_id, decimals}``."""
        return cls(
            name=wire.text(data, "name", 256),
            symbol=wire.text(data, "symbol", 256),
            address=wire.hex_text(data, "address", 20),
            blockchain_id=wire.uint_text(data, "blockchain_id"),
            decimals=wire.uint(data, "decimals", 8),
        )


@dataclass(frozen=True, slots=True)
class Asset:
    """An asset; ``decimals`` bounds the precision of its amounts (§6.10)."""

    name: str
    symbol: str
    decimals: int
    suggested_blockchain_id: int
    tokens: tuple[Token, ...]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Asset:
        """Parse ``{name, symbol, decimals, suggested_blockchain_id, tokens}``."""
        return cls(
            name=wire.text(data, "name", 256),
            symbol=wire.text(data, "symbol", 256),
            decimals=wire.uint(data, "decimals", 8),
            suggested_blockchain_id=wire.uint_text(data, "suggested_blockchain_id"),
            tokens=parse_items(data, "tokens", Token.from_wire),
        )

    def token_on(self, blockchain_id: int) -> Token | None:
        """Return this asset's token on ``blockchain_id``, if it has one."""
        return next((t for t in self.tokens if t.blockchain_id == blockchain_id), None)


@dataclass(frozen=True, slots=True)
class BalanceEntry:
    """A wallet's off-chain balance of one asset and the part enforced on chain."""

    asset: str
    amount: Decimal
    enforced: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> BalanceEntry:
        """Parse ``{asset, amount, enforced}``."""
        return cls(
            asset=wire.text(data, "asset", 256),
            amount=wire.amount(data, "amount"),
            enforced=wire.amount(data, "enforced"),
        )


@dataclass(frozen=True, slots=True)
class Transaction:
    """A ledger transaction record; ``id`` is the transition's ``tx_id``."""

    id: str
    asset: str
    tx_type: int
    from_account: str
    to_account: str
    amount: Decimal
    created_at: str
    sender_new_state_id: str | None = None
    receiver_new_state_id: str | None = None

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Transaction:
        """Parse a ``Transaction`` object."""
        return cls(
            id=wire.hex_text(data, "id", 32),
            asset=wire.text(data, "asset", 256),
            tx_type=wire.uint(data, "tx_type", 8),
            from_account=wire.text(data, "from_account", 66),
            to_account=wire.text(data, "to_account", 66),
            amount=wire.amount(data, "amount"),
            created_at=wire.text(data, "created_at", 64),
            sender_new_state_id=wire.optional_id(data, "sender_new_state_id"),
            receiver_new_state_id=wire.optional_id(data, "receiver_new_state_id"),
        )


@dataclass(frozen=True, slots=True)
class PaginationMetadata:
    """``metadata`` of a list result."""

    page: int
    per_page: int
    total_count: int
    page_count: int

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> PaginationMetadata:
        """Parse ``{page, per_page, total_count, page_count}``."""
        return cls(
            page=wire.uint(data, "page", 32),
            per_page=wire.uint(data, "per_page", 32),
            total_count=wire.uint(data, "total_count", 32),
            page_count=wire.uint(data, "page_count", 32),
        )


def parse_items[T](
    data: Mapping[str, Any],
    key: str,
    parse: Callable[[Mapping[str, Any]], T],
    max_items: int = wire.MAX_ITEMS,
) -> tuple[T, ...]:
    """Parse ``data[key]``, a list of objects, with ``parse``."""
    return tuple(
        parse(wire.mapping(item, key)) for item in wire.items(data, key, max_items)
    )


def parse_page[T](
    data: Mapping[str, Any], key: str, parse: Callable[[Mapping[str, Any]], T]
) -> tuple[tuple[T, ...], PaginationMetadata]:
    """Parse a paginated result: at most 100 items and their ``metadata``."""
    items = parse_items(data, key, parse, MAX_PAGE_ITEMS)
    metadata = PaginationMetadata.from_wire(
        wire.mapping(data.get("metadata"), "metadata")
    )
    return items, metadata
