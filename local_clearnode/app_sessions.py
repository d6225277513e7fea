"""App sessions: create, submit_app_state and close with the v0.5 server's rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
import time
from typing import Any

from custom_components.nitrolite.clearnode.v05 import app_session_id

from .constants import SUPPORTED_PROTOCOLS
from .errors import RPCError
from .goformat import go_decimal, rfc3339
from .ledger import Ledger
from .params import Allocation, Definition
from .session_keys import SessionKeys, check_application, check_spending

PROTOCOL_V04 = "NitroRPC/0.4"
NOT_FOUND = "an open app session not found: record not found"


@dataclass(slots=True)
class AppSession:
    """The server's record of one app session."""

    session_id: str
    application: str
    protocol: str
    participants: list[str]
    weights: list[int]
    quorum: int
    challenge: int
    nonce: int
    status: str = "open"
    version: int = 1
    session_data: str = ""
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    def to_response(self) -> dict[str, Any]:
        """AppSessionResponse as Go writes it (session_data omitted when empty)."""
        response: dict[str, Any] = {
            "app_session_id": self.session_id,
            "application": self.application,
            "status": self.status,
            "participants": self.participants,
        }
        if self.session_data:
            response["session_data"] = self.session_data
        response |= {
            "protocol": self.protocol,
            "challenge": self.challenge,
            "weights": self.weights,
            "quorum": self.quorum,
            "version": self.version,
            "nonce": self.nonce,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        }
        return response


def operation_result(session_id: str, version: int, status: str) -> dict[str, Any]:
    """Build the create/submit/close answer: three meaningful fields, Go zero values elsewhere."""
    return {
        "app_session_id": session_id,
        "application": "",
        "status": status,
        "participants": None,
        "protocol": "",
        "challenge": 0,
        "weights": None,
        "quorum": 0,
        "version": version,
        "nonce": 0,
        "created_at": "",
        "updated_at": "",
    }


@dataclass(frozen=True, slots=True)
class Signers:
    """Recovered request signers, and the wallets they stand for."""

    addresses: frozenset[str]
    wallets: frozenset[str]


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """submit_app_state parameters."""

    session_id: str
    intent: str
    version: int
    allocations: list[Allocation]
    session_data: str | None


