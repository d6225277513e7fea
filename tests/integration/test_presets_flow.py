"""Payment presets are config subentries: add, validate, reconfigure, remove."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.selector import NumberSelector, SelectSelector, TextSelector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, WALLET
from .helpers import wait_for

ADVANCED = {
    "protocol": "NitroRPC/0.4",
    "own_weight": 100,
    "counterparty_weight": 0,
    "quorum": 100,
    "challenge": 0,
    "application": "home-assistant",
}
EV_CHARGER = {
    "name": "EV charger",
    "counterparty": COUNTERPARTY.lower(),
    "asset": "usdc",
    "deposit": 20,
    "unit_price": 0.3,
    "advanced": ADVANCED,
}
# COUNTERPARTY with the case of one letter changed: a typo the checksum catches.
MISTYPED_COUNTERPARTY = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"


async def start_preset_flow(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str | None = None
) -> dict[str, Any]:
    """Open the preset form, for a new preset or to reconfigure one."""
    context: dict[str, Any] = {"source": SOURCE_USER}
    if subentry_id is not None:
        context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "preset"), context=context
    )
    assert result["type"] is FlowResultType.FORM
    return dict(result)


async def add_preset(
    hass: HomeAssistant, entry: MockConfigEntry, **changes: Any
) -> dict[str, Any]:
    """Submit the preset form once; return the flow's answer."""
    result = await start_preset_flow(hass, entry)
    return dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**EV_CHARGER, **changes}
        )
    )


def only_preset_id(entry: MockConfigEntry) -> str:
    """Return the subentry id of the entry's only preset."""
    (subentry_id,) = [
        subentry.subentry_id
        for subentry in entry.subentries.values()
        if subentry.subentry_type == "preset"
    ]
    return subentry_id


