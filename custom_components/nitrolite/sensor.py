"""Sensors: connection state, balances, open app sessions, sessions, presets, meters."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .clearnode import ConnectionState, format_amount
from .const import CONF_DEFAULT_ASSET
from .coordinator import NitroliteCoordinator
from .data import NitroliteConfigEntry
from .entity import (
    NitroliteEntity,
    NitroliteMeterEntity,
    NitrolitePresetEntity,
    NitroliteSessionEntity,
    async_add_meter_entities,
    async_add_preset_entities,
)
from .meter_store import MeterState
from .model import SessionRecord
from .presets import Preset, PresetManager
from .serialize import ATTRIBUTE_FIELDS, amounts_json, session_json

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class NitroliteSensorEntityDescription(SensorEntityDescription):
    """A sensor of the wallet's service device."""

    value_fn: Callable[[NitroliteCoordinator], str | int | None]
    always_available: bool = False


SERVICE_SENSORS: tuple[NitroliteSensorEntityDescription, ...] = (
    NitroliteSensorEntityDescription(
        key="connection_state",
        translation_key="connection_state",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in ConnectionState],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.data.connection_state.value,
        always_available=True,
    ),
    NitroliteSensorEntityDescription(
        key="open_app_sessions",
        translation_key="open_app_sessions",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda coordinator: coordinator.data.open_session_count,
    ),
)
BALANCE_SENSOR = SensorEntityDescription(
    key="balance",
    translation_key="balance",
    state_class=SensorStateClass.TOTAL,
)


@dataclass(frozen=True, kw_only=True)
class NitroliteSessionSensorEntityDescription(SensorEntityDescription):
    """A sensor of an app session's device."""

    value_fn: Callable[[NitroliteCoordinator, SessionRecord], str | Decimal | None]
    unit_fn: Callable[[NitroliteCoordinator, SessionRecord], str | None] = (
        lambda _coordinator, _record: None
    )
    attributes_fn: Callable[[NitroliteCoordinator, SessionRecord], Mapping[str, Any]]


def _main_asset(coordinator: NitroliteCoordinator, record: SessionRecord) -> str | None:
    """Return the asset to show our allocation in: the default if held, else the first."""
    amounts = record.own_allocation(coordinator.wallet_address)
    default = coordinator.config_entry.options.get(CONF_DEFAULT_ASSET)
    if default in amounts:
        return str(default)
    return min(amounts, default=None)


def _own_amount(
    coordinator: NitroliteCoordinator, record: SessionRecord
) -> Decimal | None:
    asset = _main_asset(coordinator, record)
    if asset is None:
        return None
    return record.own_allocation(coordinator.wallet_address)[asset]


SESSION_SENSORS: tuple[NitroliteSessionSensorEntityDescription, ...] = (
    NitroliteSessionSensorEntityDescription(
        key="status",
        translation_key="app_session_status",
        device_class=SensorDeviceClass.ENUM,
        options=["open", "closed"],
        value_fn=lambda _coordinator, record: record.session.status,
        attributes_fn=lambda _coordinator, record: session_json(
            record.session, ATTRIBUTE_FIELDS
        ),
    ),
    NitroliteSessionSensorEntityDescription(
        key="own_allocation",
        translation_key="own_allocation",
        value_fn=_own_amount,
        unit_fn=_main_asset,
        attributes_fn=lambda coordinator, record: {
            "amounts": amounts_json(record.own_allocation(coordinator.wallet_address))
        },
    ),
)


@dataclass(frozen=True, kw_only=True)
class NitrolitePresetSensorEntityDescription(SensorEntityDescription):
    """A sensor of a payment preset's current session."""

    value_fn: Callable[[PresetManager, Preset], str | Decimal | None]
    in_asset: bool = False


def _session_id(presets: PresetManager, preset: Preset) -> str | None:
    session = presets.session(preset.subentry_id)
    return None if session is None else session.app_session_id


def _session_status(presets: PresetManager, preset: Preset) -> str:
    session = presets.session(preset.subentry_id)
    return "none" if session is None else session.status


PRESET_SENSORS: tuple[NitrolitePresetSensorEntityDescription, ...] = (
    NitrolitePresetSensorEntityDescription(
        key="session_status",
        translation_key="preset_session_status",
        device_class=SensorDeviceClass.ENUM,
        options=["none", "open", "closed"],
        value_fn=_session_status,
    ),
    NitrolitePresetSensorEntityDescription(
        key="session_id",
        translation_key="preset_session_id",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_session_id,
    ),
    NitrolitePresetSensorEntityDescription(
        key="total_paid",
        translation_key="total_paid",
        value_fn=lambda presets, preset: presets.paid(preset),
        in_asset=True,
    ),
    NitrolitePresetSensorEntityDescription(
        key="remaining_deposit",
        translation_key="remaining_deposit",
        value_fn=lambda presets, preset: presets.remaining(preset),
        in_asset=True,
    ),
)


@dataclass(frozen=True, kw_only=True)
class NitroliteMeterSensorEntityDescription(SensorEntityDescription):
    """A sensor of a metered preset's metering."""

    value_fn: Callable[[MeterState], Decimal | None]
    attributes_fn: Callable[[MeterState], Mapping[str, str]] = lambda _state: {}
    in_asset: bool = False


