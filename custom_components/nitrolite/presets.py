"""Payment presets: a counterparty, a deposit and a unit price, with their current session.

A preset is a config subentry. Which app session belongs to which preset is kept in a
Store; the session's allocations are remembered with all of the wallet's sessions (storage).
A session being opened is saved as the preset's *opening* session before the request is
sent (its id follows from its definition), and becomes its current session once the
ClearNode is known to have created it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any, TypedDict

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigSubentry,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.storage import Store
from homeassistant.util import slugify

from .actions import BeforeSending, KeyedLocks, NitroliteActions
from .clearnode import EXACT, Allocation, AppDefinition, AppSession, parse_amount
from .const import (
    CONF_APPLICATION,
    CONF_ASSET,
    CONF_CHALLENGE,
    CONF_COUNTERPARTY,
    CONF_COUNTERPARTY_WEIGHT,
    CONF_DEPOSIT,
    CONF_METER,
    CONF_OWN_WEIGHT,
    CONF_PROTOCOL,
    CONF_QUORUM,
    CONF_UNIT_PRICE,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_PRESET,
)
from .coordinator import NitroliteCoordinator
from .devices import async_rename_preset_devices
from .meter import MeterSettings
from .validation import amount, validation_error

STORAGE_VERSION = 2

type PresetListener = Callable[[Iterable[str]], None]


@dataclass(frozen=True, slots=True)
class Preset:
    """What a payment preset's subentry says."""

    subentry_id: str
    name: str
    counterparty: str
    asset: str
    deposit: Decimal
    unit_price: Decimal
    protocol: str
    weights: tuple[int, int]
    quorum: int
    challenge: int
    application: str
    meter: MeterSettings | None

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> Preset:
        """Read a preset subentry's data."""
        data = subentry.data
        meter = data.get(CONF_METER)
        return cls(
            subentry_id=subentry.subentry_id,
            name=data[CONF_NAME],
            counterparty=data[CONF_COUNTERPARTY],
            asset=data[CONF_ASSET],
            deposit=parse_amount(data[CONF_DEPOSIT]),
            unit_price=parse_amount(data[CONF_UNIT_PRICE]),
            protocol=data[CONF_PROTOCOL],
            weights=(data[CONF_OWN_WEIGHT], data[CONF_COUNTERPARTY_WEIGHT]),
            quorum=data[CONF_QUORUM],
            challenge=data[CONF_CHALLENGE],
            application=data[CONF_APPLICATION],
            meter=None if meter is None else MeterSettings.from_data(meter),
        )

    @property
    def slug(self) -> str:
        """The name as services accept it, e.g. ev_charger."""
        return slugify(self.name)

    def definition(self, wallet: str, nonce: int) -> AppDefinition:
        """Return the app definition of a new session of this preset."""
        return AppDefinition(
            application=self.application,
            protocol=self.protocol,
            participants=(wallet, self.counterparty),
            weights=self.weights,
            quorum=self.quorum,
            challenge=self.challenge,
            nonce=nonce,
        )

    def funding(self, wallet: str) -> list[Allocation]:
        """We deposit; the counterparty joins with nothing."""
        return [
            Allocation(wallet, self.asset, self.deposit),
            Allocation(self.counterparty, self.asset, Decimal(0)),
        ]


class _StoredSessions(TypedDict):
    sessions: dict[str, str]  # current session by preset subentry id
    opening: dict[str, str]  # session being opened, by preset subentry id


class _PresetStore(Store[_StoredSessions]):
    """The presets' sessions; version 1 held the current sessions only."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        super().__init__(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.presets")

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> _StoredSessions:
        return {"sessions": old_data, "opening": {}}


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored preset sessions of a removed entry."""
    await _PresetStore(hass, entry_id).async_remove()


def _checked_ids(stored: Any, key: str) -> dict[str, str]:
    """Return one map of the stored presets' sessions, without malformed items."""
    items = stored.get(key) if isinstance(stored, dict) else None
    if not isinstance(items, dict):
        if stored is not None:
            LOGGER.warning("Ignored the stored %s sessions of presets: malformed", key)
        return {}
    return {
        subentry_id: session_id
        for subentry_id, session_id in items.items()
        if isinstance(session_id, str)
    }


