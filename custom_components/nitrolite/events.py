"""App-session events: fired on the bus for automations and sent to the event entity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util.signal_type import SignalType

from .allocations import payment_between
from .clearnode import AppSession, format_amount
from .const import (
    BUS_EVENT_PREFIX,
    DOMAIN,
    EVENT_CLOSED,
    EVENT_CREATED,
    EVENT_PAYMENT,
    EVENT_UPDATED,
)
from .serialize import EVENT_FIELDS, session_json


def session_event_signal(entry_id: str) -> SignalType[str, dict[str, Any]]:
    """Return the dispatcher signal that carries an entry's app-session events."""
    return SignalType(f"{DOMAIN}_{entry_id}_app_session")


@callback
def async_announce(
    hass: HomeAssistant,
    entry: ConfigEntry,
    held: AppSession | None,
    session: AppSession,
    *,
    listed: bool,
) -> None:
    """Announce a session's new state: created, closed, a payment, or updated.

    A listing tells no allocations, so it announces only new and closed sessions.
    One event may cover several versions (a polled node shows only the latest);
    ``versions`` says how many, and a payment is the net change over them.
    """
    covered = {"versions": max(1, session.version - (held.version if held else 0))}
    if session.status == "closed":
        _async_fire(hass, entry, EVENT_CLOSED, session, covered)
    elif held is None:
        _async_fire(hass, entry, EVENT_CREATED, session, covered)
    elif not listed:
        payment = (
            None
            if held.allocations is None or session.allocations is None
            else payment_between(held.allocations, session.allocations)
        )
        if payment is None:
            _async_fire(hass, entry, EVENT_UPDATED, session, covered)
            return
        _async_fire(
            hass,
            entry,
            EVENT_PAYMENT,
            session,
            covered
            | {
                "from": payment.payer,
                "to": payment.payee,
                "asset": payment.asset,
                "amount": format_amount(payment.amount),
            },
        )


@callback
def _async_fire(
    hass: HomeAssistant,
    entry: ConfigEntry,
    event_type: str,
    session: AppSession,
    details: Mapping[str, Any],
) -> None:
    data = {
        "config_entry_id": entry.entry_id,
        **session_json(session, EVENT_FIELDS),
        **details,
    }
    hass.bus.async_fire(f"{BUS_EVENT_PREFIX}{event_type}", data)
    async_dispatcher_send(hass, session_event_signal(entry.entry_id), event_type, data)
