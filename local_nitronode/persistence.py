"""The node's JSON state file: everything in :class:`NodeStore`, plus the node key."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from custom_components.nitrolite.clearnode.v1 import ChannelState
from local_nodes import json_file

from .store import AppSession, Channel, KeyState, NodeStore, Transaction

FORMAT = "local-nitronode/1"


def to_json(store: NodeStore, node_key: str) -> dict[str, Any]:
    """Return a JSON-ready snapshot."""
    return {
        "format": FORMAT,
        "node_key": node_key,
        "states": [state.to_wire() for state in store.states.values()],
        "signed_states": [state.to_wire() for state in store.signed_states.values()],
        "channels": [asdict(channel) for channel in store.channels.values()],
        "app_sessions": [asdict(session) for session in store.app_sessions.values()],
        "allocations": {
            session_id: [[p, asset, str(amount)] for (p, asset), amount in rows.items()]
            for session_id, rows in store.allocations.items()
        },
        "transactions": [
            asdict(t) | {"amount": str(t.amount)} for t in store.transactions
        ],
        "key_states": [asdict(state) for state in store.key_states.values()],
        "faucet_claims": store.faucet_claims,
    }


def from_json(document: dict[str, Any]) -> NodeStore:
    """Rebuild the store from a snapshot written by :func:`to_json`."""
    store = NodeStore()
    for data in document["states"]:
        state = ChannelState.from_wire(data)
        store.states[state.user_wallet, state.asset] = state
    for data in document["signed_states"]:
        state = ChannelState.from_wire(data)
        store.signed_states[state.user_wallet, state.asset] = state
    for data in document["channels"]:
        store.channels[data["channel_id"]] = Channel(**data)
    for data in document["app_sessions"]:
        participants = [(wallet, weight) for wallet, weight in data["participants"]]
        session = AppSession(**data | {"participants": participants})
        store.app_sessions[session.app_session_id] = session
    store.allocations = defaultdict(dict)
    for session_id, rows in document["allocations"].items():
        store.allocations[session_id] = {
            (participant, asset): Decimal(amount) for participant, asset, amount in rows
        }
    store.transactions = [
        Transaction(**data | {"amount": Decimal(data["amount"])})
        for data in document["transactions"]
    ]
    for data in document["key_states"]:
        key_state = KeyState(
            **data
            | {
                "application_ids": tuple(data["application_ids"]),
                "app_session_ids": tuple(data["app_session_ids"]),
            }
        )
        store.key_states[key_state.user_address, key_state.session_key] = key_state
    store.faucet_claims = dict(document["faucet_claims"])
    return store


def load(path: Path) -> dict[str, Any] | None:
    """Return the stored document, or None when the file does not exist yet."""
    document = json_file.read(path)
    if document is not None and document.get("format") != FORMAT:
        msg = f"{path}: not a local Nitronode state file"
        raise ValueError(msg)
    return document
