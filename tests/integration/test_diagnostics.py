"""Diagnostics: useful figures, no secrets."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import SECRETS
from .helpers import wait_for
from .test_app_sessions import open_session


async def test_diagnostics_redact_the_key_and_report_the_connection(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The key is redacted; state, counters and sessions are reported."""
    await open_session(loaded_entry, nonce=7)
    coordinator = loaded_entry.runtime_data.coordinator
    await wait_for(hass, lambda: coordinator.data.balances["usdc"] == 96)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    assert not any(secret in str(diagnostics) for secret in SECRETS)
    assert diagnostics["data"]["private_key"] == "**REDACTED**"
    assert diagnostics["connection"]["state"] == "connected"
    assert diagnostics["connection"]["connects"] == 1
    assert diagnostics == snapshot(
        exclude=props(
            "endpoint", "last_message_at", "session_key_expires_at", "requests"
        )
    )
