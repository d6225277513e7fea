"""What automations and the user are told of changes.

Bus events of app sessions (also sent to the event entity), and of metered presets: their
payments, and their stops (also a notification).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.translation import async_get_exception_message
from homeassistant.util.signal_type import SignalType

from .allocations import Payment, payment_between
from .clearnode import AppSession, format_amount
from .const import (
    BUS_EVENT_PREFIX,
    DOMAIN,
    EVENT_CLOSED,
    EVENT_CREATED,
    EVENT_PAYMENT,
    EVENT_UPDATED,
    LOGGER,
    METERED_PAYMENT_EVENT,
    METERING_STOPPED_EVENT,
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
            hass, entry, EVENT_PAYMENT, session, covered | _payment_json(payment)
        )


@callback
def async_announce_metered_payment(
    hass: HomeAssistant,
    entry: ConfigEntry,
    session: AppSession,
    payment: Payment,
    metered: Mapping[str, str],
) -> None:
    """Fire a preset's metered payment: the payment event's data, and what it covers."""
    hass.bus.async_fire(
        METERED_PAYMENT_EVENT,
        {
            **_session_event_data(entry, session),
            "versions": 1,  # a metered payment is one state of ours
            **_payment_json(payment),
            **metered,
        },
    )


@dataclass(frozen=True, slots=True)
class MeteringStopped:
    """Which preset stopped metering, and why."""

    preset: str  # its name
    preset_id: str  # its subentry id
    app_session_id: str | None
    reason: str  # deposit_exhausted, or the key of the error that stopped it
    message_key: str  # exceptions.<message_key> in the translations


@callback
def async_announce_metering_stopped(
    hass: HomeAssistant,
    entry: ConfigEntry,
    stopped: MeteringStopped,
    placeholders: Mapping[str, str],
) -> None:
    """Fire that a preset stopped metering; tell the user in a notification and the log."""
    message = async_get_exception_message(
        DOMAIN, stopped.message_key, {"preset": stopped.preset, **placeholders}
    )
    LOGGER.warning("%s", message)
    hass.bus.async_fire(
        METERING_STOPPED_EVENT,
        {
            "config_entry_id": entry.entry_id,
            "preset": stopped.preset,
            "preset_id": stopped.preset_id,
            "app_session_id": stopped.app_session_id,
            "reason": stopped.reason,
            "message": message,
        },
    )
    persistent_notification.async_create(
        hass,
        message,
        async_get_exception_message(
            DOMAIN, "metering_stopped_title", {"preset": stopped.preset}
        ),
        _metering_notification_id(entry, stopped.preset_id),
    )


@callback
def async_dismiss_metering_stopped(
    hass: HomeAssistant, entry: ConfigEntry, preset_id: str
) -> None:
    """Dismiss the notification that a preset stopped metering (it meters again)."""
    persistent_notification.async_dismiss(
        hass, _metering_notification_id(entry, preset_id)
    )


def _metering_notification_id(entry: ConfigEntry, preset_id: str) -> str:
    return f"{DOMAIN}_{entry.entry_id}_{preset_id}_metering_stopped"


def _payment_json(payment: Payment) -> dict[str, str]:
    return {
        "from": payment.payer,
        "to": payment.payee,
        "asset": payment.asset,
        "amount": format_amount(payment.amount),
    }


def _session_event_data(entry: ConfigEntry, session: AppSession) -> dict[str, Any]:
    return {"config_entry_id": entry.entry_id, **session_json(session, EVENT_FIELDS)}


@callback
def _async_fire(
    hass: HomeAssistant,
    entry: ConfigEntry,
    event_type: str,
    session: AppSession,
    details: Mapping[str, Any],
) -> None:
    data = {**_session_event_data(entry, session), **details}
    hass.bus.async_fire(f"{BUS_EVENT_PREFIX}{event_type}", data)
    async_dispatcher_send(hass, session_event_signal(entry.entry_id), event_type, data)
