"""Diagnostics: configuration without secrets, connection figures and the state model."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_PRIVATE_KEY
from .coordinator import NitroliteConfigEntry, session_summary

TO_REDACT = {CONF_PRIVATE_KEY, "jwt", "jwt_token", "session_key", "signature"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
) -> dict[str, Any]:
    """Return what helps to debug an entry, with every secret redacted."""
    coordinator = entry.runtime_data.coordinator
    data = coordinator.data
    return {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": dict(entry.options),
        "connection": {
            "state": data.connection_state.value,
            "available": coordinator.last_update_success,
            "broker_address": coordinator.client.node_address,
            **async_redact_data(dict(coordinator.client.stats), TO_REDACT),
        },
        "balances": {asset: str(amount) for asset, amount in data.balances.items()},
        "app_sessions": [
            {
                **session_summary(session),
                "participants": list(session.participants),
                "weights": list(session.weights),
                "quorum": session.quorum,
                "protocol": session.protocol,
                "closed_at": closed.isoformat()
                if (closed := data.closed_at.get(session.app_session_id))
                else None,
                "own_allocation": {
                    asset: str(amount)
                    for asset, amount in coordinator.own_allocation(
                        session.app_session_id
                    ).items()
                },
            }
            for session in data.app_sessions.values()
        ],
    }
