"""What a method handler works with: the request, the connection's login, the node."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
import time
from typing import Any

from custom_components.nitrolite.clearnode import ClearNodeError
from custom_components.nitrolite.clearnode.v05 import recover_address

from .auth import AuthSessions, Challenges, Tokens
from .constants import MESSAGE_EXPIRY_SECONDS, AssetInfo
from .errors import ParamsError, RPCError
from .faults import Faults
from .goformat import go_decimal
from .params import as_object
from .state import NodeState
from .wire import Request


@dataclass(frozen=True, slots=True)
class Push:
    """A notification for every authenticated socket of a wallet."""

    wallet: str
    method: str
    result: Any


@dataclass(slots=True)
class Login:
    """Per-connection authentication state."""

    user_id: str = ""


class RecentRequests:
    """req texts of processed transfers, remembered for the message expiry window."""

    def __init__(self) -> None:
        """Start empty."""
        self._seen: dict[str, float] = {}

    def __contains__(self, raw: object) -> bool:
        """Whether these exact bytes were processed within the window."""
        self._purge()
        return raw in self._seen

    def add(self, raw: str) -> None:
        """Remember processed bytes."""
        self._seen[raw] = time.monotonic() + MESSAGE_EXPIRY_SECONDS

    def clear(self) -> None:
        """Forget everything (server restart)."""
        self._seen.clear()

    def _purge(self) -> None:
        now = time.monotonic()
        for raw, until in list(self._seen.items()):
            if until < now:
                del self._seen[raw]


@dataclass(slots=True)
class Services:
    """The node's shared parts."""

    state: NodeState
    assets: tuple[AssetInfo, ...]
    broker_address: str
    tokens: Tokens
    faults: Faults
    challenges: Challenges = field(default_factory=Challenges)
    auth_sessions: AuthSessions = field(default_factory=AuthSessions)
    recent_transfers: RecentRequests = field(default_factory=RecentRequests)

    def forget_connections(self) -> None:
        """Lose what a process restart loses: challenges, login sessions, the message cache."""
        self.challenges.clear()
        self.auth_sessions.clear()
        self.recent_transfers.clear()


@dataclass(slots=True)
class Call:
    """One request being handled."""

    request: Request
    login: Login
    services: Services
    pushes: list[Push] = field(default_factory=list)
    changed_state: bool = False

    @property
    def state(self) -> NodeState:
        """The node's database."""
        return self.services.state

    def params(self, *, auth: bool = False) -> Mapping[str, Any]:
        """Return the params object ("failed to parse parameters" if not an object)."""
        try:
            return as_object(self.request.params)
        except ParamsError as err:
            raise RPCError(parse_failure(auth=auth)) from err

    def decode[T](
        self, decoder: Callable[[Mapping[str, Any]], T], *, auth: bool = False
    ) -> T:
        """Decode params with Go's rules; a type mismatch fails like the real server."""
        params = self.params(auth=auth)
        try:
            return decoder(params)
        except ParamsError as err:
            raise RPCError(parse_failure(auth=auth)) from err

    def recovered_signers(self) -> list[str]:
        """GetRequestSignersMap: every sig recovered over the raw req bytes."""
        digest = self.request.digest
        return [recover_address(digest, sig) for sig in self.request.signatures]

    def push_balances(self, wallet: str) -> None:
        """Queue a bu notification with the wallet's unified balance."""
        self.pushes.append(
            Push(
                wallet,
                "bu",
                {"balance_updates": balance_rows(self.state, wallet, wallet)},
            )
        )

    def check_timestamp(self) -> None:
        """Private methods: 13-digit ms timestamp, at most 60 s old (future is fine)."""
        timestamp = self.request.timestamp
        too_old = time.time() * 1000 - timestamp > MESSAGE_EXPIRY_SECONDS * 1000
        if not 10**12 <= timestamp < 10**13 or too_old:
            raise RPCError("invalid message timestamp")


def parse_failure(*, auth: bool) -> str:
    """Return the server's message for params it cannot decode."""
    return "failed to parse auth parameters" if auth else "failed to parse parameters"


def asset_rows(
    assets: tuple[AssetInfo, ...], chain_id: int = 0
) -> list[dict[str, Any]]:
    """Return [{token, chain_id, symbol, decimals}], optionally of one chain."""
    return [
        {
            "token": a.token,
            "chain_id": a.chain_id,
            "symbol": a.symbol,
            "decimals": a.decimals,
        }
        for a in assets
        if not chain_id or a.chain_id == chain_id
    ]


def balance_rows(state: NodeState, account: str, wallet: str) -> list[dict[str, str]]:
    """[{asset, amount}] of one (account, wallet) pair."""
    balances = state.ledger.balances(account, wallet)
    return [
        {"asset": asset, "amount": go_decimal(amount)}
        for asset, amount in balances.items()
    ]


def recover_or_fail(call: Call, message: str) -> list[str]:
    """Recovered signers, or the handler's generic failure message."""
    try:
        return call.recovered_signers()
    except ClearNodeError as err:
        raise RPCError(message) from err
