"""Binary sensor: whether the wallet is connected to its ClearNode."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,  # re-exported without "as" since 2026.10
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import NitroliteConfigEntry
from .entity import NitroliteEntity

PARALLEL_UPDATES = 0

CONNECTIVITY = BinarySensorEntityDescription(
    key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the connectivity sensor."""
    async_add_entities(
        [NitroliteConnectivitySensor(entry.runtime_data.coordinator, CONNECTIVITY)]
    )


class NitroliteConnectivitySensor(NitroliteEntity, BinarySensorEntity):
    """On while logged in and in sync; stays available to report outages."""

    @property
    def available(self) -> bool:
        """Always available: being off is the information."""
        return True

    @property
    def is_on(self) -> bool:
        """Return whether the connection is up."""
        return self.coordinator.connected