class AppSessions:
    """Every app session, and the operations on them."""

    def __init__(self, ledger: Ledger, keys: SessionKeys) -> None:
        """Operate on the shared ledger and session-key registry."""
        self._ledger = ledger
        self._keys = keys
        self.sessions: dict[str, AppSession] = {}

    def signers(self, addresses: Iterable[str]) -> Signers:
        """Map each recovered signer to its wallet (a session key's owner, or itself)."""
        found = frozenset(addresses)
        return Signers(found, frozenset(self._keys.wallet_of(a) or a for a in found))

    def create(
        self,
        definition: Definition,
        allocations: list[Allocation],
        session_data: str | None,
        signers: Signers,
    ) -> tuple[AppSession, set[str]]:
        """Open a session, moving each positive allocation out of its owner's balance."""
        _check_definition(definition)
        session_id = app_session_id(definition.as_go_mapping())
        funded: set[str] = set()
        with self._ledger.transaction():
            for allocation in allocations:
                if allocation.amount.is_zero():
                    continue
                self._fund(session_id, definition.application, allocation, signers)
                funded.add(allocation.participant)
            if session_id in self.sessions:
                raise RPCError("failed to create application session")
            session = AppSession(
                session_id=session_id,
                application=definition.application,
                protocol=definition.protocol,
                participants=definition.participants or [],
                weights=definition.weights or [],
                quorum=definition.quorum,
                challenge=definition.challenge,
                nonce=definition.nonce,
                session_data=session_data or "",
            )
            self.sessions[session_id] = session
        return session, funded

    def submit(
        self, update: StateUpdate, signers: Signers
    ) -> tuple[AppSession, set[str]]:
        """Apply an operate, deposit or withdraw state; returns wallets whose balance moved."""
        with self._ledger.transaction():
            session = self._open(update.session_id)
            _check_versioning(session, update)
            weights = self._check_quorum(session, signers, update.intent)
            self._check_signer_applications(signers, session.application)
            moved = self._updater(update.intent)(
                session, update.allocations, signers, weights
            )
            session.version += 1
            if update.session_data is not None:
                session.session_data = update.session_data
            session.updated_at = time.time()
        return session, moved

    def close(
        self,
        session_id: str,
        allocations: list[Allocation],
        session_data: str | None,
        signers: Signers,
    ) -> tuple[AppSession, set[str]]:
        """Pay every share out to the participants and close the session."""
        if not session_id or not allocations:
            raise RPCError("missing required parameters: app_id or allocations")
        with self._ledger.transaction():
            session = self._open(session_id)
            weights = self._check_quorum(session, signers, "")
            self._check_signer_applications(signers, session.application)
            holdings = self._ledger.holdings(session_id)
            paid: dict[str, Decimal] = {}
            for allocation in allocations:
                _check_allocation(allocation, weights)
                self._pay_out(session_id, allocation)
                if not allocation.amount.is_zero():
                    paid[allocation.asset] = (
                        paid.get(allocation.asset, Decimal(0)) + allocation.amount
                    )
            verify_allocations(holdings, paid)
            session.status = "closed"
            session.version += 1
            if session_data is not None:
                session.session_data = session_data
            session.updated_at = time.time()
        return session, {a.participant for a in allocations if not a.amount.is_zero()}

    def participant_allocations(
        self, session: AppSession
    ) -> dict[str, dict[str, Decimal]]:
        """Non-zero shares per participant (keyed exactly as the session lists them)."""
        return {
            participant: {
                asset: amount
                for asset, amount in self._ledger.balances(
                    session.session_id, participant
                ).items()
                if not amount.is_zero()
            }
            for participant in session.participants
        }

    def _open(self, session_id: str) -> AppSession:
        session = self.sessions.get(session_id)
        if session is None or session.status != "open":
            raise RPCError(NOT_FOUND)
        return session

    def _fund(
        self,
        session_id: str,
        application: str,
        allocation: Allocation,
        signers: Signers,
    ) -> None:
        if allocation.amount < 0:
            raise RPCError(_negative(allocation))
        participant, asset, amount = (
            allocation.participant,
            allocation.asset,
            allocation.amount,
        )
        signed, key = self._signature_of(participant, signers)
        if not signed:
            raise RPCError(f"missing signature for participant {participant}")
        if key is not None:
            self._check_key_spending(key, application, asset, amount)
        if amount > self._ledger.balance(participant, participant, asset):
            raise RPCError(f"insufficient funds: {participant} for asset {asset}")
        self._ledger.record(participant, participant, asset, -amount, key)
        self._ledger.record(session_id, participant, asset, amount)

    def _pay_out(self, session_id: str, allocation: Allocation) -> None:
        participant, asset = allocation.participant, allocation.asset
        share = self._ledger.balance(session_id, participant, asset)
        self._ledger.record(session_id, participant, asset, -share)
        self._ledger.record(participant, participant, asset, allocation.amount)

    def _signature_of(
        self, participant: str, signers: Signers
    ) -> tuple[bool, str | None]:
        """Signed directly, or through which session key (getSessionKeyForAppParticipant)."""
        if participant in signers.addresses:
            return True, None
        for signer in sorted(signers.addresses):
            if self._keys.wallet_of(signer) == participant:
                return True, signer
        return False, None

    def _check_key_spending(
        self, address: str, application: str, asset: str, amount: Decimal
    ) -> None:
        """ValidateDepositWithSessionKey."""
        try:
            key = self._keys.active(address)
        except RPCError as err:
            raise RPCError(f"session key validation failed: {err.message}") from err
        try:
            check_application(key, application)
        except RPCError as err:
            raise RPCError(
                f"session key application validation failed: {err.message}"
            ) from err
        try:
            check_spending(self._keys, key, asset, amount)
        except RPCError as err:
            raise RPCError(
                f"session key spending validation failed: {err.message}"
            ) from err

    def _check_quorum(
        self, session: AppSession, signers: Signers, intent: str
    ) -> dict[str, int]:
        weights = dict(zip(session.participants, session.weights, strict=True))
        total = 0
        for wallet in sorted(signers.wallets):
            if wallet not in weights:
                raise RPCError(f"signature from unknown participant wallet {wallet}")
            total += weights[wallet]
        if total < session.quorum:
            reached = f"quorum not reached: {total} / {session.quorum}"
            prefix = {"deposit": "deposit", "withdraw": "withdrawal"}.get(
                intent, "submit_state"
            )
            raise RPCError(f"incorrect {prefix} request: {reached}")
        return weights

    def _check_signer_applications(self, signers: Signers, application: str) -> None:
        for signer in sorted(signers.addresses):
            wallet = self._keys.wallet_of(signer)
            if not wallet or wallet == signer:
                continue
            try:
                check_application(self._keys.active(signer), application)
            except RPCError as err:
                msg = f"session key application validation failed for signer {signer}: {err.message}"
                raise RPCError(msg) from err

    def _updater(
        self, intent: str
    ) -> Callable[[AppSession, list[Allocation], Signers, Mapping[str, int]], set[str]]:
        updaters = {
            "deposit": self._deposit,
            "withdraw": self._withdraw,
            "operate": self._operate,
            "": self._operate,
        }
        if intent not in updaters:
            raise RPCError(f"incorrect app state: unsupported intent: {intent}")
        return updaters[intent]

    def _operate(
        self,
        session: AppSession,
        allocations: list[Allocation],
        _signers: Signers,
        weights: Mapping[str, int],
    ) -> set[str]:
        holdings = self._ledger.holdings(session.session_id)
        total: dict[str, Decimal] = {}
        for allocation in allocations:
            _check_allocation(allocation, weights)
            participant, asset = allocation.participant, allocation.asset
            diff = allocation.amount - self._ledger.balance(
                session.session_id, participant, asset
            )
            if not diff.is_zero():
                self._ledger.record(session.session_id, participant, asset, diff)
            total[asset] = total.get(asset, Decimal(0)) + allocation.amount
        try:
            verify_allocations(holdings, total)
        except RPCError as err:
            msg = f"incorrect operate request: non-zero allocations sum delta: {err.message}"
            raise RPCError(msg) from err
        return set()

    def _deposit(
        self,
        session: AppSession,
        allocations: list[Allocation],
        signers: Signers,
        weights: Mapping[str, int],
    ) -> set[str]:
        current = self.participant_allocations(session)
        increases: list[tuple[Allocation, Decimal]] = []
        for allocation in allocations:
            held = current.get(allocation.participant, {}).get(
                allocation.asset, Decimal(0)
            )
            if allocation.amount < held:
                msg = f"incorrect deposit request: decreased allocation for participant {allocation.participant}"
                raise RPCError(msg)
            if allocation.amount > held:
                increases.append((allocation, allocation.amount - held))
        for allocation, amount in increases:
            self._deposit_one(session, allocation, amount, signers, weights)
        if not increases:
            raise RPCError(
                "incorrect deposit request: non-positive allocations sum delta"
            )
        return {allocation.participant for allocation, _ in increases}

    def _deposit_one(
        self,
        session: AppSession,
        allocation: Allocation,
        amount: Decimal,
        signers: Signers,
        weights: Mapping[str, int],
    ) -> None:
        participant, asset = allocation.participant, allocation.asset
        _check_participant(participant, weights)
        signed, key = self._signature_of(participant, signers)
        if not signed:
            raise RPCError("incorrect deposit request: depositor signature is required")
        if amount > self._ledger.balance(participant, participant, asset):
            raise RPCError("incorrect deposit request: insufficient unified balance")
        if key is not None:
            self._check_key_spending(key, session.application, asset, amount)
        self._ledger.record(participant, participant, asset, -amount, key)
        self._ledger.record(session.session_id, participant, asset, amount)

    def _withdraw(
        self,
        session: AppSession,
        allocations: list[Allocation],
        _signers: Signers,
        weights: Mapping[str, int],
    ) -> set[str]:
        current = self.participant_allocations(session)
        for allocation in allocations:
            held = current.get(allocation.participant, {}).get(
                allocation.asset, Decimal(0)
            )
            if allocation.amount > held:
                msg = f"incorrect withdrawal request: increased allocation for participant {allocation.participant}"
                raise RPCError(msg)
        moved: set[str] = set()
        for allocation in allocations:
            if allocation.amount < 0:
                raise RPCError(_negative(allocation))
            participant, asset = allocation.participant, allocation.asset
            held = current.get(participant, {}).get(asset, Decimal(0))
            if allocation.amount < held:
                _check_participant(participant, weights)
                self._ledger.record(
                    session.session_id, participant, asset, allocation.amount - held
                )
                self._ledger.record(
                    participant, participant, asset, held - allocation.amount
                )
                moved.add(participant)
        if not moved:
            raise RPCError(
                "incorrect withdrawal request: non-negative allocations sum delta"
            )
        return moved


