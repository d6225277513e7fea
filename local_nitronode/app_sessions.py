"""``app_sessions.v1.*``: create, fund, operate, withdraw, close and list app sessions.

The checks of ``nitronode/api/app_session_v1``, in their order and wording.

Quorum signatures cover the library's hashes; the deposit's channel commit is checked
with the library's state advancer; releases are node-issued channel states.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import json
import re
from typing import Any

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    ClearNodeValidationError,
)
from custom_components.nitrolite.clearnode.v1 import (
    PROTOCOL,
    AppIntent,
    AppStateUpdate,
    ChannelState,
    TransactionType,
    TransitionType,
    app_session_id,
    app_state_update_hash,
    create_request_hash,
    parse_wire_decimal,
)

from . import allocations as rules, params
from .channels import (
    active_home_channel,
    check_signature,
    current_state,
    incoming_state,
    validated_pack,
)
from .constants import (
    APPLICATION_ID,
    APPLICATION_ID_PATTERN,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_PARTICIPANTS,
    MAX_SESSION_DATA_BYTES,
)
from .context import Call, Node
from .errors import RPCError
from .gotypes import hex_decode, normalize_address, optional_string, parse_uint, string
from .signatures import recover_quorum_signer
from .states import cosign, go_amount, record, release, transition_name
from .store import CLOSED, OPEN, AppSession, Holdings, Transaction

_SESSION_ID = re.compile(r"0x[0-9a-fA-F]{64}")
_INTENT_NAMES = {intent.value: intent.name.lower() for intent in AppIntent}


@dataclass(frozen=True, slots=True)
class Update:
    """A parsed AppStateUpdateV1 (participants lowercased, amounts as written)."""

    app_session_id: str
    intent: int
    version: int
    allocations: list[Allocation]
    session_data: str

    def hash(self) -> bytes:
        """Return the hash every quorum signature covers (§6.3)."""
        update = AppStateUpdate(
            app_session_id=self.app_session_id,
            intent=AppIntent(self.intent),
            version=self.version,
            allocations=tuple(self.allocations),
            session_data=self.session_data,
        )
        try:
            return app_state_update_hash(update)
        except ClearNodeValidationError as err:
            raise RPCError(f"failed to pack app state update: {err}") from None


def intent_name(intent: int) -> str:
    """app.AppStateUpdateIntent.String() of v1.4 (rebalance is gone)."""
    return _INTENT_NAMES.get(intent, "unknown")


def _check_session_data(text: str) -> None:
    if len(text.encode()) > MAX_SESSION_DATA_BYTES:
        raise RPCError(
            f"session_data exceeds maximum length of {MAX_SESSION_DATA_BYTES}"
        )


def _parse_update(text: params.UpdateText) -> Update:
    try:
        allocations = [
            Allocation(
                item.participant.lower(), item.asset, parse_wire_decimal(item.amount)
            )
            for item in text.allocations
        ]
        version = parse_uint(text.version)
    except ValueError:
        raise RPCError("failed to parse app state update") from None
    return Update(
        text.app_session_id, text.intent, version, allocations, text.session_data
    )


def key_owner(node: Node, session_id: str, application_id: str) -> Callable[[str], str]:
    """GetAppSessionKeyOwner for one session: an unexpired key scoped to it."""

    def owner(session_key: str) -> str:
        found = node.store.active_key_owner(
            session_key, session_id, application_id, node.clock()
        )
        if found is None:
            raise ValueError(
                f"no active session key found for key {session_key} "
                f"and app session {session_id}"
            )
        return found

    return owner


def verify_quorum(
    node: Node,
    session: AppSession,
    app_hash: bytes,
    signatures: list[str],
) -> None:
    """verifyQuorum: every signer a participant, distinct signers' weights reach quorum."""
    weights = session.weights()
    owner = key_owner(node, session.app_session_id, session.application_id)
    signed: set[str] = set()
    achieved = 0
    for index, text in enumerate(signatures):
        try:
            signature = hex_decode(text)
        except ValueError as err:
            raise RPCError(f"failed to decode signature: {err}") from None
        if not signature:
            raise RPCError(f"empty signature after decode at index {index}")
        try:
            signer = recover_quorum_signer(app_hash, signature, owner).lower()
        except ValueError as err:
            raise RPCError(f"failed to recover user wallet: {err}") from None
        if signer not in weights:
            raise RPCError(f"signature from non-participant: {signer}")
        if signer not in signed:
            signed.add(signer)
            achieved = (achieved + weights[signer]) % 256  # the node sums into a uint8
    if achieved < session.quorum:
        raise RPCError(
            f"quorum not met: achieved {achieved}, required {session.quorum}"
        )


