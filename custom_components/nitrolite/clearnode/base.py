"""What every dialect's client offers: the WalletClient protocol and its capability flags.

An application (the Home Assistant integration) uses only this protocol. Where the
dialects differ in what they can do, it asks :attr:`WalletClient.features`, never which
class it holds.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from .models import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    Asset,
    Balance,
    ClearNodeEvent,
    ConnectionState,
    Transaction,
)

type Subscriber = Callable[[ClearNodeEvent], None]


class Dialect(StrEnum):
    """The wire protocol a node speaks."""

    V05 = "v0.5"  # ClearNode v0.5, NitroRPC/0.4 envelopes, EIP-712 login
    V1 = "v1"  # Nitronode v1, array frames, no login, polled


class Feature(StrEnum):
    """What a client (and the node behind it) can do."""

    PUSHES = "pushes"
    """The node pushes balance and session changes as they happen."""
    POLLING = "polling"
    """The client polls for changes made by others and emits them as events."""
    LOGIN = "login"
    """The node runs a login that it can refuse (the wallet key must be re-entered)."""
    SERVER_SPENDING_CAPS = "server_spending_caps"
    """The node enforces per-asset spending caps on the key that signs."""
    SESSION_KEYS = "session_keys"
    """A revocable session key signs for the wallet; see release_credentials()."""
    TIMESTAMP_WINDOW = "timestamp_window"
    """The node refuses requests whose timestamp is off (the clock matters)."""
    SESSION_PROTOCOLS = "session_protocols"
    """App definitions carry a protocol version and a challenge period."""
    PUBLIC_READS = "public_reads"
    """Any wallet's balances can be read, not only our own."""
    FAUCET = "faucet"
    """The node hands out test tokens (request_test_tokens)."""


class WalletClient(Protocol):
    """One wallet's connection to one node, whatever dialect it speaks."""

    @property
    def dialect(self) -> Dialect:
        """The wire protocol (for diagnostics; branch on features instead)."""

    @property
    def features(self) -> frozenset[Feature]:
        """What this client and its node can do."""

    @property
    def wallet_address(self) -> str:
        """Our wallet's EIP-55 address."""

    @property
    def node_address(self) -> str | None:
        """The node's signing address (EIP-55), known after the first connect."""

    @property
    def node_version(self) -> str | None:
        """The node's software version, where the node reports one."""

    @property
    def state(self) -> ConnectionState:
        """Where the connection stands."""

    @property
    def stats(self) -> Mapping[str, Any]:
        """Counters for diagnostics (never a secret)."""

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver events to ``callback`` on the event loop; return unsubscribe."""

    async def connect(self) -> None:
        """Connect (and log in where there is a login); raise on failure."""

    async def run(self) -> None:
        """Stay connected until close(): reconnect with backoff, then resync."""

    async def close(self) -> None:
        """Disconnect for good; pending requests fail and run() returns."""

    async def resync(self) -> None:
        """Re-read balances and open sessions and emit them as one Resynced event."""

    def app_session_id(self, definition: AppDefinition) -> str:
        """Return the id the node will give a session created from ``definition``."""

    async def get_assets(self) -> tuple[Asset, ...]:
        """Return the assets the node supports."""

    async def get_balances(self, wallet: str | None = None) -> tuple[Balance, ...]:
        """Return a wallet's balances (ours by default; others need PUBLIC_READS)."""

    async def get_session_share(self, app_session_id: str) -> tuple[Balance, ...]:
        """Return our share, per asset, of an app session."""

    def iter_app_sessions(
        self, *, participant: str | None = None, status: str | None = None
    ) -> AsyncGenerator[AppSession]:
        """Yield every app session matching the filters, newest first."""

    async def create_app_session(
        self,
        definition: AppDefinition,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Create an app session funded by our wallet only."""

    async def submit_app_state(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        *,
        intent: str = "operate",
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Submit the next state of an open session (operate, deposit or withdraw)."""

    async def close_app_session(
        self,
        session: AppSession,
        allocations: Sequence[Allocation],
        session_data: str | None = None,
    ) -> AppSessionResult:
        """Close a session with its final allocations."""

    async def transfer(
        self, destination: str, allocations: Sequence[tuple[str, Decimal]]
    ) -> tuple[Transaction, ...]:
        """Send assets from our balance to another wallet."""

    async def release_credentials(self) -> None:
        """Leave nothing on the node that could sign for us later (entry removal)."""

    async def request_test_tokens(self) -> Balance:
        """Ask the node's faucet for test tokens (needs FAUCET); return what it sent."""
