"""The v0.5 server's JSON objects, parsed strictly into the library's models.

Every reader names the key it failed on; amounts go through the bounded parser and
wallet addresses come out in EIP-55.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ..addresses import is_hex_address, to_checksum_address
from ..amounts import AmountError, parse_decimal
from ..errors import ClearNodeInvalidAnswerError, ClearNodeProtocolError
from ..frames import InboundFrame
from ..models import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionStatus,
    Asset,
    Balance,
    BrokerConfig,
    Channel,
    Transaction,
)


def _fail(what: str) -> ClearNodeProtocolError:
    return ClearNodeProtocolError(f"unexpected server data: {what}")


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object."""
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
    value = _str(data, key)
    if not is_hex_address(value):
        raise _fail(f"{key} is not an address")
    return to_checksum_address(value)


def _account(data: Mapping[str, Any], key: str) -> str:
    """Wallet addresses in EIP-55; other account ids (app sessions) as sent."""
    value = _str(data, key)
    return to_checksum_address(value) if is_hex_address(value) else value


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


def _status(data: Mapping[str, Any]) -> AppSessionStatus:
    status = _str(data, "status")
    if status == "open":
        return "open"
    if status == "closed":
        return "closed"
    raise _fail("status is neither open nor closed")


def parse_list[T](
    data: Any, key: str, parse: Callable[[Mapping[str, Any]], T]
) -> tuple[T, ...]:
    """Parse ``data[key]`` as a list of objects with ``parse``."""
    items = _list(mapping(data, "result"), key)
    return tuple(parse(mapping(item, key)) for item in items)


def check_method(frame: InboundFrame, method: str) -> None:
    """Refuse an answer whose method is not the one the request expects."""
    if frame.method != method:
        msg = f"expected {method!r} answer, got {frame.method!r}"
        raise ClearNodeInvalidAnswerError(msg)


def answer[T](
    frame: InboundFrame, method: str, parse: Callable[[Mapping[str, Any]], T]
) -> T:
    """Parse the answer to a request that left: its method, then its result object.

    Anything unexpected is a ClearNodeInvalidAnswerError: the request may have been
    applied, whatever its answer looks like.
    """
    check_method(frame, method)
    try:
        return parse(mapping(frame.payload, f"the {method} answer"))
    except ClearNodeInvalidAnswerError:
        raise
    except ClearNodeProtocolError as err:
        raise ClearNodeInvalidAnswerError(str(err)) from None


def asset(data: Mapping[str, Any]) -> Asset:
    """Parse ``{token, chain_id, symbol, decimals}``."""
    return Asset(
        _account(data, "token"),
        _int(data, "chain_id"),
        _str(data, "symbol"),
        _int(data, "decimals"),
    )


def balance(data: Mapping[str, Any]) -> Balance:
    """Parse ``{asset, amount}``."""
    return Balance(_str(data, "asset"), _decimal(data, "amount"))


def allocation(data: Mapping[str, Any]) -> Allocation:
    """Parse ``{participant, asset, amount}``."""
    return Allocation(
        _address(data, "participant"), _str(data, "asset"), _decimal(data, "amount")
    )


def app_definition(data: Mapping[str, Any]) -> AppDefinition:
    """Parse a definition object (``application`` may be absent or empty)."""
    return AppDefinition(
        _opt_str(data, "application") or "",
        _str(data, "protocol"),
        _addresses(data, "participants"),
        _ints(data, "weights"),
        _int(data, "quorum"),
        _int(data, "challenge"),
        _int(data, "nonce"),
    )


def app_session(
    data: Mapping[str, Any], allocations: tuple[Allocation, ...] | None = None
) -> AppSession:
    """Parse an app session object; ``allocations`` None means unknown."""
    return AppSession(
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


def app_session_result(data: Mapping[str, Any]) -> AppSessionResult:
    """Parse ``{app_session_id, version, status, …zero fields}``."""
    return AppSessionResult(
        _str(data, "app_session_id"), _int(data, "version"), _status(data)
    )


def transaction(data: Mapping[str, Any]) -> Transaction:
    """Parse a transaction object."""
    return Transaction(
        _int(data, "id"),
        _str(data, "tx_type"),
        _account(data, "from_account"),
        _account(data, "to_account"),
        _str(data, "asset"),
        _decimal(data, "amount"),
        _opt_str(data, "created_at") or "",
    )


def channel(data: Mapping[str, Any]) -> Channel:
    """Parse the fields of a ``Channel`` object the client uses."""
    return Channel(
        _str(data, "channel_id"),
        _account(data, "participant"),
        _str(data, "status"),
        _account(data, "token"),
        _decimal(data, "amount"),
        _int(data, "chain_id"),
        _int(data, "version"),
    )


def broker_config(data: Mapping[str, Any]) -> BrokerConfig:
    """Parse ``{broker_address, networks}``."""
    networks = tuple(dict(mapping(n, "network")) for n in _list(data, "networks"))
    return BrokerConfig(_address(data, "broker_address"), networks)