def create_app_session(call: Call) -> dict[str, Any]:
    """Create a session at version 1 with zero allocations, signed by a quorum."""
    definition, session_data, signatures, _owner_sig = call.decode(
        lambda d: (
            params.definition(d.get("definition")),
            string(d.get("session_data")),
            params.quorum_sigs(d),
            string(d.get("owner_sig")),  # accepted and ignored since v1.4
        )
    )
    if len(definition.participants) > MAX_PARTICIPANTS:
        raise RPCError(
            f"participants array exceeds maximum length of {MAX_PARTICIPANTS}"
        )
    _check_signature_count(signatures, len(definition.participants))
    _check_session_data(session_data)
    app_definition = _checked_definition(definition)
    if not signatures:
        raise RPCError("no signatures provided")
    session = AppSession(
        app_session_id=app_session_id(app_definition),
        application_id=app_definition.application,
        participants=list(
            zip(app_definition.participants, app_definition.weights, strict=True)
        ),
        quorum=app_definition.quorum,
        nonce=app_definition.nonce,
        session_data=session_data,
        created_at=call.node.clock(),
    )
    create_hash = create_request_hash(app_definition, session_data)
    verify_quorum(call.node, session, create_hash, signatures)
    if session.app_session_id in call.node.store.app_sessions:
        raise RPCError(
            "failed to create app session: ERROR: duplicate key value violates "
            'unique constraint "app_sessions_v1_pkey" (SQLSTATE 23505)'
        )
    call.node.store.app_sessions[session.app_session_id] = session
    call.changed = True
    return {"app_session_id": session.app_session_id, "status": OPEN, "version": "1"}


def _check_signature_count(signatures: list[str], participants: int) -> None:
    if len(signatures) > participants:
        raise RPCError(
            f"quorum_sigs count ({len(signatures)}) exceeds participants count "
            f"({participants})"
        )


def _checked_definition(definition: params.Definition) -> AppDefinition:
    """Check a definition as the node does; wallets come out lowercase."""
    if not definition.application_id:
        raise RPCError("application id is required")
    if not APPLICATION_ID.fullmatch(definition.application_id):
        raise RPCError(f"invalid application id: must match {APPLICATION_ID_PATTERN}")
    try:
        nonce = parse_uint(definition.nonce)
    except ValueError:
        raise RPCError("invalid app definition") from None
    if nonce == 0:
        raise RPCError("nonce must be non-zero")
    if definition.quorum == 0:
        raise RPCError("quorum must be greater than zero")
    wallets: list[str] = []
    for participant in definition.participants:
        address = participant.wallet_address
        try:
            normalized = normalize_address(address)
        except ValueError as err:
            quoted = json.dumps(address, ensure_ascii=False)
            raise RPCError(
                f"invalid participant wallet_address {quoted}: {err}"
            ) from None
        if normalized in wallets:
            raise RPCError(f"duplicate participant address: {address}")
        wallets.append(normalized)
    weights = tuple(p.signature_weight for p in definition.participants)
    if definition.quorum > sum(weights):
        raise RPCError(
            f"target quorum ({definition.quorum}) cannot be greater than "
            f"total sum of weights ({sum(weights)})"
        )
    return AppDefinition(
        application=definition.application_id,
        protocol=PROTOCOL,
        participants=tuple(wallets),
        weights=weights,
        quorum=definition.quorum,
        challenge=0,
        nonce=nonce,
    )


