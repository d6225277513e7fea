"""The node's database in memory: channel states, channels, app sessions, ledgers.

Handlers validate everything before they write, so a refused request leaves no trace,
as the database transaction around every handler of the real server guarantees.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from custom_components.nitrolite.clearnode.v1 import ChannelState

type Holdings = dict[tuple[str, str], Decimal]
HOME = "home"
VOID, OPEN, CLOSED = "void", "open", "closed"


@dataclass(slots=True)
class Channel:
    """A home channel row; ``status`` stays ``void`` without a chain."""

    channel_id: str
    user_wallet: str
    asset: str
    blockchain_id: int
    token_address: str
    challenge_duration: int
    nonce: int
    approved_sig_validators: str
    status: str = VOID
    kind: str = HOME
    state_version: int = 0


@dataclass(slots=True)
class AppSession:
    """An app session row; participants are (lowercase wallet, weight) in order."""

    app_session_id: str
    application_id: str
    participants: list[tuple[str, int]]
    quorum: int
    nonce: int
    session_data: str
    created_at: float
    status: str = OPEN
    version: int = 1

    def weights(self) -> dict[str, int]:
        """Signature weight by participant."""
        return dict(self.participants)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A ledger transaction; ``id`` is the transition's ``tx_id``."""

    id: str
    asset: str
    tx_type: int
    from_account: str
    to_account: str
    amount: Decimal
    created_at: float
    sender_new_state_id: str | None = None
    receiver_new_state_id: str | None = None


@dataclass(frozen=True, slots=True)
class KeyState:
    """An app-session key's latest state (ids as sent, addresses lowercase)."""

    user_address: str
    session_key: str
    version: int
    application_ids: tuple[str, ...]
    app_session_ids: tuple[str, ...]
    expires_at: int
    user_sig: str
    session_key_sig: str


@dataclass(slots=True)
class NodeStore:
    """Everything the node remembers; app-session allocations are ledger sums."""

    states: dict[tuple[str, str], ChannelState] = field(default_factory=dict)
    signed_states: dict[tuple[str, str], ChannelState] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    app_sessions: dict[str, AppSession] = field(default_factory=dict)
    allocations: dict[str, Holdings] = field(default_factory=lambda: defaultdict(dict))
    transactions: list[Transaction] = field(default_factory=list)
    key_states: dict[tuple[str, str], KeyState] = field(default_factory=dict)
    faucet_claims: dict[str, float] = field(default_factory=dict)

    def last_state(
        self, wallet: str, asset: str, *, only_signed: bool = False
    ) -> ChannelState | None:
        """Return the newest stored state, or the newest one both parties signed."""
        states = self.signed_states if only_signed else self.states
        return states.get((wallet, asset))

    def store_state(self, state: ChannelState) -> None:
        """Append a state to its wallet's chain."""
        key = (state.user_wallet, state.asset)
        self.states[key] = state
        if state.user_sig is not None and state.node_sig is not None:
            self.signed_states[key] = state

    def home_channel(self, wallet: str, asset: str) -> Channel | None:
        """Return the wallet's home channel of this asset that is not closed."""
        return next(
            (
                channel
                for channel in self.channels.values()
                if (channel.user_wallet, channel.asset) == (wallet, asset)
                and channel.status != CLOSED
            ),
            None,
        )

    def balances(self, wallet: str) -> dict[str, Decimal]:
        """Off-chain balance by asset: the latest state's ``user_balance``."""
        return {
            asset: state.home_ledger.user_balance
            for (owner, asset), state in sorted(self.states.items())
            if owner == wallet
        }

    def session_balances(self, app_session_id: str) -> dict[str, Decimal]:
        """Return what an app session holds, by asset (zero rows included)."""
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for (_participant, asset), amount in self.allocations[app_session_id].items():
            totals[asset] += amount
        return dict(totals)

    def record_entry(
        self, app_session_id: str, participant: str, asset: str, amount: Decimal
    ) -> None:
        """Add a ledger entry to a participant's share of an app session."""
        holdings = self.allocations[app_session_id]
        key = (participant, asset)
        holdings[key] = holdings.get(key, Decimal(0)) + amount

    def active_key_owner(
        self, session_key: str, app_session_id: str, application_id: str, now: float
    ) -> str | None:
        """Return the wallet whose unexpired key state scopes this key to the session."""
        for (_user, key), state in self.key_states.items():
            if key != session_key or state.expires_at <= now:
                continue
            if (
                app_session_id in state.app_session_ids
                or application_id in state.application_ids
            ):
                return state.user_address
        return None
