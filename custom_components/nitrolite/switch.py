"""The Metering switch of each metered payment preset."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import NitroliteConfigEntry
from .entity import NitroliteMeterEntity, async_add_meter_entities

PARALLEL_UPDATES = 0

METERING_SWITCH = SwitchEntityDescription(key="metering", translation_key="metering")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the Metering switch of each metered preset."""
    async_add_meter_entities(
        entry.runtime_data.meters,
        async_add_entities,
        NitroliteMeteringSwitch,
        (METERING_SWITCH,),
        Platform.SWITCH,
    )


class NitroliteMeteringSwitch(NitroliteMeterEntity, SwitchEntity):
    """On: the preset pays as its meter grows and follows its on/off entity."""

    @property
    def available(self) -> bool:
        """A setting of Home Assistant's: it can be changed while disconnected too."""
        return self.presets.get(self.subentry_id) is not None

    @property
    def is_on(self) -> bool:
        """Whether the preset meters."""
        return self.meter.state.enabled

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Meter from the reading now on; what was metered while off is not paid."""
        await self.meter.async_set_enabled(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Stop paying, opening and closing; a payment on its way completes."""
        await self.meter.async_set_enabled(False)
