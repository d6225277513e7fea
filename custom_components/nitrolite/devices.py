"""The devices of an entry: its wallet, each app session and each payment preset.

The wallet device is identified by the entry's unique id (wallet and broker); app
session and preset devices by that id with the session id or the preset's subentry id.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import cast

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .clearnode import AppSession
from .const import DOMAIN

MANUFACTURER = "ERC-7824 Nitrolite"


def wallet_device_key(entry: ConfigEntry) -> str:
    """Return the identifier of the entry's wallet device (the wallet on this node)."""
    return str(entry.unique_id)


def session_device_key(entry: ConfigEntry, app_session_id: str) -> str:
    """Return the identifier of an app session's device."""
    return f"{wallet_device_key(entry)}_{app_session_id}"


def preset_device_key(entry: ConfigEntry, subentry_id: str) -> str:
    """Return the identifier of a payment preset's device."""
    return f"{wallet_device_key(entry)}_preset_{subentry_id}"


def _shorten(hex_id: str) -> str:
    return f"{hex_id[:6]}…{hex_id[-4:]}"


def wallet_device_info(entry: ConfigEntry, wallet_address: str) -> DeviceInfo:
    """Describe the entry's wallet device."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, wallet_device_key(entry))},
        manufacturer=MANUFACTURER,
        model="Wallet",
        translation_key="wallet",
        translation_placeholders={"address": _shorten(wallet_address)},
    )


def _linked_to_wallet(hass: HomeAssistant, entry: ConfigEntry) -> DeviceInfo:
    identifier = (DOMAIN, wallet_device_key(entry))
    if hasattr(dr, "async_get_device_id_by_identifier"):  # Home Assistant >= 2026.8
        return DeviceInfo(
            via_device_id=dr.async_get_device_id_by_identifier(
                hass, identifier, config_entry_id=entry.entry_id
            )
        )
    return cast("DeviceInfo", {"via_device": identifier})


def session_device_info(
    hass: HomeAssistant, entry: ConfigEntry, session: AppSession
) -> DeviceInfo:
    """Describe an app session's device, linked to the wallet device."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, session_device_key(entry, session.app_session_id))},
        manufacturer=MANUFACTURER,
        model=session.protocol,
        translation_key="app_session",
        translation_placeholders={
            "application": session.application,
            "short_id": _shorten(session.app_session_id),
        },
        **_linked_to_wallet(hass, entry),
    )


def preset_device_info(
    hass: HomeAssistant, entry: ConfigEntry, subentry_id: str, name: str
) -> DeviceInfo:
    """Describe a payment preset's device, linked to the wallet device."""
    return DeviceInfo(
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, preset_device_key(entry, subentry_id))},
        manufacturer=MANUFACTURER,
        model="Payment preset",
        name=name,
        **_linked_to_wallet(hass, entry),
    )


def app_session_of_device(entry: ConfigEntry, device: dr.DeviceEntry) -> str | None:
    """Return the app session a device shows; None for the wallet's and presets' devices."""
    kept = {wallet_device_key(entry)} | {
        preset_device_key(entry, subentry_id) for subentry_id in entry.subentries
    }
    for domain, key in device.identifiers:
        if domain == DOMAIN and key not in kept:
            return key.removeprefix(f"{wallet_device_key(entry)}_")
    return None


@callback
def async_remove_session_devices(
    hass: HomeAssistant, entry: ConfigEntry, app_session_ids: Iterable[str]
) -> None:
    """Remove the devices of app sessions Home Assistant no longer shows."""
    identifiers = {(DOMAIN, session_device_key(entry, id_)) for id_ in app_session_ids}
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device.identifiers & identifiers:
            registry.async_remove_device(device.id)


@callback
def async_remove_unknown_session_devices(
    hass: HomeAssistant, entry: ConfigEntry, known: Collection[str]
) -> None:
    """Remove the devices of app sessions the first read did not find.

    They closed while Home Assistant was not running, beyond what it shows as recently
    closed (on v1, which tells no close time, every one): nothing would update them.
    """
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        app_session_id = app_session_of_device(entry, device)
        if app_session_id is not None and app_session_id not in known:
            registry.async_remove_device(device.id)


@callback
def async_rename_preset_devices(
    hass: HomeAssistant, entry: ConfigEntry, names: Mapping[str, str]
) -> None:
    """Name each preset's device after the preset (names by subentry id)."""
    by_identifier = {
        (DOMAIN, preset_device_key(entry, subentry_id)): name
        for subentry_id, name in names.items()
    }
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        for identifier in device.identifiers & by_identifier.keys():
            if device.name != by_identifier[identifier]:
                registry.async_update_device(device.id, name=by_identifier[identifier])
