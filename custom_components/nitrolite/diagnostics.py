"""Diagnostics: configuration without secrets, connection figures and the state model."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .const import CONF_PRIVATE_KEY
from .data import NitroliteConfigEntry
from .serialize import DIAGNOSTICS_FIELDS, amounts_json, session_json

TO_REDACT = {CONF_PRIVATE_KEY, "jwt", "jwt_token", "session_key", "signature"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
) -> dict[str, Any]:
    """Return what helps to debug an entry, with every secret redacted."""
    coordinator = entry.runtime_data.coordinator
    client = coordinator.client
    data = coordinator.data
    spending = coordinator.spending
    return {
        "data": async_redact_data(dict(entry.data), TO_REDACT),
        "options": dict(entry.options),
        "connection": {
            "state": data.connection_state.value,
            "available": coordinator.last_update_success,
            "dialect": client.dialect.value,
            "features": sorted(client.features),
            "node_address": client.node_address,
            "node_version": client.node_version,
            **async_redact_data(dict(client.stats), TO_REDACT),
        },
        # Where the node enforces the caps, it alone knows what is left of them.
        "local_spending_caps": None
        if spending is None
        else {"window_hours": spending.window_hours, "assets": spending.usage()},
        "balances": amounts_json(data.balances),
        "app_sessions": [
            {
                **session_json(record.session, DIAGNOSTICS_FIELDS),
                "closed_at": None
                if record.closed_at is None
                else record.closed_at.isoformat(),
                "own_allocation": amounts_json(
                    record.own_allocation(data.wallet_address)
                ),
            }
            for record in data.sessions.values()
        ],
    }
