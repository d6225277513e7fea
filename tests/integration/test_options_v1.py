"""Options of a Nitronode v1 entry: polling, the caps' window, local caps."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_CAPS_WINDOW,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_POLL_INTERVAL,
    CONF_REQUEST_TIMEOUT,
)
from local_nitronode import LocalNitronode

from .conftest import setup_entry
from .flow_helpers import suggested_values, v1_entry

GENERAL = {CONF_REQUEST_TIMEOUT: 10, CONF_CLOSED_SESSION_RETENTION: 24}


@pytest.fixture
async def loaded_v1_entry(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> MockConfigEntry:
    """Return WALLET's entry on the local Nitronode, set up."""
    entry = v1_entry(nitronode)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def open_options(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the first options form."""
    return dict(await hass.config_entries.options.async_init(entry.entry_id))


async def test_a_v1_entry_offers_polling_and_the_caps_window(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry
) -> None:
    """Besides the general options, the interval and window, pre-filled as set."""
    result = await open_options(hass, loaded_v1_entry)

    schema = result["data_schema"]
    assert schema is not None
    assert [str(key) for key in schema.schema] == [
        "default_asset",
        CONF_REQUEST_TIMEOUT,
        CONF_CLOSED_SESSION_RETENTION,
        CONF_POLL_INTERVAL,
        CONF_CAPS_WINDOW,
    ]
    assert suggested_values(result) == {CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24}


async def test_a_clearnode_entry_has_neither(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A ClearNode pushes changes and caps the session key itself."""
    result = await open_options(hass, loaded_entry)

    schema = result["data_schema"]
    assert schema is not None
    assert CONF_POLL_INTERVAL not in schema.schema
    assert CONF_CAPS_WINDOW not in schema.schema


async def test_saving_changes_polling_window_and_local_caps_then_reloads(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry
) -> None:
    """The local caps form says over which window; the reloaded client polls anew."""
    result = await open_options(hass, loaded_v1_entry)
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {**GENERAL, CONF_POLL_INTERVAL: 2, CONF_CAPS_WINDOW: 6},
        )
    )
    assert result["step_id"] == "local_allowances"
    assert suggested_values(result) == {"yusd": 50.0, "usdc": 2.0}
    assert result["description_placeholders"] == {
        "balances": "- yusd: 100\n- usdc: 30",
        "window": "6",
    }

    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"yusd": 3, "usdc": 0}
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_v1_entry.options == {
        **GENERAL,
        CONF_POLL_INTERVAL: 2,
        CONF_CAPS_WINDOW: 6,
        CONF_ALLOWANCES: {"yusd": "3", "usdc": "0"},
    }
    await hass.async_block_till_done()
    assert loaded_v1_entry.state is ConfigEntryState.LOADED
    assert loaded_v1_entry.runtime_data.client.stats["poll_interval"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (CONF_POLL_INTERVAL, 0),
        (CONF_POLL_INTERVAL, 301),
        (CONF_CAPS_WINDOW, 0),
        (CONF_CAPS_WINDOW, 721),
    ],
)
async def test_polling_and_window_are_bounded(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry, field: str, value: int
) -> None:
    """1 to 300 s and 1 to 720 h; the options stay unchanged otherwise."""
    result = await open_options(hass, loaded_v1_entry)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"],
            {**GENERAL, CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24, field: value},
        )

    assert loaded_v1_entry.options == {CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24}


async def test_a_bad_local_cap_is_refused_next_to_it(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry
) -> None:
    """As for the caps of a ClearNode."""
    result = await open_options(hass, loaded_v1_entry)
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {**GENERAL, CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24}
        )
    )
    result = dict(
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"yusd": "1e999999999", "usdc": 1}
        )
    )

    assert result["errors"] == {"yusd": "invalid_amount"}
    assert loaded_v1_entry.options == {CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24}
