"""Buttons: test tokens for the wallet; open, pay one unit and close a preset's session."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .clearnode import Feature
from .data import NitroliteConfigEntry
from .entity import NitroliteEntity, NitrolitePresetEntity, async_add_preset_entities
from .faucet import async_request_test_tokens
from .presets import Preset, PresetManager

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class NitrolitePresetButtonDescription(ButtonEntityDescription):
    """A preset action; available only while it can apply."""

    needs_open_session: bool
    press_fn: Callable[[PresetManager, Preset], Coroutine[Any, Any, object]]


REQUEST_TEST_TOKENS = ButtonEntityDescription(
    key="request_test_tokens", translation_key="request_test_tokens"
)

PRESET_BUTTONS: tuple[NitrolitePresetButtonDescription, ...] = (
    NitrolitePresetButtonDescription(
        key="open_session",
        translation_key="open_session",
        needs_open_session=False,
        press_fn=lambda presets, preset: presets.async_open(preset),
    ),
    NitrolitePresetButtonDescription(
        key="pay_unit",
        translation_key="pay_unit",
        needs_open_session=True,
        press_fn=lambda presets, preset: presets.async_pay(preset, Decimal(1)),
    ),
    NitrolitePresetButtonDescription(
        key="close_session",
        translation_key="close_session",
        needs_open_session=True,
        press_fn=lambda presets, preset: presets.async_close(preset),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the faucet's button where there is one; those of each preset as they come."""
    runtime = entry.runtime_data
    if Feature.FAUCET in runtime.client.features:
        async_add_entities(
            [NitroliteFaucetButton(runtime.coordinator, REQUEST_TEST_TOKENS)]
        )
    async_add_preset_entities(
        entry.runtime_data.presets,
        async_add_entities,
        NitrolitePresetButton,
        PRESET_BUTTONS,
    )


class NitrolitePresetButton(NitrolitePresetEntity, ButtonEntity):
    """Run one of a preset's actions."""

    entity_description: NitrolitePresetButtonDescription

    @property
    def available(self) -> bool:
        """Available while connected and the preset's session is in the right state."""
        has_open = self.presets.open_session(self.subentry_id) is not None
        return (
            super().available and has_open == self.entity_description.needs_open_session
        )

    async def async_press(self) -> None:
        """Run the action; a refusal raises a translated error."""
        await self.entity_description.press_fn(self.presets, self.preset)


class NitroliteFaucetButton(NitroliteEntity, ButtonEntity):
    """Ask the test network's faucet for tokens for the wallet."""

    async def async_press(self) -> None:
        """Request the tokens; the balance shows them after the next poll."""
        await async_request_test_tokens(self.coordinator.client)
