"""Request payloads typed as the Go request structs of v1.4.1 (``pkg/rpc/api.go``).

Each ``*_request`` function takes a payload already decoded into a Go struct view
(:func:`gotypes.struct`) and raises ParamsError when a field has the wrong JSON type.
Values stay as the strings the wire carries; each handler parses them further with its
own error text, in the order the real handler does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import RPCError
from .gotypes import (
    boolean,
    normalize_address,
    optional_string,
    optional_uint,
    string,
    string_list,
    struct,
    struct_list,
    uint,
)

type Struct = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Pagination:
    """PaginationParamsV1 (absent fields are None)."""

    offset: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class Participant:
    """AppParticipantV1."""

    wallet_address: str
    signature_weight: int


@dataclass(frozen=True, slots=True)
class Definition:
    """AppDefinitionV1 as sent (nonce still text)."""

    application_id: str
    participants: list[Participant]
    quorum: int
    nonce: str


@dataclass(frozen=True, slots=True)
class AllocationText:
    """AppAllocationV1 as sent (amount still text)."""

    participant: str
    asset: str
    amount: str


@dataclass(frozen=True, slots=True)
class UpdateText:
    """AppStateUpdateV1 as sent."""

    app_session_id: str
    intent: int
    version: str
    allocations: list[AllocationText]
    session_data: str


@dataclass(frozen=True, slots=True)
class LedgerText:
    """LedgerV1 as sent."""

    token_address: str
    blockchain_id: str
    user_balance: str
    user_net_flow: str
    node_balance: str
    node_net_flow: str


@dataclass(frozen=True, slots=True)
class TransitionText:
    """TransitionV1 as sent."""

    type: int
    tx_id: str
    account_id: str
    amount: str


@dataclass(frozen=True, slots=True)
class StateText:
    """StateV1 as sent."""

    id: str
    transition: TransitionText
    asset: str
    user_wallet: str
    epoch: str
    version: str
    home_channel_id: str | None
    escrow_channel_id: str | None
    home_ledger: LedgerText
    escrow_ledger: LedgerText | None
    user_sig: str | None
    node_sig: str | None


@dataclass(frozen=True, slots=True)
class ChannelDefinitionText:
    """ChannelDefinitionV1 as sent."""

    nonce: str
    challenge: int
    approved_sig_validators: str


@dataclass(frozen=True, slots=True)
class KeyStateText:
    """AppSessionKeyStateV1 as sent."""

    user_address: str
    session_key: str
    version: str
    application_ids: list[str] | None
    app_session_ids: list[str] | None
    expires_at: str
    user_sig: str
    session_key_sig: str


def pagination(value: Any) -> Pagination | None:
    """Decode a ``*PaginationParamsV1`` (``sort`` is checked for type, then ignored)."""
    if value is None:
        return None
    data = struct(value)
    optional_string(data.get("sort"))
    return Pagination(
        optional_uint(data.get("offset"), 32), optional_uint(data.get("limit"), 32)
    )


def paginate[T](
    items: list[T], page: Pagination | None, default: int, maximum: int
) -> tuple[list[T], dict[str, int]]:
    """Return one page of ``items`` and its PaginationMetadataV1.

    As GetOffsetAndLimit: an absent or zero limit is the default, a larger one is cut
    to the maximum.
    """
    offset = page.offset or 0 if page else 0
    limit = min(page.limit or default, maximum) if page else default
    total = len(items)
    metadata = {
        "page": offset // limit + 1 if total else 0,
        "per_page": limit,
        "total_count": total,
        "page_count": -(-total // limit),
    }
    return items[offset : offset + limit], metadata


def wallet(text: str, prefix: str = "invalid wallet") -> str:
    """Return NormalizeHexAddress of ``text``, failing with ``<prefix>: <reason>``."""
    try:
        return normalize_address(text)
    except ValueError as err:
        raise RPCError(f"{prefix}: {err}") from None


def definition(value: Any) -> Definition:
    """Decode an AppDefinitionV1."""
    data = struct(value)
    return Definition(
        application_id=string(data.get("application_id")),
        participants=[
            Participant(
                string(item.get("wallet_address")),
                uint(item.get("signature_weight"), 8),
            )
            for item in struct_list(data.get("participants"))
        ],
        quorum=uint(data.get("quorum"), 8),
        nonce=string(data.get("nonce")),
    )


def update(value: Any) -> UpdateText:
    """Decode an AppStateUpdateV1."""
    data = struct(value)
    return UpdateText(
        app_session_id=string(data.get("app_session_id")),
        intent=uint(data.get("intent"), 8),
        version=string(data.get("version")),
        allocations=[
            AllocationText(
                string(item.get("participant")),
                string(item.get("asset")),
                string(item.get("amount")),
            )
            for item in struct_list(data.get("allocations"))
        ],
        session_data=string(data.get("session_data")),
    )


def _ledger(value: Any) -> LedgerText:
    data = struct(value)
    return LedgerText(
        *(
            string(data.get(key))
            for key in (
                "token_address",
                "blockchain_id",
                "user_balance",
                "user_net_flow",
                "node_balance",
                "node_net_flow",
            )
        )
    )


def state(value: Any) -> StateText:
    """Decode a StateV1."""
    data = struct(value)
    transition = struct(data.get("transition"))
    escrow = data.get("escrow_ledger")
    return StateText(
        id=string(data.get("id")),
        transition=TransitionText(
            uint(transition.get("type"), 8),
            string(transition.get("tx_id")),
            string(transition.get("account_id")),
            string(transition.get("amount")),
        ),
        asset=string(data.get("asset")),
        user_wallet=string(data.get("user_wallet")),
        epoch=string(data.get("epoch")),
        version=string(data.get("version")),
        home_channel_id=optional_string(data.get("home_channel_id")),
        escrow_channel_id=optional_string(data.get("escrow_channel_id")),
        home_ledger=_ledger(data.get("home_ledger")),
        escrow_ledger=None if escrow is None else _ledger(escrow),
        user_sig=optional_string(data.get("user_sig")),
        node_sig=optional_string(data.get("node_sig")),
    )


def channel_definition(value: Any) -> ChannelDefinitionText:
    """Decode a ChannelDefinitionV1."""
    data = struct(value)
    return ChannelDefinitionText(
        string(data.get("nonce")),
        uint(data.get("challenge"), 32),
        string(data.get("approved_sig_validators")),
    )


def key_state(value: Any) -> KeyStateText:
    """Decode an AppSessionKeyStateV1."""
    data = struct(value)
    return KeyStateText(
        user_address=string(data.get("user_address")),
        session_key=string(data.get("session_key")),
        version=string(data.get("version")),
        application_ids=string_list(data.get("application_ids")),
        app_session_ids=string_list(data.get("app_session_ids")),
        expires_at=string(data.get("expires_at")),
        user_sig=string(data.get("user_sig")),
        session_key_sig=string(data.get("session_key_sig")),
    )


def quorum_sigs(data: Struct) -> list[str]:
    """Decode the ``quorum_sigs`` []string (nil is empty)."""
    return string_list(data.get("quorum_sigs")) or []


def flag(data: Struct, key: str) -> bool:
    """Decode a bool field."""
    return boolean(data.get(key))
