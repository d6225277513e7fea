"""What a loaded config entry holds (``entry.runtime_data``)."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from .actions import NitroliteActions
from .clearnode import WalletClient
from .coordinator import NitroliteCoordinator
from .metering import MeterManager
from .presets import PresetManager

type NitroliteConfigEntry = ConfigEntry[NitroliteRuntimeData]


@dataclass
class NitroliteRuntimeData:
    """The client, the state model and what acts on it, of one loaded entry."""

    client: WalletClient
    coordinator: NitroliteCoordinator
    actions: NitroliteActions
    presets: PresetManager
    meters: MeterManager
