"""Changing an entry: a new key after a refused login, another endpoint or key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from . import validation
from .const import CONF_APPLICATION, CONF_ENDPOINT, CONF_NODE_ADDRESS, CONF_PRIVATE_KEY
from .forms import (
    PASSWORD_FIELD,
    URL_FIELD,
    InputError,
    validate_endpoint,
    validate_private_key,
)
from .onboarding import Account, BrokerChanged, async_login

REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PRIVATE_KEY): PASSWORD_FIELD})
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENDPOINT): URL_FIELD,
        vol.Optional(CONF_PRIVATE_KEY): PASSWORD_FIELD,
    }
)


class EntryChangeFlow(ConfigFlow):
    """Reauthentication and reconfiguration of an entry, same wallet on the same node."""

    _new_broker_data: dict[str, Any]  # reconfigure data awaiting the new broker's OK

    async def async_step_reauth(
        self,
        entry_data: Mapping[str, Any],  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start reauthentication after the ClearNode refused our login."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the wallet key again."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                key = validate_private_key(user_input[CONF_PRIVATE_KEY])
                data = {**entry.data, CONF_PRIVATE_KEY: key}
                account = await async_login(self.hass, data)
            except InputError as err:
                errors[err.field] = err.error
            else:
                if reason := _account_mismatch(entry, account):
                    return self.async_abort(reason=reason)
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            errors=errors,
            description_placeholders={"title": entry.title},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the endpoint or the wallet key (same wallet, same node)."""
        entry = self._get_reconfigure_entry()
        if validation.is_root_application(entry.data[CONF_APPLICATION]):
            return self.async_abort(reason="root_application")
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = {
                    **entry.data,
                    CONF_ENDPOINT: validate_endpoint(user_input[CONF_ENDPOINT]),
                }
                if user_input.get(CONF_PRIVATE_KEY):
                    data[CONF_PRIVATE_KEY] = validate_private_key(
                        user_input[CONF_PRIVATE_KEY]
                    )
                account = await async_login(self.hass, data)
            except BrokerChanged as err:
                self._new_broker_data = {**data, CONF_NODE_ADDRESS: err.broker}
                return await self.async_step_reconfigure_broker()
            except InputError as err:
                errors[err.field] = err.error
            else:
                return self._async_finish_reconfigure(entry, data, account)
        suggested = {CONF_ENDPOINT: (user_input or entry.data)[CONF_ENDPOINT]}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, suggested
            ),
            errors=errors,
        )

    async def async_step_reconfigure_broker(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the trusted and the new broker; submitting trusts the new one."""
        entry = self._get_reconfigure_entry()
        data = self._new_broker_data
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                account = await async_login(self.hass, data)
            except InputError as err:
                errors[err.field] = err.error
            else:
                return self._async_finish_reconfigure(entry, data, account)
        return self.async_show_form(
            step_id="reconfigure_broker",
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "expected": entry.data[CONF_NODE_ADDRESS],
                "actual": data[CONF_NODE_ADDRESS],
            },
        )

    def _async_finish_reconfigure(
        self, entry: ConfigEntry, data: dict[str, Any], account: Account
    ) -> ConfigFlowResult:
        if reason := _account_mismatch(entry, account):
            return self.async_abort(reason=reason)
        data = {**data, CONF_NODE_ADDRESS: account.node_address}
        return self.async_update_reload_and_abort(entry, data=data)


def _account_mismatch(entry: ConfigEntry, account: Account) -> str | None:
    """Return why the login belongs to another entry (the broker is pinned apart)."""
    if not str(entry.unique_id).startswith(f"{account.wallet_address.lower()}_"):
        return "wallet_mismatch"
    return None
