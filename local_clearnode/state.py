"""Everything the server keeps across restarts, and its JSON file."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from pathlib import Path
import secrets
import string
from typing import Any

from local_nodes import json_file

from .app_sessions import AppSession, AppSessions
from .ledger import Ledger
from .session_keys import SessionKey, SessionKeys

FORMAT_VERSION = 1
_TAG_ALPHABET = string.ascii_uppercase + string.digits


class NodeState:
    """The server's database: ledger, session keys, app sessions, user tags."""

    def __init__(self) -> None:
        """Start empty."""
        self.ledger = Ledger()
        self.keys = SessionKeys(self.ledger)
        self.app_sessions = AppSessions(self.ledger, self.keys)
        self.user_tags: dict[str, str] = {}
        self.next_transaction_id = 1

    def tag_of(self, wallet: str) -> str:
        """GenerateOrRetrieveUserTag: a stable random tag per wallet."""
        if wallet not in self.user_tags:
            self.user_tags[wallet] = "".join(
                secrets.choice(_TAG_ALPHABET) for _ in range(6)
            )
        return self.user_tags[wallet]

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready snapshot."""
        return {
            "version": FORMAT_VERSION,
            "balances": [
                [a, w, asset, str(amount)]
                for a, w, asset, amount in self.ledger.entries()
            ],
            "spent": {
                key: {a: str(m) for a, m in assets.items()}
                for key, assets in self.ledger.spent.items()
            },
            "session_keys": [asdict(key) for key in self.keys],
            "app_sessions": [
                asdict(session) for session in self.app_sessions.sessions.values()
            ],
            "user_tags": self.user_tags,
            "next_transaction_id": self.next_transaction_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeState:
        """Rebuild from a snapshot written by to_json."""
        state = cls()
        for account, wallet, asset, amount in data["balances"]:
            state.ledger.record(account, wallet, asset, Decimal(amount))
        for key, assets in data["spent"].items():
            state.ledger.spent[key] = {
                asset: Decimal(amount) for asset, amount in assets.items()
            }
        for key in data["session_keys"]:
            key["allowances"] = [tuple(pair) for pair in key["allowances"]]
            state.keys.restore(SessionKey(**key))
        for session in data["app_sessions"]:
            state.app_sessions.sessions[session["session_id"]] = AppSession(**session)
        state.user_tags = dict(data["user_tags"])
        state.next_transaction_id = data["next_transaction_id"]
        return state


def load(path: Path) -> dict[str, Any] | None:
    """Return the stored document, or None when the file does not exist yet."""
    document = json_file.read(path)
    if document is not None and document.get("version") != FORMAT_VERSION:
        msg = f"{path}: unsupported state format {document.get('version')!r}"
        raise ValueError(msg)
    return document
