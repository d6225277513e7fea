"""Event entity: app sessions created, updated, paid in and closed."""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import EVENT_TYPES
from .data import NitroliteConfigEntry
from .entity import NitroliteEntity
from .events import session_event_signal

PARALLEL_UPDATES = 0

APP_SESSION_EVENT = EventEntityDescription(
    key="app_session",
    translation_key="app_session",
    event_types=list(EVENT_TYPES),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the app-session event entity."""
    async_add_entities(
        [NitroliteAppSessionEvent(entry.runtime_data.coordinator, APP_SESSION_EVENT)]
    )


class NitroliteAppSessionEvent(NitroliteEntity, EventEntity):
    """Fires with the same data as the nitrolite_app_session_* bus events."""

    async def async_added_to_hass(self) -> None:
        """Follow the entry's app-session events."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                session_event_signal(self.coordinator.config_entry.entry_id),
                self._async_handle_event,
            )
        )

    @callback
    def _async_handle_event(self, event_type: str, data: dict[str, Any]) -> None:
        self._trigger_event(event_type, data)
        self.async_write_ha_state()
