"""Actions are registered in async_setup, so they answer clearly before any account exists."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
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
