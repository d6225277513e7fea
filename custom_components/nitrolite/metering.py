"""Metered presets: pay a preset's session as a meter grows, each stretch exactly once.

A preset with a meter pays ``units × price`` whenever its meter has advanced by at least
*pay every* units since the reading the payments so far cover; the advance is rounded
down to whole steps and the rest carried, so no payment covers more than the meter
shows (meter). Each metered preset has one worker (meter_worker), which takes the steps
meter_steps decides; what it remembers across restarts is in meter_store. This module
holds the metered presets of one entry.
"""

from __future__ import annotations

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .meter import MeterSettings
from .meter_store import MeterStore
from .meter_worker import PresetMeter
from .presets import PresetManager


def _meter_settings(presets: PresetManager) -> dict[str, MeterSettings]:
    return {
        subentry_id: preset.meter
        for subentry_id, preset in presets.presets.items()
        if preset.meter is not None
    }


class MeterManager:
    """The metered presets of one entry."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, presets: PresetManager
    ) -> None:
        """Nothing is read yet; see async_load."""
        self._hass = hass
        self._entry = entry
        self.presets = presets
        self._store = MeterStore(hass, entry.entry_id)
        self._settings: dict[str, MeterSettings] = {}
        self.meters: dict[str, PresetMeter] = {}

    async def async_load(self) -> None:
        """Read what the metered presets saved; settle payments left pending."""
        self._settings = _meter_settings(self.presets)
        await self._store.async_load(self._settings)
        self.meters = {
            subentry_id: PresetMeter(self.presets, self._store, subentry_id, meter)
            for subentry_id, meter in self._settings.items()
        }
        for meter in self.meters.values():
            meter.async_settle_saved()

    @callback
    def async_start(self) -> None:
        """Meter from now until the entry unloads; reload it when a meter changes."""
        entry = self._entry
        entry.async_on_unload(
            async_dispatcher_connect(
                self._hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._async_entry_changed
            )
        )
        entry.async_on_unload(
            self.presets.coordinator.async_add_listener(self._async_coordinator_updated)
        )
        entry.async_on_unload(self._store.async_close)
        for meter in self.meters.values():
            meter.async_start()

    @callback
    def _async_coordinator_updated(self) -> None:
        for meter in self.meters.values():
            meter.async_coordinator_updated()

    @callback
    def _async_entry_changed(
        self, change: ConfigEntryChange, entry: ConfigEntry
    ) -> None:
        """Set the meters up again when a preset's meter was added, changed or removed."""
        if entry is not self._entry or change is not ConfigEntryChange.UPDATED:
            return
        if _meter_settings(self.presets) != self._settings:
            self._hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_remove_meter_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete what the metered presets of a removed entry saved."""
    await MeterStore(hass, entry_id).async_remove()
