"""The Nitrolite integration: pay and get paid over ERC-7824 state channels."""

from __future__ import annotations

import asyncio

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from . import issues
from .actions import NitroliteActions
from .clearnode import (
    ClearNodeError,
    ClearNodeValidationError,
    Dialect,
    ProbeOutcome,
    probe,
    to_checksum_address,
)
from .client import create_client, dialect, request_timeout
from .const import (
    CONF_APPLICATION,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_NODE_ADDRESS,
    DOMAIN,
    ISSUE_ENDPOINT_UPGRADED,
    ISSUE_ROOT_APPLICATION,
    LOGGER,
)
from .coordinator import NitroliteCoordinator
from .data import NitroliteConfigEntry, NitroliteRuntimeData
from .devices import app_session_of_device, wallet_device_info
from .metering import MeterManager, async_remove_meter_store
from .presets import PresetManager, async_remove_store
from .services import async_setup_services
from .spending import async_remove_spending_store
from .storage import async_remove_session_store
from .validation import is_root_application

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
REVOKE_TIMEOUT_SECONDS = 15


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the integration's actions once."""
    async_setup_services(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: NitroliteConfigEntry) -> bool:
    """1.2 pins the node (the broker) and names the dialect (v0.5, the only one before).

    The unique id has named the broker since the entry was added.
    """
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        data = {**entry.data, CONF_DIALECT: Dialect.V05.value}
        if broker := _broker_of_unique_id(entry.unique_id):
            data[CONF_NODE_ADDRESS] = broker
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
    return True


def _broker_of_unique_id(unique_id: str | None) -> str | None:
    """Return the broker of a "<wallet>_<broker>" unique id, if it names one."""
    _, _, broker = str(unique_id).partition("_")
    try:
        return to_checksum_address(broker)
    except ClearNodeValidationError:
        return None


async def async_setup_entry(hass: HomeAssistant, entry: NitroliteConfigEntry) -> bool:
    """Log in, read the state, then follow the ClearNode's pushes."""
    _check_application(hass, entry)
    client = create_client(hass, entry.data, entry.options)
    coordinator = NitroliteCoordinator(
        hass, entry, client, request_timeout(entry.options)
    )
    try:
        await coordinator.async_connect()
    except ConfigEntryNotReady:
        if dialect(entry.data) is Dialect.V05:
            await _async_check_upgrade(hass, entry)
        raise
    if CONF_NODE_ADDRESS not in entry.data:
        # An entry whose unique id named no broker trusts the first one it met.
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_NODE_ADDRESS: client.node_address}
        )
    await coordinator.async_config_entry_first_refresh()
    actions = NitroliteActions(hass, entry, coordinator)
    presets = PresetManager(hass, entry, coordinator, actions)
    await presets.async_load()
    meters = MeterManager(hass, entry, presets)
    await meters.async_load()
    entry.runtime_data = NitroliteRuntimeData(
        client, coordinator, actions, presets, meters
    )
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        **wallet_device_info(entry, client.wallet_address),
    )
    coordinator.async_start()
    presets.async_start()
    meters.async_start()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _check_application(hass: HomeAssistant, entry: NitroliteConfigEntry) -> None:
    """Stop an entry made before the ClearNode's own application name was refused.

    A session key of that application would be the ClearNode's root key, to which no
    application or spending cap applies: the entry must not log in with it.
    """
    application = entry.data[CONF_APPLICATION]
    if is_root_application(application):
        issues.async_create_issue(
            hass, entry, ISSUE_ROOT_APPLICATION, application=application
        )
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="root_application_entry",
            translation_placeholders={"application": application},
        )


async def _async_check_upgrade(
    hass: HomeAssistant, entry: NitroliteConfigEntry
) -> None:
    """Stop a v0.5 entry whose endpoint now speaks Nitronode v1 (its operator upgraded).

    Retrying would never succeed: a repair offers to convert the entry instead.
    """
    endpoint = entry.data[CONF_ENDPOINT]
    result = await probe(async_get_clientsession(hass), endpoint)
    if result.outcome is not ProbeOutcome.V1:
        return
    issues.async_create_issue(
        hass,
        entry,
        ISSUE_ENDPOINT_UPGRADED,
        endpoint=endpoint,
        node_version=str(result.node_version),
    )
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="endpoint_upgraded",
        translation_placeholders={"endpoint": endpoint},
    )


async def async_unload_entry(hass: HomeAssistant, entry: NitroliteConfigEntry) -> bool:
    """Unload the platforms; the coordinator's shutdown closes the connection."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: NitroliteConfigEntry) -> None:
    """Revoke the session key; forget the remembered sessions, spends, presets, meters, issues."""
    await _async_revoke_session_key(hass, entry)
    await async_remove_session_store(hass, entry.entry_id)
    await async_remove_spending_store(hass, entry.entry_id)
    await async_remove_store(hass, entry.entry_id)
    await async_remove_meter_store(hass, entry.entry_id)
    issues.async_delete_issues(hass, entry)


async def _async_revoke_session_key(
    hass: HomeAssistant, entry: NitroliteConfigEntry
) -> None:
    """Leave no usable session key of this wallet and application on the ClearNode.

    Logging in registers a fresh key, which replaces the previous one of the same wallet
    and application; revoking the fresh key then leaves none.
    """
    client = create_client(hass, entry.data, entry.options)
    try:
        async with asyncio.timeout(REVOKE_TIMEOUT_SECONDS):
            await client.connect()
            await client.release_credentials()
    except (ClearNodeError, TimeoutError) as err:
        LOGGER.warning(
            "Could not revoke the session key of %s; it stops working when it expires: %s",
            entry.title,
            err,
        )
    finally:
        await client.close()


async def async_remove_config_entry_device(
    hass: HomeAssistant,  # noqa: ARG001
    entry: NitroliteConfigEntry,
    device_entry: dr.DeviceEntry,
) -> bool:
    """Let the user delete a closed app session's device; wallet and presets stay.

    An open session's device stays: Home Assistant may hold the only copy of its
    allocations, without which it could not be paid in or closed by default.
    """
    session_id = app_session_of_device(entry, device_entry)
    if session_id is None:
        return False
    coordinator = entry.runtime_data.coordinator
    session = coordinator.data.session(session_id)
    if session is not None and session.status == "open":
        return False
    coordinator.async_forget_session(session_id)
    return True
