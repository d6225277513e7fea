"""What a metered preset tells: each payment that applied, and why it stopped paying."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from .allocations import Payment
from .clearnode import AppSession, format_amount
from .events import (
    MeteringStopped,
    async_announce_metered_payment,
    async_announce_metering_stopped,
    async_dismiss_metering_stopped,
)
from .meter import MeteredPayment, MeterSettings
from .meter_steps import Exhausted, TopUpRefused
from .presets import Preset


class MeterNotices:
    """The events and notifications of one metered preset."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry_id: str,
        settings: MeterSettings,
    ) -> None:
        """Nothing is told yet."""
        self._hass = hass
        self._entry = entry
        self._subentry_id = subentry_id
        self._settings = settings
        self._exhausted: str | None = None  # the session whose deposit ran out, told

    @callback
    def async_paid(
        self,
        preset: Preset,
        session: AppSession,
        wallet_address: str,
        payment: MeteredPayment,
    ) -> None:
        """Fire nitrolite_metered_payment for a payment that applied."""
        async_announce_metered_payment(
            self._hass,
            self._entry,
            session,
            Payment(wallet_address, preset.counterparty, preset.asset, payment.amount),
            {
                "preset": preset.name,
                "meter_entity": self._settings.entity_id,
                "meter_reading": format_amount(payment.reading),
                "units": format_amount(payment.units),
            },
        )

    @callback
    def async_exhausted(
        self, preset: Preset, exhausted: Exhausted, refused: TopUpRefused | None
    ) -> None:
        """Tell once that the session's deposit does not cover the next payment."""
        session_id = exhausted.session.app_session_id
        if self._exhausted == session_id:
            return
        self._exhausted = session_id
        placeholders = {
            "remaining": format_amount(exhausted.remaining),
            "amount": format_amount(exhausted.due.amount),
            "asset": preset.asset,
        }
        if refused is not None and refused.app_session_id == session_id:
            reason, key = refused.reason, "metering_top_up_refused"
            placeholders["error"] = refused.message
        else:
            reason, key = "deposit_exhausted", "metering_deposit_exhausted"
        self._async_tell_stopped(preset, session_id, reason, key, placeholders)

    @callback
    def async_paying_again(self) -> None:
        """Dismiss the notification that the deposit ran out: funds were added."""
        if self._exhausted is not None:
            self._exhausted = None
            self.async_dismiss()

    @callback
    def async_stopped(
        self, preset: Preset, session_id: str | None, error: HomeAssistantError
    ) -> None:
        """Tell that metering turned off after a refusal it cannot work around."""
        self._async_tell_stopped(
            preset,
            session_id,
            error.translation_key or "error",
            "metering_stopped",
            {"error": str(error)},
        )

    @callback
    def async_dismiss(self) -> None:
        """Dismiss the notification that the preset stopped metering."""
        async_dismiss_metering_stopped(self._hass, self._entry, self._subentry_id)

    @callback
    def _async_tell_stopped(
        self,
        preset: Preset,
        session_id: str | None,
        reason: str,
        message_key: str,
        placeholders: dict[str, str],
    ) -> None:
        """Fire nitrolite_metering_stopped; show the notification and log it."""
        async_announce_metering_stopped(
            self._hass,
            self._entry,
            MeteringStopped(
                preset.name, self._subentry_id, session_id, reason, message_key
            ),
            placeholders,
        )