def verify_allocations(
    holdings: Mapping[str, Decimal], allocated: Mapping[str, Decimal]
) -> None:
    """Per asset, the allocations must add up to exactly what the session holds."""
    for asset, held in holdings.items():
        if held.is_zero():
            if not allocated.get(asset, Decimal(0)).is_zero():
                msg = f"asset {asset} is not deposited into the app session. Please deposit the asset first"
                raise RPCError(msg)
            continue
        if asset not in allocated or allocated[asset] != held:
            raise RPCError(f"asset {asset} not fully redistributed")
    for asset, amount in allocated.items():
        if asset not in holdings and not amount.is_zero():
            raise RPCError(f"allocation references unknown asset {asset}")


def _check_definition(definition: Definition) -> None:
    participants = definition.participants or []
    weights = definition.weights or []
    if definition.protocol not in SUPPORTED_PROTOCOLS:
        raise RPCError(f"unsupported protocol: {definition.protocol}")
    if len(participants) < 2:  # noqa: PLR2004 - an app session needs two parties
        raise RPCError("invalid number of participants")
    if len(weights) != len(participants):
        raise RPCError("number of weights must be equal to participants")
    if definition.nonce == 0:
        raise RPCError("nonce is zero or not provided")
    for participant, weight in zip(participants, weights, strict=True):
        if weight < 0:
            raise RPCError(f"participant {participant} weight cannot be negative")
    if definition.quorum > sum(weights):
        msg = (
            f"target quorum ({definition.quorum}) cannot be greater than "
            f"total sum of weights ({sum(weights)})"
        )
        raise RPCError(msg)


def _check_versioning(session: AppSession, update: StateUpdate) -> None:
    if session.protocol == PROTOCOL_V04:
        if update.version != session.version + 1:
            msg = f"incorrect app state: incorrect version: expected {session.version + 1}, got {update.version}"
            raise RPCError(msg)
    elif update.intent or update.version:
        raise RPCError(
            "incorrect request: specified parameters are not supported in this protocol"
        )


def _check_allocation(allocation: Allocation, weights: Mapping[str, int]) -> None:
    if allocation.amount < 0:
        raise RPCError(_negative(allocation))
    _check_participant(allocation.participant, weights)


def _check_participant(participant: str, weights: Mapping[str, int]) -> None:
    if participant not in weights:
        raise RPCError(f"allocation to non-participant {participant}")


def _negative(allocation: Allocation) -> str:
    return f"negative allocation: {go_decimal(allocation.amount)} for asset {allocation.asset}"
