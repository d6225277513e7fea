"""Base entities of the Nitrolite integration."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .clearnode import AppSession
from .const import DOMAIN
from .coordinator import NitroliteCoordinator
from .presets import Preset, PresetManager, preset_device_key

MANUFACTURER = "ERC-7824 Nitrolite"


def _shorten(hex_id: str) -> str:
    return f"{hex_id[:6]}…{hex_id[-4:]}"


def service_device_info(coordinator: NitroliteCoordinator) -> DeviceInfo:
    """Describe the entry's service device: our wallet on this ClearNode."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, coordinator.device_key)},
        manufacturer=MANUFACTURER,
        model="ClearNode wallet",
        translation_key="wallet",
        translation_placeholders={"address": _shorten(coordinator.wallet_address)},
    )


def _link_to_service_device(coordinator: NitroliteCoordinator) -> DeviceInfo:
    identifier = (DOMAIN, coordinator.device_key)
    if hasattr(dr, "async_get_device_id_by_identifier"):  # Home Assistant >= 2026.8
        return DeviceInfo(
            via_device_id=dr.async_get_device_id_by_identifier(
                coordinator.hass,
                identifier,
                config_entry_id=coordinator.config_entry.entry_id,
            )
        )
    return cast("DeviceInfo", {"via_device": identifier})


def session_device_info(
    coordinator: NitroliteCoordinator, session: AppSession
) -> DeviceInfo:
    """Describe an app session's device, linked to the entry's service device."""
    session_id = session.app_session_id
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, coordinator.session_device_key(session_id))},
        manufacturer=MANUFACTURER,
        model=session.protocol,
        translation_key="app_session",
        translation_placeholders={
            "application": session.application,
            "short_id": _shorten(session_id),
        },
        **_link_to_service_device(coordinator),
    )


def preset_device_info(coordinator: NitroliteCoordinator, preset: Preset) -> DeviceInfo:
    """Describe a payment preset's device, linked to the entry's service device."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, preset_device_key(coordinator, preset.subentry_id))},
        manufacturer=MANUFACTURER,
        model="Payment preset",
        name=preset.name,
        **_link_to_service_device(coordinator),
    )


class NitroliteEntity(CoordinatorEntity[NitroliteCoordinator]):
    """An entity of the entry's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: NitroliteCoordinator, description: EntityDescription
    ) -> None:
        """Name from the description's translation key, id from wallet and broker."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.device_key}_{description.key}"
        self._attr_device_info = service_device_info(coordinator)


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
        self.entity_description = description
        self.app_session_id = session.app_session_id
        self._attr_unique_id = f"{coordinator.session_device_key(session.app_session_id)}_{description.key}"
        self._attr_device_info = session_device_info(coordinator, session)
        self._rendered: tuple[bool, object] | None = None

    @property
    def session(self) -> AppSession:
        """The app session as currently known."""
        return self.coordinator.data.app_sessions[self.app_session_id]

    @property
    def available(self) -> bool:
        """Available while connected and the session is still known."""
        return (
            super().available
            and self.app_session_id in self.coordinator.data.app_sessions
        )

    def _shown_data(self) -> object:
        """Return what the state and attributes are made of, availability aside."""
        return self.coordinator.data.app_sessions.get(self.app_session_id)

    def _rendering(self) -> tuple[bool, object]:
        return self.available, self._shown_data()

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


@callback
def async_add_preset_entities(
    presets: PresetManager,
    async_add_entities: AddConfigEntryEntitiesCallback,
    create: Callable[[Preset], Iterable[Entity]],
) -> None:
    """Add each preset's entities to its subentry, now and when a preset is added."""

    @callback
    def _async_add(subentry_ids: Iterable[str]) -> None:
        for subentry_id in subentry_ids:
            async_add_entities(
                create(presets.presets[subentry_id]), config_subentry_id=subentry_id
            )

    presets.async_add_preset_listener(_async_add)


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
        super().__init__(presets.coordinator)
        self.entity_description = description
        self.presets = presets
        self.subentry_id = preset.subentry_id
        self._preset = preset
        device_key = preset_device_key(presets.coordinator, preset.subentry_id)
        self._attr_unique_id = f"{device_key}_{description.key}"
        self._attr_device_info = preset_device_info(presets.coordinator, preset)

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
