"""Test tokens from the faucet: the action and the wallet device's button."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.const import CONF_FAUCET_URL, DOMAIN
from custom_components.nitrolite.devices import wallet_device_key
from local_nitronode import LocalNitronode

from .conftest import WALLET, setup_entry
from .flow_helpers import v1_entry
from .helpers import call, wait_for


def faucet_button(hass: HomeAssistant, entry: MockConfigEntry) -> str | None:
    """Return the entity id of the entry's Request test tokens button, if any."""
    return er.async_get(hass).async_get_entity_id(
        BUTTON_DOMAIN, DOMAIN, f"{wallet_device_key(entry)}_request_test_tokens"
    )


@pytest.fixture
async def empty_v1_entry(
    hass: HomeAssistant, empty_nitronode: LocalNitronode
) -> MockConfigEntry:
    """Return WALLET's entry, set up, on a local Nitronode where it holds nothing."""
    entry = v1_entry(empty_nitronode)
    await setup_entry(hass, entry)
    return entry


async def test_the_action_returns_what_the_faucet_sent(
    hass: HomeAssistant,
    empty_nitronode: LocalNitronode,
    empty_v1_entry: MockConfigEntry,
) -> None:
    """The tokens arrive in the wallet, and the next read of its balance shows them."""
    response = await call(hass, "request_test_tokens")

    assert response == {"asset": "yusd", "amount": "10"}
    assert empty_nitronode.balance(WALLET, "yusd") == Decimal(10)
    coordinator = empty_v1_entry.runtime_data.coordinator
    await coordinator.async_request_refresh()
    await wait_for(hass, lambda: coordinator.data.balances.get("yusd") == Decimal(10))


async def test_a_second_request_within_a_day_is_refused_by_the_faucet(
    hass: HomeAssistant,
    empty_nitronode: LocalNitronode,
    empty_v1_entry: MockConfigEntry,
) -> None:
    """The faucet's once-per-24-h limit reads as a translated error; nothing more comes."""
    await call(hass, "request_test_tokens")

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "request_test_tokens")

    assert err.value.translation_key == "faucet_limit"
    assert empty_nitronode.balance(WALLET, "yusd") == Decimal(10)


async def test_an_unreachable_faucet_is_a_translated_error(
    hass: HomeAssistant,
    empty_nitronode: LocalNitronode,
    empty_v1_entry: MockConfigEntry,
) -> None:
    """Nothing was sent: the error says the faucet could not be reached."""
    await empty_nitronode.stop()

    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "request_test_tokens")

    assert err.value.translation_key == "faucet_unreachable"


async def test_the_button_requests_tokens_and_then_reports_the_limit(
    hass: HomeAssistant,
    empty_nitronode: LocalNitronode,
    empty_v1_entry: MockConfigEntry,
) -> None:
    """The wallet device's button does what the action does."""
    entity_id = faucet_button(hass, empty_v1_entry)
    assert entity_id is not None

    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    assert empty_nitronode.balance(WALLET, "yusd") == Decimal(10)

    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
    assert err.value.translation_key == "faucet_limit"


async def test_a_clearnode_entry_has_no_button_and_the_action_refuses(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """A ClearNode v0.5 has no faucet."""
    assert faucet_button(hass, loaded_entry) is None

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "request_test_tokens")

    assert err.value.translation_key == "no_faucet"


async def test_a_nitronode_without_a_known_faucet_has_none_either(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Production and other public nodes: no button, and the action refuses."""
    entry = v1_entry(nitronode, data={CONF_FAUCET_URL: None})
    await setup_entry(hass, entry)

    assert faucet_button(hass, entry) is None
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "request_test_tokens")
    assert err.value.translation_key == "no_faucet"
    assert nitronode.balance(WALLET, "yusd") == Decimal(100)