class PresetManager:
    """The presets of one entry, their current sessions, and the actions on them."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        coordinator: NitroliteCoordinator,
        actions: NitroliteActions,
    ) -> None:
        """Nothing is read yet; see async_load."""
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self._actions = actions
        self._store = _PresetStore(hass, entry.entry_id)
        # App session id by preset subentry id: current, and being opened.
        self._session_ids: dict[str, str] = {}
        self._opening: dict[str, str] = {}
        self._open_locks = KeyedLocks()
        self._known_ids: set[str] = set()
        self._listeners: list[PresetListener] = []

    # Lifecycle ---------------------------------------------------------------

    async def async_load(self) -> None:
        """Recover which session belongs to which preset; settle interrupted opens.

        The coordinator has listed the open sessions by now: a session being opened
        before the restart is the preset's if the ClearNode has it, else forgotten.
        """
        stored = await self._store.async_load()
        self._session_ids = _checked_ids(stored, "sessions")
        self._opening = _checked_ids(stored, "opening")
        self._known_ids = set(self.presets)
        if self._async_settle_openings():
            await self._async_save()

    @callback
    def async_start(self) -> None:
        """Follow subentry changes until the entry unloads."""
        entry = self.entry
        entry.async_on_unload(
            async_dispatcher_connect(
                self.hass, SIGNAL_CONFIG_ENTRY_CHANGED, self._async_entry_changed
            )
        )
        entry.async_on_unload(
            self.coordinator.async_add_listener(self._async_coordinator_updated)
        )
        entry.async_on_unload(self._async_save)

    @callback
    def async_add_preset_listener(self, listener: PresetListener) -> None:
        """Call listener with the ids of the presets now and of those added later."""
        self._listeners.append(listener)
        self.entry.async_on_unload(lambda: self._listeners.remove(listener))
        listener(list(self.presets))

    @callback
    def _async_entry_changed(
        self, change: ConfigEntryChange, entry: ConfigEntry
    ) -> None:
        if entry is not self.entry or change is not ConfigEntryChange.UPDATED:
            return
        presets = self.presets
        added = [
            subentry_id for subentry_id in presets if subentry_id not in self._known_ids
        ]
        self._known_ids = set(presets)
        for sessions in (self._session_ids, self._opening):
            for subentry_id in set(sessions) - self._known_ids:
                del sessions[subentry_id]
        async_rename_preset_devices(
            self.hass,
            self.entry,
            {subentry_id: preset.name for subentry_id, preset in presets.items()},
        )
        for listener in list(self._listeners):
            listener(added)
        self.coordinator.async_update_listeners()

    async def _async_save(self) -> None:
        await self._store.async_save(
            {"sessions": self._session_ids, "opening": self._opening}
        )

    @callback
    def _async_coordinator_updated(self) -> None:
        if self._async_settle_openings():
            self.entry.async_create_task(self.hass, self._async_save())

    @callback
    def _async_settle_openings(self) -> bool:
        """Settle the opens not running now; return whether any was settled."""
        settled = False
        for subentry_id in list(self._opening):
            if not self._open_locks.locked(subentry_id):
                settled |= self._async_settle_opening(subentry_id)
        return settled

    @callback
    def _async_settle_opening(self, subentry_id: str) -> bool:
        """Adopt the session being opened once it exists, drop it once it cannot.

        Return whether it was settled; it is not while its outcome is still unknown.
        """
        session_id = self._opening.get(subentry_id)
        if session_id is None:  # the preset was removed meanwhile
            return False
        if session_id in self.coordinator.data.sessions:
            self._session_ids[subentry_id] = session_id
        elif session_id in self.coordinator.unanswered:
            return False
        del self._opening[subentry_id]
        return True

    # Presets and their sessions ------------------------------------------------

    @property
    def presets(self) -> dict[str, Preset]:
        """The entry's presets by subentry id."""
        return {
            subentry.subentry_id: Preset.from_subentry(subentry)
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_TYPE_PRESET
        }

    def get(self, subentry_id: str) -> Preset | None:
        """Return a preset by subentry id, if it still exists."""
        subentry = self.entry.subentries.get(subentry_id)
        if subentry is None or subentry.subentry_type != SUBENTRY_TYPE_PRESET:
            return None
        return Preset.from_subentry(subentry)

    def find(self, key: str) -> Preset:
        """Return the preset with this subentry id, name or slug."""
        slug = slugify(key)
        for preset in self.presets.values():
            if key == preset.subentry_id or slug == preset.slug:
                return preset
        raise validation_error("unknown_preset", preset=key)

    def session(self, subentry_id: str) -> AppSession | None:
        """Return the preset's latest session, while Home Assistant knows it."""
        session_id = self._session_ids.get(subentry_id)
        if session_id is None:
            return None
        return self.coordinator.data.session(session_id)

    def open_session(self, subentry_id: str) -> AppSession | None:
        """Return the preset's session if it is open."""
        session = self.session(subentry_id)
        return session if session is not None and session.status == "open" else None

    def paid(self, preset: Preset) -> Decimal | None:
        """Return what the counterparty holds in the preset's session: paid so far."""
        session = self.session(preset.subentry_id)
        if session is None or session.allocations is None:
            return None
        with localcontext(EXACT):
            return sum(
                (
                    allocation.amount
                    for allocation in session.allocations
                    if allocation.participant == preset.counterparty
                    and allocation.asset == preset.asset
                ),
                Decimal(0),
            )

    def remaining(self, preset: Preset) -> Decimal | None:
        """Return what we still hold in the preset's session."""
        session = self.session(preset.subentry_id)
        if session is None:
            return None
        return self.coordinator.data.own_allocation(session.app_session_id).get(
            preset.asset
        )

    # Actions -------------------------------------------------------------------

    async def async_open(
        self,
        preset: Preset,
        nonce: int | None = None,
        session_data: str | None = None,
    ) -> AppSession:
        """Open a session with the preset's counterparty, deposit and definition.

        One open per preset at a time: a second waits, then finds the first's session.
        """
        subentry_id = preset.subentry_id
        async with self._open_locks(subentry_id):
            if (opening := self._opening.get(subentry_id)) is not None:
                await self.coordinator.unanswered.async_wait(opening)
                if self._async_settle_opening(subentry_id):
                    await self._async_save()
            if self.open_session(subentry_id) is not None:
                raise validation_error("preset_session_open", preset=preset.name)
            wallet = self._actions.wallet_address
            definition = preset.definition(wallet, nonce or self._actions.next_nonce())
            self._opening[subentry_id] = self._actions.app_session_id(definition)
            await self._async_save()
            try:
                return await self._actions.async_create_app_session(
                    definition, preset.funding(wallet), session_data
                )
            finally:
                if self._async_settle_opening(subentry_id):
                    await self._async_save()
                self.coordinator.async_update_listeners()

    async def async_pay(
        self,
        preset: Preset,
        units: Decimal,
        *,
        before_sending: BeforeSending | None = None,
    ) -> AppSession:
        """Pay units × the preset's unit price in its open session."""
        if units <= 0:
            raise validation_error("units_not_positive", units=str(units))
        session = self._require_open(preset)
        with localcontext(EXACT):
            due = units * preset.unit_price
        return await self._actions.async_pay_in_session(
            session.app_session_id,
            amount(due, "units"),
            preset.asset,
            None,
            preset.counterparty,
            before_sending=before_sending,
        )

    async def async_top_up(self, preset: Preset) -> AppSession:
        """Add the preset's deposit to its open session."""
        session = self._require_open(preset)
        return await self._actions.async_deposit_in_session(
            session.app_session_id, preset.asset, preset.deposit
        )

    async def async_close(
        self,
        preset: Preset,
        allocations: Sequence[Allocation] | None = None,
        session_data: str | None = None,
    ) -> AppSession:
        """Close the preset's open session."""
        session = self._require_open(preset)
        return await self._actions.async_close_app_session(
            session.app_session_id, allocations, session_data
        )

    def _require_open(self, preset: Preset) -> AppSession:
        session = self.open_session(preset.subentry_id)
        if session is None:
            raise validation_error("preset_no_open_session", preset=preset.name)
        return session
