"""The library's models and events, whatever the dialect (amounts are Decimal).

Each dialect parses its own wire format into these (``v05.parsing``, ``v1.models``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from .errors import ClearNodeError


@dataclass(frozen=True, slots=True)
class Asset:
    """A token the broker supports."""

    token: str
    chain_id: int
    symbol: str
    decimals: int


@dataclass(frozen=True, slots=True)
class Balance:
    """An amount of one asset, in human units."""

    asset: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """A participant's share of one asset inside an app session."""

    participant: str
    asset: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class AppDefinition:
    """The immutable definition an app session id is derived from."""

    application: str
    protocol: str
    participants: tuple[str, ...]
    weights: tuple[int, ...]
    quorum: int
    challenge: int
    nonce: int


type AppSessionStatus = Literal["open", "closed"]


@dataclass(frozen=True, slots=True)
class AppSession:
    """An app session as listed by the server."""

    app_session_id: str
    application: str
    status: AppSessionStatus
    participants: tuple[str, ...]
    weights: tuple[int, ...]
    quorum: int
    protocol: str
    challenge: int
    nonce: int
    version: int
    session_data: str | None
    created_at: str
    updated_at: str
    allocations: tuple[Allocation, ...] | None = None

    @property
    def definition(self) -> AppDefinition:
        """The definition this session was created with."""
        return AppDefinition(
            self.application,
            self.protocol,
            self.participants,
            self.weights,
            self.quorum,
            self.challenge,
            self.nonce,
        )


@dataclass(frozen=True, slots=True)
class AppSessionResult:
    """The meaningful part of a create/submit/close answer."""

    app_session_id: str
    version: int
    status: AppSessionStatus


@dataclass(frozen=True, slots=True)
class Transaction:
    """A ledger transaction (transfer, deposit, …); v1 ids are 0x-hex transition ids."""

    id: int | str
    tx_type: str
    from_account: str
    to_account: str
    asset: str
    amount: Decimal
    created_at: str


@dataclass(frozen=True, slots=True)
class Channel:
    """An on-chain channel between a wallet and the broker (amount in token units)."""

    channel_id: str
    participant: str
    status: str
    token: str
    amount: Decimal
    chain_id: int
    version: int


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """The broker's identity and the networks it serves."""

    broker_address: str
    networks: tuple[dict[str, Any], ...]


class ConnectionState(StrEnum):
    """Where the client's connection stands."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    AUTHENTICATING = "authenticating"
    CONNECTED = "connected"


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    """The connection state changed; ``error`` says why it dropped, if it did."""

    state: ConnectionState
    error: ClearNodeError | None = None


@dataclass(frozen=True, slots=True)
class BalancesUpdated:
    """``bu`` push: the full unified balance list."""

    balances: tuple[Balance, ...]


@dataclass(frozen=True, slots=True)
class AppSessionUpdated:
    """An app session's new state, allocations included (``asu`` push, or a poll).

    ``versions`` is how many versions the change covers: a poll that finds a session
    two versions on reports both in one event.
    """

    session: AppSession
    versions: int = 1


@dataclass(frozen=True, slots=True)
class TransfersReceived:
    """``tr`` push: transfers to or from this wallet."""

    transactions: tuple[Transaction, ...]


@dataclass(frozen=True, slots=True)
class AssetsUpdated:
    """``assets`` push, sent on every connect."""

    assets: tuple[Asset, ...]


@dataclass(frozen=True, slots=True)
class ChannelsUpdated:
    """``channels`` push (open channels after login) or ``cu`` push (one channel)."""

    channels: tuple[Channel, ...]


@dataclass(frozen=True, slots=True)
class Resynced:
    """State re-read after a (re)login; pushes sent while offline are lost.

    ``read_started`` is the ``time.monotonic()`` at which the re-read began: anything
    learnt after it is newer than the listing.
    """

    balances: tuple[Balance, ...]
    open_sessions: tuple[AppSession, ...]
    read_started: float


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A frame failed verification or parsing and was not acted upon."""

    reason: str


type ClearNodeEvent = (
    ConnectionStateChanged
    | BalancesUpdated
    | AppSessionUpdated
    | TransfersReceived
    | AssetsUpdated
    | ChannelsUpdated
    | Resynced
    | FrameRejected
)