def _open_session(node: Node, update: Update, signatures: list[str]) -> AppSession:
    session = node.store.app_sessions.get(update.app_session_id)
    if session is None:
        raise RPCError("app session not found")
    if session.status == CLOSED:
        raise RPCError("app session is already closed")
    _check_signature_count(signatures, len(session.participants))
    _check_version(session, update)
    return session


def _check_version(session: AppSession, update: Update) -> None:
    if update.version != session.version + 1:
        raise RPCError(
            f"invalid app session version: expected {session.version + 1}, "
            f"got {update.version}"
        )


def submit_app_state(call: Call) -> dict[str, Any]:
    """Operate (0), withdraw (2) or close (3) an open session at version + 1."""
    update_text, signatures = call.decode(
        lambda d: (params.update(d.get("app_state_update")), params.quorum_sigs(d))
    )
    _check_session_data(update_text.session_data)
    update = _parse_update(update_text)
    if update.intent == AppIntent.DEPOSIT:
        raise RPCError("deposit intent must use submit_deposit_state endpoint")
    if update.intent not in (AppIntent.OPERATE, AppIntent.WITHDRAW, AppIntent.CLOSE):
        raise RPCError(f"invalid intent: {intent_name(update.intent)}")
    node = call.node
    session = _open_session(node, update, signatures)
    if not signatures:
        raise RPCError("no signatures provided")
    verify_quorum(node, session, update.hash(), signatures)
    outcome = _intent_outcome(node, session, update)
    _apply(node, session, outcome)
    for participant, asset, amount in outcome.releases:
        release(node, participant, asset, session.app_session_id, amount)
    if update.intent == AppIntent.CLOSE:
        session.status = CLOSED
    _advance(session, update.session_data)
    call.changed = True
    return {}


def _intent_outcome(node: Node, session: AppSession, update: Update) -> rules.Outcome:
    current = node.store.allocations[session.app_session_id]
    weights = session.weights()
    decimals = node.config.asset_decimals
    if update.intent == AppIntent.OPERATE:
        balances = node.store.session_balances(session.app_session_id)
        return rules.operate(update.allocations, current, weights, balances, decimals)
    if update.intent == AppIntent.WITHDRAW:
        return rules.withdraw(update.allocations, current, weights, decimals)
    return rules.close(update.allocations, current, weights)


def _apply(node: Node, session: AppSession, outcome: rules.Outcome) -> None:
    for participant, asset, change in outcome.entries:
        node.store.record_entry(session.app_session_id, participant, asset, change)


def _advance(session: AppSession, session_data: str) -> None:
    session.version += 1
    if session_data:
        session.session_data = session_data


def submit_deposit_state(call: Call) -> dict[str, Any]:
    """Fund a session with a commit of the depositor's channel, co-signed by the node."""
    update_text, signatures, state_text = call.decode(
        lambda d: (
            params.update(d.get("app_state_update")),
            params.quorum_sigs(d),
            params.state(d.get("user_state")),
        )
    )
    _check_session_data(update_text.session_data)
    update = _parse_update(update_text)
    commit = incoming_state(state_text, "failed to parse user state")
    node = call.node
    session = node.store.app_sessions.get(update.app_session_id)
    if session is None:
        raise RPCError("app session not found")
    _check_signature_count(signatures, len(session.participants))
    if session.status == CLOSED:
        raise RPCError("app session is already closed")
    _check_version(session, update)
    if update.intent != AppIntent.DEPOSIT:
        raise RPCError(
            f"invalid intent: expected 'deposit', got '{intent_name(update.intent)}'"
        )
    if not signatures:
        raise RPCError("no signatures provided")
    packed = _checked_commit(node, session, commit)
    verify_quorum(node, session, update.hash(), signatures)
    outcome = rules.deposit(
        update.allocations,
        node.store.allocations[session.app_session_id],
        session.weights(),
        node.config.asset_decimals,
        commit.asset,
    )
    amount = commit.transition.amount
    if outcome.deposited != amount:
        raise RPCError(
            f"total deposit amount {go_amount(outcome.deposited)} "
            f"does not match transition amount {go_amount(amount)}"
        )
    _apply(node, session, outcome)
    _advance(session, update.session_data)
    signed = cosign(node, commit, packed)
    node.store.store_state(signed)
    record(
        node,
        Transaction(
            signed.transition.tx_id,
            signed.asset,
            TransactionType.COMMIT,
            signed.user_wallet,
            signed.transition.account_id,
            amount,
            node.clock(),
            sender_new_state_id=signed.id,
        ),
    )
    call.changed = True
    return {"signature": signed.node_sig}