def _counted_attributes(state: MeterState) -> dict[str, str]:
    """Show the meter reading the payments in the session cover so far."""
    if state.baseline is None:
        return {}
    return {"meter_reading": format_amount(state.baseline.reading)}


def _last_payment_attributes(state: MeterState) -> dict[str, str]:
    payment = state.last_payment
    if payment is None:
        return {}
    return {
        "units": format_amount(payment.units),
        "meter_reading": format_amount(payment.reading),
    }


METER_SENSORS: tuple[NitroliteMeterSensorEntityDescription, ...] = (
    NitroliteMeterSensorEntityDescription(
        key="metered_units_paid",
        translation_key="metered_units_paid",
        value_fn=lambda state: state.units_paid,
        attributes_fn=_counted_attributes,
    ),
    NitroliteMeterSensorEntityDescription(
        key="last_payment",
        translation_key="last_payment",
        value_fn=lambda state: (
            None if state.last_payment is None else state.last_payment.amount
        ),
        attributes_fn=_last_payment_attributes,
        in_asset=True,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the wallet's sensors, then balances and app sessions as they appear."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        NitroliteSensor(coordinator, description) for description in SERVICE_SENSORS
    )
    known_assets: set[str] = set()
    known_sessions: set[str] = set()

    @callback
    def _async_add_new() -> None:
        new_assets = coordinator.data.balances.keys() - known_assets
        sessions = coordinator.data.sessions
        known_sessions.intersection_update(sessions)
        new_sessions = sessions.keys() - known_sessions
        known_assets.update(new_assets)
        known_sessions.update(new_sessions)
        entities: list[SensorEntity] = [
            NitroliteBalanceSensor(coordinator, asset) for asset in sorted(new_assets)
        ]
        entities.extend(
            NitroliteSessionSensor(
                coordinator, description, sessions[session_id].session
            )
            for session_id in sorted(new_sessions)
            for description in SESSION_SENSORS
        )
        if entities:
            async_add_entities(entities)

    _async_add_new()
    entry.async_on_unload(coordinator.async_add_listener(_async_add_new))
    presets = entry.runtime_data.presets
    async_add_preset_entities(
        presets, async_add_entities, NitrolitePresetSensor, PRESET_SENSORS
    )
    async_add_meter_entities(
        entry.runtime_data.meters,
        async_add_entities,
        NitroliteMeterSensor,
        METER_SENSORS,
        Platform.SENSOR,
    )


class NitroliteSensor(NitroliteEntity, SensorEntity):
    """A sensor of the wallet's service device."""

    entity_description: NitroliteSensorEntityDescription

    @property
    def available(self) -> bool:
        """Diagnostic state sensors stay available to show the outage itself."""
        return self.entity_description.always_available or super().available

    @property
    def native_value(self) -> str | int | None:
        """Return the value from the state model."""
        return self.entity_description.value_fn(self.coordinator)


class NitroliteBalanceSensor(NitroliteEntity, SensorEntity):
    """Our unified-ledger balance of one asset."""

    def __init__(self, coordinator: NitroliteCoordinator, asset: str) -> None:
        """One sensor per asset symbol."""
        super().__init__(coordinator, replace(BALANCE_SENSOR, key=f"balance_{asset}"))
        self.asset = asset
        self._attr_translation_placeholders = {"asset": asset}
        self._attr_native_unit_of_measurement = asset

    @property
    def native_value(self) -> Decimal | None:
        """Return the balance; unknown when the ledger no longer lists the asset."""
        return self.coordinator.data.balances.get(self.asset)


class NitroliteSessionSensor(NitroliteSessionEntity, SensorEntity):
    """A sensor of an app session: its status, or our share of it."""

    entity_description: NitroliteSessionSensorEntityDescription
    # Lists and free text, repeated by every state change: kept out of the history.
    _unrecorded_attributes = frozenset(
        {"participants", "weights", "allocations", "session_data"}
    )

    @property
    def native_value(self) -> str | Decimal | None:
        """Return the value from the session's record."""
        return self.entity_description.value_fn(self.coordinator, self.record)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit, where the value is an amount (asked while unavailable too)."""
        record = self.coordinator.data.sessions.get(self.app_session_id)
        if record is None:
            return None
        return self.entity_description.unit_fn(self.coordinator, record)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Return the session's details."""
        return self.entity_description.attributes_fn(self.coordinator, self.record)


class NitrolitePresetSensor(NitrolitePresetEntity, SensorEntity):
    """The state of a payment preset's current session."""

    entity_description: NitrolitePresetSensorEntityDescription

    @property
    def native_value(self) -> str | Decimal | None:
        """Return the value from the preset's session."""
        return self.entity_description.value_fn(self.presets, self.preset)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Amounts are in the preset's asset."""
        return self.preset.asset if self.entity_description.in_asset else None


class NitroliteMeterSensor(NitroliteMeterEntity, SensorEntity):
    """What a metered preset paid as its meter grew."""

    entity_description: NitroliteMeterSensorEntityDescription

    @property
    def native_value(self) -> Decimal | None:
        """Return the value from the metering's state."""
        return self.entity_description.value_fn(self.meter.state)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Amounts are in the preset's asset."""
        return self.preset.asset if self.entity_description.in_asset else None

    @property
    def extra_state_attributes(self) -> Mapping[str, str]:
        """Return what the value covers."""
        return self.entity_description.attributes_fn(self.meter.state)
