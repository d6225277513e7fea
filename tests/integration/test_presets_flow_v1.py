"""Payment presets of a Nitronode v1 entry: definitions without a protocol version."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import V1_PROTOCOL
from local_nitronode import LocalNitronode

from .conftest import COUNTERPARTY, WALLET, setup_entry
from .flow_helpers import v1_entry
from .helpers import call

ADVANCED = {
    "own_weight": 100,
    "counterparty_weight": 0,
    "quorum": 100,
    "application": "home-assistant",
}
CHARGER = {
    "name": "EV charger",
    "counterparty": COUNTERPARTY.lower(),
    "asset": "yusd",
    "deposit": 20,
    "unit_price": 0.3,
    "advanced": ADVANCED,
}


@pytest.fixture
async def loaded_v1_entry(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> MockConfigEntry:
    """Return WALLET's entry on the local Nitronode, set up."""
    entry = v1_entry(nitronode)
    await setup_entry(hass, entry)
    return entry


async def open_form(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Open the form of a new preset."""
    return dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, "preset"), context={"source": SOURCE_USER}
        )
    )


def advanced_fields(result: dict[str, Any]) -> dict[str, Any]:
    """Return the App definition section's fields: name to (default, selector)."""
    schema = result["data_schema"]
    assert schema is not None
    section = schema.schema["advanced"]
    return {
        str(key): (key.default(), selector)
        for key, selector in section.schema.schema.items()
    }


async def test_the_definition_has_no_protocol_nor_challenge_and_weights_to_255(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry
) -> None:
    """A Nitronode's sessions have neither; weights and quorum are single bytes."""
    fields = advanced_fields(await open_form(hass, loaded_v1_entry))

    assert {name: default for name, (default, _) in fields.items()} == ADVANCED
    for name in ("own_weight", "counterparty_weight", "quorum"):
        assert fields[name][1].config["max"] == 255


async def test_a_preset_is_stored_without_a_protocol_version(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_v1_entry: MockConfigEntry
) -> None:
    """The stored definition is the one a Nitronode accepts: its sessions open."""
    result = await open_form(hass, loaded_v1_entry)
    result = dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], CHARGER)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "name": "EV charger",
        "counterparty": COUNTERPARTY,
        "asset": "yusd",
        "deposit": "20",
        "unit_price": "0.3",
        "protocol": V1_PROTOCOL,
        "own_weight": 100,
        "counterparty_weight": 0,
        "quorum": 100,
        "challenge": 0,
        "application": "home-assistant",
    }
    await hass.async_block_till_done()
    await call(hass, "create_app_session", preset="ev_charger")
    await call(hass, "pay_in_session", preset="ev_charger", units="2")
    await call(hass, "close_app_session", preset="ev_charger")
    assert nitronode.balance(WALLET, "yusd") == Decimal("99.4")
    assert nitronode.balance(COUNTERPARTY, "yusd") == Decimal("0.6")


@pytest.mark.parametrize("field", ["own_weight", "counterparty_weight", "quorum"])
async def test_weights_and_quorum_over_255_are_refused(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry, field: str
) -> None:
    """The form does not take what the node could not store."""
    result = await open_form(hass, loaded_v1_entry)
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {**CHARGER, "advanced": {**ADVANCED, "quorum": 256, field: 256}},
        )


async def test_the_application_follows_the_nodes_pattern(
    hass: HomeAssistant, loaded_v1_entry: MockConfigEntry
) -> None:
    """An application id the node would refuse is refused here, by name."""
    result = await open_form(hass, loaded_v1_entry)
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {**CHARGER, "advanced": {**ADVANCED, "application": "Home Assistant"}},
        )
    )

    assert result["errors"] == {"base": "invalid_application_id"}


async def test_the_form_follows_the_nodes_features_while_not_loaded(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """An entry that is not set up still gets the v1 definition fields."""
    entry = v1_entry(nitronode)
    entry.add_to_hass(hass)

    fields = advanced_fields(await open_form(hass, entry))

    assert "protocol" not in fields
    assert "challenge" not in fields
