"""The meter section of the preset form: what it accepts, stores and adds to the device."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import EntitySelector, SelectSelector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .test_metering import KWH_METER, METER, METERING, PLUGGED, UNITS_PAID
from .test_presets_flow import EV_CHARGER, add_preset, only_preset_id, start_preset_flow

METER_SECTION = {
    "meter_entity": METER,
    "meter_units": 1,
    "pay_every": 0.1,
    "session_follows": PLUGGED,
    "when_deposit_runs_out": "top_up",
    "max_session_deposit": 60,
}


@pytest.fixture(autouse=True)
def charger(hass: HomeAssistant) -> None:
    """Read 10 kWh on the charger's meter; a sensor that counts nothing reads text."""
    hass.states.async_set(METER, "10", KWH_METER)
    hass.states.async_set(PLUGGED, "off")
    hass.states.async_set("sensor.charger_status", "charging")


async def add_metered_preset(
    hass: HomeAssistant, entry: MockConfigEntry, **meter: Any
) -> dict[str, Any]:
    """Submit the preset form with a meter; return the flow's answer."""
    result = await add_preset(hass, entry, meter={**METER_SECTION, **meter})
    await hass.async_block_till_done()
    return result


async def test_the_meter_section_is_collapsed_and_picks_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Entity pickers for the meter and the on/off entity; stop is the default."""
    result = await start_preset_flow(hass, loaded_entry)
    section = result["data_schema"].schema["meter"]
    fields = {str(key): key for key in section.schema.schema}

    assert section.options == {"collapsed": True}
    selectors = section.schema.schema
    assert isinstance(selectors[fields["meter_entity"]], EntitySelector)
    assert selectors[fields["meter_entity"]].config["filter"] == [
        {"domain": ["sensor", "counter", "input_number", "number"]}
    ]
    assert selectors[fields["session_follows"]].config["filter"] == [
        {"domain": ["binary_sensor", "switch", "input_boolean"]}
    ]
    assert isinstance(selectors[fields["when_deposit_runs_out"]], SelectSelector)
    defaults = {
        name: key.default() for name, key in fields.items() if callable(key.default)
    }
    assert defaults == {
        "meter_units": 1,
        "pay_every": 1,
        "when_deposit_runs_out": "stop",
    }


async def test_a_metered_preset_is_stored_and_gets_its_switch_and_sensors(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The meter is stored as its own mapping; the entry reloads with the new entities."""
    result = await add_metered_preset(hass, loaded_entry)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["meter"] == {
        "meter_entity": METER,
        "meter_units": "1",
        "pay_every": "0.1",
        "session_follows": PLUGGED,
        "when_deposit_runs_out": "top_up",
        "max_session_deposit": "60",
    }
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(METERING).state == "on"
    assert hass.states.get(UNITS_PAID).state == "0"
    registered = entity_registry.async_get(METERING)
    assert registered.config_subentry_id == only_preset_id(loaded_entry)


async def test_a_preset_without_a_meter_has_no_metering_entities(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Leaving the meter empty stores no meter, whatever else the section says."""
    result = await add_preset(hass, loaded_entry, meter={"pay_every": 0.1})
    await hass.async_block_till_done()

    assert "meter" not in result["data"]
    assert hass.states.get(METERING) is None
    assert hass.states.get("button.ev_charger_open_session") is not None


async def test_an_unavailable_energy_sensor_can_be_the_meter(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A total or an energy sensor meters, even when it has no number to show yet."""
    hass.states.async_set(METER, STATE_UNAVAILABLE, KWH_METER)

    result = await add_metered_preset(hass, loaded_entry)

    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("meter", "error"),
    [
        ({"meter_entity": "sensor.charger_status"}, "meter_not_numeric"),
        ({"meter_entity": "sensor.no_such_meter"}, "meter_not_numeric"),
        ({"meter_units": 0}, "amount_not_positive"),
        ({"pay_every": -1}, "invalid_amount"),
        ({"pay_every": 1e-36}, "step_price_too_precise"),
        ({"pay_every": 100}, "step_price_exceeds_deposit"),
        ({"max_session_deposit": None}, "max_session_deposit_required"),
        ({"max_session_deposit": 10}, "max_session_deposit_below_deposit"),
        ({"max_session_deposit": 0}, "amount_not_positive"),
    ],
)
async def test_bad_meter_settings_are_refused_with_a_translated_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    meter: dict[str, Any],
    error: str,
) -> None:
    """Each refusal names its cause above the form; nothing is stored."""
    section = {**METER_SECTION, **meter}
    if section["max_session_deposit"] is None:
        del section["max_session_deposit"]

    result = await add_preset(hass, loaded_entry, meter=section)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not loaded_entry.subentries


async def test_reconfigure_shows_the_meter_and_can_remove_it(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The form starts from the stored meter; emptying it removes its entities."""
    await add_metered_preset(hass, loaded_entry)
    subentry_id = only_preset_id(loaded_entry)
    result = await start_preset_flow(hass, loaded_entry, subentry_id)
    section = result["data_schema"].schema["meter"]
    suggested = {
        key.schema: key.description["suggested_value"]
        for key in section.schema.schema
        if key.description
    }
    assert suggested == {**METER_SECTION, "meter_units": 1.0, "pay_every": 0.1}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**EV_CHARGER, "meter": {"meter_units": 1, "pay_every": 1}}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert "meter" not in loaded_entry.subentries[subentry_id].data
    assert hass.states.get(METERING) is None
    assert hass.states.get(UNITS_PAID) is None
    assert hass.states.get("sensor.ev_charger_total_paid") is not None