def _checked_commit(node: Node, session: AppSession, commit: ChannelState) -> bytes:
    """Check the depositor's commit: into this session, on an active channel, signed."""
    kind = commit.transition.type
    if kind != TransitionType.COMMIT:
        raise RPCError(
            f"user state transition must have 'commit' type, got '{transition_name(kind)}'"
        )
    channel = active_home_channel(node, commit.user_wallet, commit.asset)
    if channel is None:
        raise RPCError("user has no active channel")
    if commit.transition.account_id != session.app_session_id:
        raise RPCError(
            f"user state transition account ID '{commit.transition.account_id}' "
            f"does not match app session ID '{session.app_session_id}'"
        )
    if commit.user_sig is None:
        raise RPCError("missing user signature on user state")
    current = current_state(node, commit.user_wallet, commit.asset)
    packed = validated_pack(node, current, commit, "invalid state transitions")
    check_signature(
        commit,
        packed,
        channel.approved_sig_validators,
        invalid_prefix="failed to validate signature",
    )
    return packed


def session_json(session: AppSession, holdings: Holdings) -> dict[str, Any]:
    """AppSessionInfoV1: allocations sorted by asset, then participant."""
    info: dict[str, Any] = {
        "app_session_id": session.app_session_id,
        "status": session.status,
        "app_definition": definition_json(session),
    }
    if session.session_data:
        info["session_data"] = session.session_data
    info["version"] = str(session.version)
    info["allocations"] = [
        {"participant": participant, "asset": asset, "amount": go_amount(amount)}
        for (participant, asset), amount in sorted(
            holdings.items(), key=lambda item: (item[0][1], item[0][0])
        )
    ]
    return info


def definition_json(session: AppSession) -> dict[str, Any]:
    """AppDefinitionV1."""
    return {
        "application_id": session.application_id,
        "participants": [
            {"wallet_address": wallet_address, "signature_weight": weight}
            for wallet_address, weight in session.participants
        ],
        "quorum": session.quorum,
        "nonce": str(session.nonce),
    }


def get_app_sessions(call: Call) -> dict[str, Any]:
    """By id or participant, optionally by status; newest first, paginated."""
    session_id, participant_text, status, page = call.decode(
        lambda d: (
            optional_string(d.get("app_session_id")),
            optional_string(d.get("participant")),
            optional_string(d.get("status")),
            params.pagination(d.get("pagination")),
        )
    )
    if session_id is None and participant_text is None:
        raise RPCError("either app_session_id or participant must be provided")
    if session_id is not None and not _SESSION_ID.fullmatch(session_id):
        raise RPCError("invalid app_session_id")
    participant = (
        None
        if participant_text is None
        else params.wallet(participant_text, "invalid participant")
    )
    if status not in (None, OPEN, CLOSED):
        raise RPCError(f"invalid status: {status}")
    store = call.node.store
    found = [
        session
        for session in store.app_sessions.values()
        if session_id in (None, session.app_session_id)
        and (participant is None or participant in session.weights())
        and status in (None, session.status)
    ]
    found.reverse()  # newest first: sessions are kept in creation order
    found.sort(key=lambda session: session.created_at, reverse=True)
    shown, metadata = params.paginate(found, page, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return {
        "app_sessions": [
            session_json(session, store.allocations[session.app_session_id])
            for session in shown
        ],
        "metadata": metadata,
    }


def get_app_definition(call: Call) -> dict[str, Any]:
    """``{app_session_id}`` → ``{definition?}``."""
    session_id = call.decode(lambda d: string(d.get("app_session_id")))
    session = call.node.store.app_sessions.get(session_id)
    return {} if session is None else {"definition": definition_json(session)}