async def test_the_form_has_defaults_for_the_app_definition(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The advanced section defaults to a two-party session only we sign for."""
    result = await start_preset_flow(hass, loaded_entry)
    assert result["step_id"] == "user"
    schema = result["data_schema"]
    assert schema is not None
    section = schema.schema["advanced"]
    assert section.options == {"collapsed": True}
    defaults = {key.schema: key.default() for key in section.schema.schema}
    assert defaults == ADVANCED


def field_selectors(result: dict[str, Any]) -> dict[str, Any]:
    """Return the form's selector by field name."""
    schema = result["data_schema"]
    assert schema is not None
    return {str(key): value for key, value in schema.schema.items()}


async def test_the_asset_is_picked_from_the_clearnodes_list(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The asset is a list of what the ClearNode offers; amounts are number fields."""
    result = await start_preset_flow(hass, loaded_entry)
    selectors = field_selectors(result)

    assert isinstance(selectors["asset"], SelectSelector)
    assert selectors["asset"].config["options"] == ["usdc", "ytest.usd"]
    for amount in ("deposit", "unit_price"):
        assert isinstance(selectors[amount], NumberSelector)
        assert selectors[amount].config["step"] == "any"
        assert selectors[amount].config["mode"] == "box"
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**EV_CHARGER, "asset": "btc"}
        )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**EV_CHARGER, "asset": "ytest.usd"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["asset"] == "ytest.usd"


async def test_the_asset_is_typed_while_the_clearnode_cannot_be_reached(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Without the ClearNode's list the asset is a text field, stored in lower case."""
    await clearnode.stop()
    await wait_for(hass, lambda: not loaded_entry.runtime_data.coordinator.connected)

    result = await start_preset_flow(hass, loaded_entry)
    assert isinstance(field_selectors(result)["asset"], TextSelector)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**EV_CHARGER, "asset": "  "}
    )
    assert result["errors"] == {"asset": "invalid_asset"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**EV_CHARGER, "asset": " USDC "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["asset"] == "usdc"


async def test_adding_a_preset_stores_it_normalised_and_adds_its_device(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The address is checksummed, the amounts normalised, and a device appears."""
    result = await add_preset(hass, loaded_entry)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = loaded_entry.subentries[only_preset_id(loaded_entry)]
    assert subentry.title == "EV charger"
    assert subentry.unique_id == "ev_charger"
    assert dict(subentry.data) == {
        "name": "EV charger",
        "counterparty": COUNTERPARTY,
        "asset": "usdc",
        "deposit": "20",
        "unit_price": "0.3",
        **ADVANCED,
    }
    devices = [
        device
        for device in dr.async_entries_for_config_entry(
            device_registry, loaded_entry.entry_id
        )
        if device.name == "EV charger"
    ]
    assert len(devices) == 1
    entities = er.async_entries_for_device(entity_registry, devices[0].id)
    assert sorted(entity.entity_id for entity in entities) == [
        "button.ev_charger_close_session",
        "button.ev_charger_open_session",
        "button.ev_charger_pay_one_unit",
        "sensor.ev_charger_remaining_deposit",
        "sensor.ev_charger_session_id",
        "sensor.ev_charger_session_status",
        "sensor.ev_charger_total_paid",
    ]
    assert {entity.config_subentry_id for entity in entities} == {subentry.subentry_id}
    assert hass.states.get("sensor.ev_charger_session_status").state == "none"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"counterparty": "0x1234"}, "counterparty", "invalid_address"),
        ({"counterparty": MISTYPED_COUNTERPARTY}, "counterparty", "invalid_address"),
        ({"counterparty": WALLET}, "counterparty", "counterparty_is_self"),
        ({"deposit": 0}, "deposit", "amount_not_positive"),
        ({"deposit": float("nan")}, "deposit", "invalid_amount"),
        ({"deposit": "1e999999999"}, "deposit", "invalid_amount"),
        ({"deposit": 1e80}, "deposit", "invalid_amount"),
        ({"unit_price": -0.3}, "unit_price", "invalid_amount"),
        ({"unit_price": 1e-37}, "unit_price", "invalid_amount"),
        ({"unit_price": "1e999999999"}, "unit_price", "invalid_amount"),
        ({"unit_price": 21}, "unit_price", "unit_price_exceeds_deposit"),
        (
            {"advanced": {**ADVANCED, "own_weight": 50, "counterparty_weight": 50}},
            "base",
            "quorum_not_reached",
        ),
        (
            {"advanced": {**ADVANCED, "counterparty_weight": 100}},
            "base",
            "quorum_reachable_without_us",
        ),
        (
            {"advanced": {**ADVANCED, "quorum": 1, "counterparty_weight": 1}},
            "base",
            "quorum_reachable_without_us",
        ),
        (
            {"advanced": {**ADVANCED, "application": " "}},
            "base",
            "invalid_application",
        ),
        (
            {"advanced": {**ADVANCED, "application": " ClearNode "}},
            "base",
            "root_application",
        ),
    ],
)
async def test_bad_input_is_refused_with_a_translated_error(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """Each invalid field gets its own error and nothing is stored."""
    result = await add_preset(hass, loaded_entry, **changes)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not loaded_entry.subentries


async def test_a_second_preset_with_the_same_name_is_refused(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Names are unique per account as services address presets by them."""
    await add_preset(hass, loaded_entry)
    result = await add_preset(hass, loaded_entry, name="ev charger")

    assert result["errors"] == {"name": "name_exists"}
    assert len(loaded_entry.subentries) == 1


async def test_reconfigure_shows_the_preset_and_changes_it(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A rename renames the device; the form starts from the stored values."""
    await add_preset(hass, loaded_entry)
    await hass.async_block_till_done()
    subentry_id = only_preset_id(loaded_entry)
    result = await start_preset_flow(hass, loaded_entry, subentry_id)
    assert result["step_id"] == "reconfigure"
    schema = result["data_schema"]
    assert schema is not None
    suggested = {
        key.schema: key.description["suggested_value"]
        for key in schema.schema
        if key.description
    }
    assert suggested["counterparty"] == COUNTERPARTY
    assert suggested["unit_price"] == 0.3

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**EV_CHARGER, "counterparty": COUNTERPARTY, "deposit": 0}
    )
    assert result["errors"] == {"deposit": "amount_not_positive"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {**EV_CHARGER, "name": "Garage charger", "unit_price": 0.25},
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = loaded_entry.subentries[subentry_id]
    assert (subentry.title, subentry.unique_id) == ("Garage charger", "garage_charger")
    assert subentry.data["unit_price"] == "0.25"
    names = {
        device.name
        for device in dr.async_entries_for_config_entry(
            device_registry, loaded_entry.entry_id
        )
    }
    assert "Garage charger" in names
    assert "EV charger" not in names


async def test_reconfigure_keeps_its_own_name(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Saving a preset under its own name is not a clash."""
    await add_preset(hass, loaded_entry)
    result = await start_preset_flow(hass, loaded_entry, only_preset_id(loaded_entry))
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], EV_CHARGER
    )
    assert result["reason"] == "reconfigure_successful"


async def test_removing_a_preset_removes_its_device_and_entities(
    hass: HomeAssistant,
    loaded_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Deleting the subentry takes its device and entities with it."""
    await add_preset(hass, loaded_entry)
    await hass.async_block_till_done()
    assert hass.states.get("button.ev_charger_open_session") is not None

    hass.config_entries.async_remove_subentry(
        loaded_entry, only_preset_id(loaded_entry)
    )
    await hass.async_block_till_done()

    assert entity_registry.async_get("button.ev_charger_open_session") is None
    assert hass.states.get("button.ev_charger_open_session") is None
