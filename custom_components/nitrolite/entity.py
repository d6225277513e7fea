"""Base entities of the Nitrolite integration: wallet, app session, preset and meter."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .clearnode import AppSession
from .const import DOMAIN
from .coordinator import NitroliteCoordinator
from .devices import (
    preset_device_info,
    preset_device_key,
    session_device_info,
    session_device_key,
    wallet_device_info,
    wallet_device_key,
)
from .meter_worker import PresetMeter
from .metering import MeterManager
from .model import SessionRecord
from .presets import Preset, PresetManager


class NitroliteEntity(CoordinatorEntity[NitroliteCoordinator]):
    """An entity of the entry's wallet device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: NitroliteCoordinator, description: EntityDescription
    ) -> None:
        """Name from the description's translation key, id from wallet and broker."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = f"{wallet_device_key(entry)}_{description.key}"
        self._attr_device_info = wallet_device_info(entry, coordinator.wallet_address)


class NitroliteSessionEntity(CoordinatorEntity[NitroliteCoordinator]):
    """An entity of one app session's device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: NitroliteCoordinator,
        description: EntityDescription,
        session: AppSession,
    ) -> None:
        """Bind to the app session by its stable server id."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.app_session_id = session.app_session_id
        device_key = session_device_key(entry, session.app_session_id)
        self._attr_unique_id = f"{device_key}_{description.key}"
        self._attr_device_info = session_device_info(coordinator.hass, entry, session)
        self._rendered: tuple[bool, SessionRecord | None] | None = None

    @property
    def record(self) -> SessionRecord:
        """What Home Assistant holds of the app session."""
        return self.coordinator.data.sessions[self.app_session_id]

    @property
    def available(self) -> bool:
        """Available while connected and the session is still known."""
        return (
            super().available and self.app_session_id in self.coordinator.data.sessions
        )

    def _rendering(self) -> tuple[bool, SessionRecord | None]:
        """Return what the entity shows is made of (records are replaced on change)."""
        return self.available, self.coordinator.data.sessions.get(self.app_session_id)

    async def async_added_to_hass(self) -> None:
        """Remember what the first state write shows."""
        await super().async_added_to_hass()
        self._rendered = self._rendering()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when this session's entity shows something new.

        Every change of any session updates the coordinator; writing every session's
        entities each time would cost O(sessions) per change.
        """
        rendering = self._rendering()
        if rendering != self._rendered:
            self._rendered = rendering
            self.async_write_ha_state()


class NitrolitePresetEntity(CoordinatorEntity[NitroliteCoordinator]):
    """An entity of one payment preset's device."""

    _attr_has_entity_name = True

    def __init__(
        self,
        presets: PresetManager,
        description: EntityDescription,
        preset: Preset,
    ) -> None:
        """Bind to the preset by its subentry id."""
        coordinator = presets.coordinator
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self.presets = presets
        self.subentry_id = preset.subentry_id
        self._preset = preset
        self._attr_unique_id = _preset_entity_unique_id(
            entry, preset.subentry_id, description.key
        )
        self._attr_device_info = preset_device_info(
            coordinator.hass, entry, preset.subentry_id, preset.name
        )

    @property
    def preset(self) -> Preset:
        """The preset as currently configured (as last seen, once removed)."""
        if (preset := self.presets.get(self.subentry_id)) is not None:
            self._preset = preset
        return self._preset

    @property
    def available(self) -> bool:
        """Available while connected and the preset exists."""
        return super().available and self.presets.get(self.subentry_id) is not None


def _preset_entity_unique_id(entry: ConfigEntry, subentry_id: str, key: str) -> str:
    return f"{preset_device_key(entry, subentry_id)}_{key}"


@callback
def async_add_preset_entities[DescriptionT: EntityDescription](
    presets: PresetManager,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_class: Callable[[PresetManager, DescriptionT, Preset], Entity],
    descriptions: tuple[DescriptionT, ...],
) -> None:
    """Add one entity per description to each preset, now and when one is added."""

    @callback
    def _async_add(subentry_ids: Iterable[str]) -> None:
        for subentry_id in subentry_ids:
            preset = presets.presets[subentry_id]
            async_add_entities(
                [
                    entity_class(presets, description, preset)
                    for description in descriptions
                ],
                config_subentry_id=subentry_id,
            )

    presets.async_add_preset_listener(_async_add)


class NitroliteMeterEntity(NitrolitePresetEntity):
    """An entity of a metered preset's device: its metering."""

    def __init__(
        self,
        presets: PresetManager,
        description: EntityDescription,
        preset: Preset,
        meter: PresetMeter,
    ) -> None:
        """Bind to the preset and its meter."""
        super().__init__(presets, description, preset)
        self.meter = meter

    async def async_added_to_hass(self) -> None:
        """Follow the metering's state too."""
        await super().async_added_to_hass()
        self.async_on_remove(self.meter.async_add_listener(self.async_write_ha_state))


@callback
def async_add_meter_entities[DescriptionT: EntityDescription](
    meters: MeterManager,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entity_class: Callable[
        [PresetManager, DescriptionT, Preset, PresetMeter], NitroliteMeterEntity
    ],
    descriptions: tuple[DescriptionT, ...],
    platform: Platform,
) -> None:
    """Add one entity per description to each metered preset; remove those of others.

    The entry reloads when a preset's meter is added, changed or removed.
    """
    presets = meters.presets
    registry = er.async_get(presets.hass)
    for subentry_id, preset in presets.presets.items():
        if (meter := meters.meters.get(subentry_id)) is not None:
            async_add_entities(
                [
                    entity_class(presets, description, preset, meter)
                    for description in descriptions
                ],
                config_subentry_id=subentry_id,
            )
            continue
        for description in descriptions:
            unique_id = _preset_entity_unique_id(
                presets.entry, subentry_id, description.key
            )
            if entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id):
                registry.async_remove(entity_id)
