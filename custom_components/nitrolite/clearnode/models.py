"""Typed results and events of the ClearNode client (amounts are Decimal)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
import re
from typing import TYPE_CHECKING, Any, Literal

from .amounts import AmountError, parse_decimal
from .errors import ClearNodeError, ClearNodeProtocolError, ClearNodeValidationError
from .signing import to_checksum_address

if TYPE_CHECKING:
    from collections.abc import Callable

_ADDRESS_HEX = re.compile(r"0x[0-9a-fA-F]{40}")


def _fail(what: str) -> ClearNodeProtocolError:
    return ClearNodeProtocolError(f"unexpected server data: {what}")


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(f"{what} is not an object")
    return value


def _str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _fail(f"{key} is not a string")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value in {None, ""} else _str(data, key)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(f"{key} is not an integer")
    return value


def _decimal(data: Mapping[str, Any], key: str) -> Decimal:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(f"{key} is not an amount")
    try:
        return parse_decimal(value if isinstance(value, str | int) else repr(value))
    except AmountError as err:
        raise _fail(f"{key} is not an amount: {err}") from None


def _address(data: Mapping[str, Any], key: str) -> str:
    try:
        return to_checksum_address(_str(data, key))
    except ClearNodeValidationError:
        raise _fail(f"{key} is not an address") from None


def _account(data: Mapping[str, Any], key: str) -> str:
    """Wallet addresses in EIP-55; other account ids (app sessions) as sent."""
    value = _str(data, key)
    return to_checksum_address(value) if _ADDRESS_HEX.fullmatch(value) else value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(f"{key} is not a list")
    return value


def _addresses(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(_address({"a": item}, "a") for item in _list(data, key))


def _ints(data: Mapping[str, Any], key: str) -> tuple[int, ...]:
    return tuple(_int({"i": item}, "i") for item in _list(data, key))


def parse_list[T](
    data: Any, key: str, parse: Callable[[Mapping[str, Any]], T]
) -> tuple[T, ...]:
    """Parse ``data[key]`` as a list of objects with ``parse``."""
    items = _list(_mapping(data, "result"), key)
    return tuple(parse(_mapping(item, key)) for item in items)


@dataclass(frozen=True, slots=True)
class Asset:
    """A token the broker supports."""

    token: str
    chain_id: int
    symbol: str
    decimals: int

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Asset:
        """Parse ``{token, chain_id, symbol, decimals}``."""
        return cls(
            _account(data, "token"),
            _int(data, "chain_id"),
            _str(data, "symbol"),
            _int(data, "decimals"),
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """An amount of one asset, in human units."""

    asset: str
    amount: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Balance:
        """Parse ``{asset, amount}``."""
        return cls(_str(data, "asset"), _decimal(data, "amount"))


@dataclass(frozen=True, slots=True)
class Allocation:
    """A participant's share of one asset inside an app session."""

    participant: str
    asset: str
    amount: Decimal

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Allocation:
        """Parse ``{participant, asset, amount}``."""
        return cls(
            _address(data, "participant"),
            _str(data, "asset"),
            _decimal(data, "amount"),
        )


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

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AppDefinition:
        """Parse a definition object (``application`` may be absent or empty)."""
        return cls(
            _opt_str(data, "application") or "",
            _str(data, "protocol"),
            _addresses(data, "participants"),
            _ints(data, "weights"),
            _int(data, "quorum"),
            _int(data, "challenge"),
            _int(data, "nonce"),
        )


type AppSessionStatus = Literal["open", "closed"]


def _status(data: Mapping[str, Any]) -> AppSessionStatus:
    status = _str(data, "status")
    if status == "open":
        return "open"
    if status == "closed":
        return "closed"
    raise _fail("status is neither open nor closed")


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

    @classmethod
    def from_wire(
        cls,
        data: Mapping[str, Any],
        allocations: tuple[Allocation, ...] | None = None,
    ) -> AppSession:
        """Parse an app session object; ``allocations`` None means unknown."""
        return cls(
            app_session_id=_str(data, "app_session_id"),
            application=_opt_str(data, "application") or "",
            status=_status(data),
            participants=_addresses(data, "participants"),
            weights=_ints(data, "weights"),
            quorum=_int(data, "quorum"),
            protocol=_str(data, "protocol"),
            challenge=_int(data, "challenge"),
            nonce=_int(data, "nonce"),
            version=_int(data, "version"),
            session_data=_opt_str(data, "session_data"),
            created_at=_opt_str(data, "created_at") or "",
            updated_at=_opt_str(data, "updated_at") or "",
            allocations=allocations,
        )


@dataclass(frozen=True, slots=True)
class AppSessionResult:
    """The meaningful part of a create/submit/close answer."""

    app_session_id: str
    version: int
    status: AppSessionStatus

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AppSessionResult:
        """Parse ``{app_session_id, version, status, …zero fields}``."""
        return cls(_str(data, "app_session_id"), _int(data, "version"), _status(data))


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

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Transaction:
        """Parse a transaction object."""
        return cls(
            _int(data, "id"),
            _str(data, "tx_type"),
            _account(data, "from_account"),
            _account(data, "to_account"),
            _str(data, "asset"),
            _decimal(data, "amount"),
            _opt_str(data, "created_at") or "",
        )


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

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Channel:
        """Parse the fields of a ``Channel`` object the client uses."""
        return cls(
            _str(data, "channel_id"),
            _account(data, "participant"),
            _str(data, "status"),
            _account(data, "token"),
            _decimal(data, "amount"),
            _int(data, "chain_id"),
            _int(data, "version"),
        )


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """The broker's identity and the networks it serves."""

    broker_address: str
    networks: tuple[dict[str, Any], ...]

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> BrokerConfig:
        """Parse ``{broker_address, networks}``."""
        networks = tuple(dict(_mapping(n, "network")) for n in _list(data, "networks"))
        return cls(_address(data, "broker_address"), networks)


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
