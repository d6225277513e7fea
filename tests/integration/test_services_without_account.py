"""Actions are registered in async_setup, so they answer clearly before any account exists."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.selector import validate_selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
import pytest

from custom_components.nitrolite.const import DOMAIN
from custom_components.nitrolite.services import SERVICE_GET_BALANCES


@pytest.mark.parametrize(
    ("data", "translation_key"),
    [
        ({}, "no_loaded_entry"),
        ({"config_entry_id": "01JNOSUCHENTRY"}, "service_config_entry_not_found"),
    ],
)
async def test_without_an_account_the_action_names_the_problem(
    hass: HomeAssistant, data: dict[str, str], translation_key: str
) -> None:
    """Without a loaded account, the caller learns which one is missing."""
    assert await async_setup_component(hass, DOMAIN, {})

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, SERVICE_GET_BALANCES, data, blocking=True, return_response=True
        )

    assert err.value.translation_key == translation_key


def _described_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Flatten collapsible sections into their fields."""
    flat: dict[str, Any] = {}
    for name, field in fields.items():
        if "fields" in field and "selector" not in field:
            flat.update(field["fields"])
        else:
            flat[name] = field
    return flat


async def test_services_yaml_describes_every_schema_field_with_a_valid_selector(
    hass: HomeAssistant,
) -> None:
    """The UI's description of each action matches what the action accepts."""
    assert await async_setup_component(hass, DOMAIN, {})
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]

    assert set(descriptions) == set(hass.services.async_services_for_domain(DOMAIN))
    for name, registered in hass.services.async_services_for_domain(DOMAIN).items():
        assert registered.schema is not None
        accepted = {str(key) for key in registered.schema.schema}
        described = _described_fields(descriptions[name]["fields"])
        assert set(described) == accepted, name
        for field in described.values():
            validate_selector(field["selector"])
        assert ("response" in descriptions[name]) is (
            registered.supports_response is not SupportsResponse.NONE
        )
