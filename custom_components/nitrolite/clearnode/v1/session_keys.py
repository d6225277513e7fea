"""Session keys' states (§6.5, §7.1–7.2): the scope and expiry a wallet signs for a key.

Home Assistant signs every request with the wallet key and registers no session key; the
states are parsed, written and hashed here byte for byte as the SDK does (the local
Nitronode registers them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import wire

MAX_KEY_SCOPE_ITEMS = 64


@dataclass(frozen=True, slots=True)
class AppSessionKeyState:
    """An app-session key's scope and expiry, signed by wallet and key (§6.5, §7.1)."""

    user_address: str
    session_key: str
    version: int
    application_ids: tuple[str, ...]
    app_session_ids: tuple[str, ...]
    expires_at: int
    user_sig: str = ""
    session_key_sig: str = ""

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AppSessionKeyState:
        """Parse a key state (signatures may be empty on a revocation)."""
        return cls(
            **_key_state_fields(data),
            application_ids=_texts(data, "application_ids"),
            app_session_ids=_texts(data, "app_session_ids"),
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the state as the node reads it."""
        return _key_state_to_wire(
            self,
            application_ids=list(self.application_ids),
            app_session_ids=list(self.app_session_ids),
        )


@dataclass(frozen=True, slots=True)
class ChannelSessionKeyState:
    """A channel session key's assets and expiry (§7.2); it signs states with 0x01."""

    user_address: str
    session_key: str
    version: int
    assets: tuple[str, ...]
    expires_at: int
    user_sig: str = ""
    session_key_sig: str = ""

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ChannelSessionKeyState:
        """Parse a channel key state."""
        return cls(**_key_state_fields(data), assets=_texts(data, "assets"))

    def to_wire(self) -> dict[str, Any]:
        """Return the state as the node reads it."""
        return _key_state_to_wire(self, assets=list(self.assets))


def _key_state_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Read what app-session and channel key states share."""
    return {
        "user_address": wire.hex_text(data, "user_address", 20),
        "session_key": wire.hex_text(data, "session_key", 20),
        "version": wire.uint_text(data, "version"),
        "expires_at": wire.uint_text(data, "expires_at"),
        "user_sig": wire.optional_text(data, "user_sig", 140) or "",
        "session_key_sig": wire.optional_text(data, "session_key_sig", 140) or "",
    }


def _key_state_to_wire(
    state: AppSessionKeyState | ChannelSessionKeyState, **scope: list[str]
) -> dict[str, Any]:
    """Write a key state with its scope where the SDK puts it (frames match byte for byte)."""
    return {
        "user_address": state.user_address,
        "session_key": state.session_key,
        "version": str(state.version),
        **scope,
        "expires_at": str(state.expires_at),
        "user_sig": state.user_sig,
        "session_key_sig": state.session_key_sig,
    }


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    values = wire.items(data, key, MAX_KEY_SCOPE_ITEMS)
    return tuple(wire.text({key: value}, key, 66) for value in values)
