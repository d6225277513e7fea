"""Entity snapshots of every platform, with one open app session."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.nitrolite.clearnode import Allocation

from .conftest import COUNTERPARTY, ENTITY_SNAPSHOT_RELEASE, WALLET
from .test_app_sessions import DEFINITION, open_session, session_entity


@pytest.mark.parametrize(
    "platform", [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]
)
async def test_entities(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    platform: Platform,
) -> None:
    """Every entity of the platform, as registered and as its state reads."""
    if (MAJOR_VERSION, MINOR_VERSION) < ENTITY_SNAPSHOT_RELEASE:
        pytest.skip("entity snapshots are recorded with Home Assistant 2026.10")
    freezer.move_to("2026-11-27T12:00:00+00:00")
    with patch("custom_components.nitrolite.PLATFORMS", [platform]):
        config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        await config_entry.runtime_data.actions.async_create_app_session(
            replace(DEFINITION, nonce=42),
            [
                Allocation(WALLET, "usdc", Decimal(4)),
                Allocation(COUNTERPARTY, "usdc", Decimal(0)),
            ],
            "hello",
        )
        await hass.async_block_till_done()

    await snapshot_platform(hass, er.async_get(hass), snapshot, config_entry.entry_id)


async def test_large_session_attributes_stay_out_of_the_history(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Lists and free text are shown but not recorded; the status and version are."""
    session = await open_session(loaded_entry)
    await hass.async_block_till_done()

    state = hass.states.get(session_entity(session, "status"))

    assert state.attributes["participants"] == [WALLET, COUNTERPARTY]
    unrecorded = state.state_info["unrecorded_attributes"]
    assert {"participants", "weights", "allocations", "session_data"} <= unrecorded
    assert "version" not in unrecorded
