"""The flows that fix repair issues (which ``issues`` raises)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr

from . import issues
from .allowances import AssetOffer
from .clearnode import V1_PROTOCOL, Dialect
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_CAPS_WINDOW,
    CONF_CHALLENGE,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_FAUCET_URL,
    CONF_NODE_ADDRESS,
    CONF_NODE_VERSION,
    CONF_PRIVATE_KEY,
    CONF_PROTOCOL,
    DEFAULT_APPLICATION,
    ISSUE_ENDPOINT_UPGRADED,
    SUBENTRY_TYPE_PRESET,
)
from .forms import (
    NITRONODE_SCHEMA,
    STEP_LOCAL_ALLOWANCES,
    InputError,
    allowances_from_input,
    allowances_schema,
    as_numbers,
    faucet_url,
    nitronode_settings,
)
from .onboarding import Account, Endpoint, async_probe, async_read_offer
from .presets import async_remove_store
from .storage import async_remove_session_store
from .validation import application_id

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult


class ReloadEntryRepairFlow(RepairsFlow):
    """Confirm, then reload the entry so it registers a fresh session key."""

    def __init__(self, entry_id: str, title: str) -> None:
        """Remember which entry to reload."""
        self._entry_id = entry_id
        self._title = title

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002 - the issue's id only
    ) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Reload the entry once the user confirms."""
        if user_input is None:
            return self.async_show_form(
                step_id="confirm", description_placeholders={"title": self._title}
            )
        if self.hass.config_entries.async_get_entry(self._entry_id) is not None:
            self.hass.config_entries.async_schedule_reload(self._entry_id)
        return self.async_create_entry(data={})


class EndpointUpgradedRepairFlow(RepairsFlow):
    """Convert a v0.5 entry whose endpoint now speaks Nitronode v1.

    The wallet and its key stay; only the v1 settings are asked. Submitting the first
    form trusts the node address it shows.
    """

    def __init__(self, entry: ConfigEntry) -> None:
        """Remember the entry to convert."""
        self._entry = entry
        self._endpoint: Endpoint | None = None
        self._data: dict[str, Any] = {}
        self._options: dict[str, Any] = {}
        self._account: Account | None = None
        self._offer = AssetOffer({})

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - the issue's id only
    ) -> RepairsFlowResult:
        """Ask the endpoint again which node answers there."""
        try:
            endpoint = await async_probe(self.hass, self._entry.data[CONF_ENDPOINT])
        except InputError:
            endpoint = None
        if endpoint is None or endpoint.dialect is not Dialect.V1:
            return self.async_abort(reason="endpoint_not_v1")
        self._endpoint = endpoint
        return await self.async_step_nitronode()

    async def async_step_nitronode(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show the node; ask for the application id, polling and the caps' window."""
        assert self._endpoint is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await self._async_read_settings(user_input)
            except InputError as err:
                errors[err.field] = err.error
            else:
                return await self.async_step_local_allowances()
        return self.async_show_form(
            step_id="nitronode",
            data_schema=self.add_suggested_values_to_schema(
                NITRONODE_SCHEMA, user_input or self._suggested_settings()
            ),
            errors=errors,
            description_placeholders={
                "title": self._entry.title,
                "endpoint": self._endpoint.url,
                "node_address": str(self._endpoint.node_address),
                "node_version": str(self._endpoint.node_version),
            },
        )

    def _suggested_settings(self) -> dict[str, Any]:
        """Keep the entry's application where a v1 node accepts it."""
        application = self._entry.data[CONF_APPLICATION]
        try:
            application_id(application, CONF_APPLICATION)
        except ServiceValidationError:
            application = DEFAULT_APPLICATION
        return {CONF_APPLICATION: application}

    async def _async_read_settings(self, user_input: dict[str, Any]) -> None:
        """Check the settings, then read the wallet's offer from the v1 node."""
        assert self._endpoint is not None
        application, self._options = nitronode_settings(user_input)
        self._data = {
            CONF_DIALECT: Dialect.V1.value,
            CONF_ENDPOINT: self._endpoint.url,
            CONF_PRIVATE_KEY: self._entry.data[CONF_PRIVATE_KEY],
            CONF_APPLICATION: application,
            CONF_NODE_ADDRESS: self._endpoint.node_address,
            CONF_NODE_VERSION: self._endpoint.node_version,
            CONF_FAUCET_URL: faucet_url(self._endpoint.url),
        }
        self._account, self._offer = await async_read_offer(self.hass, self._data)
        other = self.hass.config_entries.async_entry_for_domain_unique_id(
            self._entry.domain, self._account.unique_id
        )
        if other is not None and other.entry_id != self._entry.entry_id:
            raise InputError("base", "already_configured")

    async def async_step_local_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Ask for the caps Home Assistant enforces; then convert and reload."""
        errors: dict[str, str] = {}
        if user_input is not None or not self._offer.assets:
            try:
                caps = allowances_from_input(user_input or {}, self._offer.assets)
            except InputError as err:
                errors[err.field] = err.error
            else:
                await self._async_convert(caps)
                return self.async_create_entry(data={})
        return self.async_show_form(
            step_id=STEP_LOCAL_ALLOWANCES,
            data_schema=allowances_schema(user_input or self._suggested_caps()),
            errors=errors,
            description_placeholders={
                "balances": self._offer.describe(),
                "window": str(self._options[CONF_CAPS_WINDOW]),
            },
        )

    def _suggested_caps(self) -> dict[str, float]:
        """Keep the entry's cap of an asset the v1 node offers too."""
        entry = self._entry
        current = entry.options.get(CONF_ALLOWANCES, entry.data[CONF_ALLOWANCES])
        return as_numbers(
            {
                asset: current.get(asset, suggestion)
                for asset, suggestion in self._offer.suggested_caps().items()
            }
        )

    async def _async_convert(self, caps: dict[str, str]) -> None:
        """Make the entry a v1 entry of the same wallet, then reload it.

        Its devices, remembered sessions and presets' sessions were the v0.5 node's;
        the presets stay, their sessions without a protocol version.
        """
        assert self._account is not None
        hass, entry = self.hass, self._entry
        await async_remove_session_store(hass, entry.entry_id)
        await async_remove_store(hass, entry.entry_id)
        registry = dr.async_get(hass)
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
            registry.async_remove_device(device.id)
        for subentry in entry.subentries.values():
            if subentry.subentry_type == SUBENTRY_TYPE_PRESET:
                hass.config_entries.async_update_subentry(
                    entry,
                    subentry,
                    data={
                        **subentry.data,
                        CONF_PROTOCOL: V1_PROTOCOL,
                        CONF_CHALLENGE: 0,
                    },
                )
        options = {
            key: value for key, value in entry.options.items() if key != CONF_ALLOWANCES
        }
        hass.config_entries.async_update_entry(
            entry,
            data={**self._data, CONF_ALLOWANCES: caps},
            options=options | self._options,
            unique_id=self._account.unique_id,
        )
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_create_fix_flow(
    hass: HomeAssistant,
    issue_id: str,
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow that fixes a fixable issue."""
    assert data is not None  # noqa: S101 - every fixable issue is created with data
    entry_id = str(data["entry_id"])
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is not None and issue_id == issues.issue_id(
        ISSUE_ENDPOINT_UPGRADED, entry_id
    ):
        return EndpointUpgradedRepairFlow(entry)
    return ReloadEntryRepairFlow(entry_id, str(data["title"]))
