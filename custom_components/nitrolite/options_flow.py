"""Options of an entry: default asset, timeouts, retention, polling and spending caps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from .allowances import AssetOffer
from .clearnode import Feature
from .client import entry_features
from .const import (
    CONF_ALLOWANCES,
    CONF_CAPS_WINDOW,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_DEFAULT_ASSET,
    CONF_POLL_INTERVAL,
    CONF_REQUEST_TIMEOUT,
    DEFAULT_CAPS_WINDOW_HOURS,
    DEFAULT_CLOSED_SESSION_RETENTION_HOURS,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
)
from .forms import (
    LOCAL_CAPS_FIELDS,
    POLLING_FIELDS,
    STEP_ALLOWANCES,
    STEP_LOCAL_ALLOWANCES,
    TEXT_FIELD,
    InputError,
    allowances_from_input,
    allowances_schema,
    as_numbers,
    async_offered_assets,
    number_field,
)

GENERAL_FIELDS: dict[vol.Marker, Any] = {
    vol.Optional(CONF_DEFAULT_ASSET): TEXT_FIELD,
    vol.Required(
        CONF_REQUEST_TIMEOUT, default=DEFAULT_REQUEST_TIMEOUT_SECONDS
    ): number_field(1, 120, "s"),
    vol.Required(
        CONF_CLOSED_SESSION_RETENTION,
        default=DEFAULT_CLOSED_SESSION_RETENTION_HOURS,
    ): number_field(0, 720, "h"),
}


def options_schema(features: frozenset[Feature]) -> vol.Schema:
    """Return the general options, and polling and the caps' window where they apply.

    The window applies where Home Assistant enforces the caps (the node does not).
    """
    fields = dict(GENERAL_FIELDS)
    if Feature.POLLING in features:
        fields |= POLLING_FIELDS
    if Feature.SERVER_SPENDING_CAPS not in features:
        fields |= LOCAL_CAPS_FIELDS
    return vol.Schema(fields)


class NitroliteOptionsFlow(OptionsFlowWithReload):
    """Tune an entry; saving reloads it (new spending caps need a new session key)."""

    def __init__(self) -> None:
        """Nothing is chosen before the first form."""
        self._options: dict[str, Any] = {}
        self._offer = AssetOffer({})

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the general options, then the spending caps."""
        features = entry_features(self.hass, self.config_entry)
        if user_input is not None:
            self._options = _options_from_input(user_input)
            self._offer = await self._async_offer()
            if Feature.SERVER_SPENDING_CAPS in features:
                return await self.async_step_allowances()
            return await self.async_step_local_allowances()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(features), self.config_entry.options
            ),
        )

    async def async_step_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the spending cap of each asset, enforced by the node."""
        return await self._async_step_caps(STEP_ALLOWANCES, user_input)

    async def async_step_local_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the spending cap of each asset, enforced here."""
        window = self._options.get(CONF_CAPS_WINDOW, DEFAULT_CAPS_WINDOW_HOURS)
        return await self._async_step_caps(
            STEP_LOCAL_ALLOWANCES, user_input, window=str(window)
        )

    async def _async_step_caps(
        self, step_id: str, user_input: dict[str, Any] | None, **placeholders: str
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                caps = allowances_from_input(user_input, self._offer.assets)
            except InputError as err:
                errors[err.field] = err.error
            else:
                return self.async_create_entry(
                    data={**self._options, CONF_ALLOWANCES: caps}
                )
        current = self._current_caps()
        shown = user_input or as_numbers(
            {asset: current.get(asset, "0") for asset in self._offer.assets}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=allowances_schema(shown),
            errors=errors,
            description_placeholders={
                "balances": self._offer.describe(),
                **placeholders,
            },
        )

    def _current_caps(self) -> Mapping[str, str]:
        entry = self.config_entry
        caps: Mapping[str, str] = entry.options.get(
            CONF_ALLOWANCES, entry.data[CONF_ALLOWANCES]
        )
        return caps

    async def _async_offer(self) -> AssetOffer:
        """Return the ClearNode's assets, or those with a cap when it cannot be asked."""
        entry = self.config_entry
        assets = await async_offered_assets(entry) or list(self._current_caps())
        balances = None
        if entry.state is ConfigEntryState.LOADED:
            balances = entry.runtime_data.coordinator.data.balances
        return AssetOffer.of(assets, balances)


def _options_from_input(user_input: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        CONF_REQUEST_TIMEOUT: int(user_input[CONF_REQUEST_TIMEOUT]),
        CONF_CLOSED_SESSION_RETENTION: int(user_input[CONF_CLOSED_SESSION_RETENTION]),
    }
    options |= {
        key: int(user_input[key])
        for key in (CONF_POLL_INTERVAL, CONF_CAPS_WINDOW)
        if key in user_input
    }
    if asset := user_input.get(CONF_DEFAULT_ASSET, "").strip().lower():
        options[CONF_DEFAULT_ASSET] = asset
    return options
