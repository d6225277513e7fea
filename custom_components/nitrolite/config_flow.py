"""Config flow of the Nitrolite integration: log in to a ClearNode with a wallet key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
import ipaddress
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import HomeAssistant, callback
from yarl import URL

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from . import validation
from .allowances import AssetOffer, offered_assets
from .clearnode import (
    ClearNodeBrokerChangedError,
    ClearNodeError,
    ClearNodeValidationError,
    Dialect,
    Signer,
    WalletClient,
)
from .client import create_client
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_NODE_ADDRESS,
    CONF_PRIVATE_KEY,
    CONF_SESSION_KEY_LIFETIME,
    DEFAULT_APPLICATION,
    DEFAULT_SESSION_KEY_LIFETIME_HOURS,
    DOMAIN,
    LOGGER,
    SUBENTRY_TYPE_PRESET,
)
from .errors import translate
from .forms import (
    PASSWORD_FIELD,
    STEP_ALLOWANCES,
    TEXT_FIELD,
    URL_FIELD,
    InputError,
    allowances_from_input,
    allowances_schema,
    as_numbers,
    errors_on,
    number_field,
)
from .options_flow import NitroliteOptionsFlow
from .preset_flow import PresetSubentryFlow

USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENDPOINT): URL_FIELD,
        vol.Required(CONF_PRIVATE_KEY): PASSWORD_FIELD,
        vol.Required(CONF_APPLICATION, default=DEFAULT_APPLICATION): TEXT_FIELD,
        vol.Required(
            CONF_SESSION_KEY_LIFETIME, default=DEFAULT_SESSION_KEY_LIFETIME_HOURS
        ): number_field(1, 720, "h"),
    }
)
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PRIVATE_KEY): PASSWORD_FIELD})
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENDPOINT): URL_FIELD,
        vol.Optional(CONF_PRIVATE_KEY): PASSWORD_FIELD,
    }
)


class BrokerChanged(InputError):
    """The ClearNode names another broker than the entry trusts."""

    def __init__(self, broker: str) -> None:
        """Keep the new broker's address for the confirmation step."""
        super().__init__("base", "broker_changed")
        self.broker = broker


@dataclass(frozen=True, slots=True)
class Account:
    """Who logged in where."""

    wallet_address: str
    broker_address: str

    @property
    def unique_id(self) -> str:
        """Entry id: our wallet on this ClearNode."""
        return f"{self.wallet_address}_{self.broker_address}".lower()


def _is_local_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def validate_endpoint(endpoint: str) -> str:
    """Require wss://, or ws:// to a loopback or private-network host."""
    try:
        url = URL(endpoint.strip())
    except ValueError as err:
        raise InputError(CONF_ENDPOINT, "invalid_endpoint") from err
    if not url.host or url.scheme not in {"ws", "wss"}:
        raise InputError(CONF_ENDPOINT, "invalid_endpoint")
    if url.scheme == "ws" and not _is_local_host(url.host):
        raise InputError(CONF_ENDPOINT, "insecure_endpoint")
    return str(url)


def validate_private_key(private_key: str) -> str:
    """Accept 64 hex digits with or without 0x; return the 0x form."""
    key = private_key.strip().lower().removeprefix("0x")
    try:
        Signer.from_key(key)
    except ClearNodeValidationError as err:
        raise InputError(CONF_PRIVATE_KEY, "invalid_private_key") from err
    return f"0x{key}"


@asynccontextmanager
async def _logged_in(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> AsyncIterator[WalletClient]:
    """Log in with the entry data (to its broker, if it has one); disconnect when done."""
    client = create_client(hass, data, {})
    try:
        await client.connect()
        yield client
    except ClearNodeBrokerChangedError as err:
        raise BrokerChanged(err.actual) from err
    except ClearNodeError as err:
        raise InputError("base", translate(err).form_error) from err
    except Exception as err:
        LOGGER.exception("Unexpected error while logging in to the ClearNode")
        raise InputError("base", "unknown") from err
    finally:
        await client.close()


def _account(client: WalletClient) -> Account:
    return Account(client.wallet_address, str(client.node_address))


async def async_login(hass: HomeAssistant, data: Mapping[str, Any]) -> Account:
    """Log in once with the entry data, then disconnect."""
    async with _logged_in(hass, data) as client:
        return _account(client)


async def async_read_offer(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[Account, AssetOffer]:
    """Log in, then read the assets on offer and the wallet's unified balance."""
    async with _logged_in(hass, data) as client:
        assets = await client.get_assets()
        balances = await client.get_balances()
        return _account(client), AssetOffer.of(
            offered_assets(assets),
            {balance.asset: balance.amount for balance in balances},
        )


def _login_data(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Check the first form; the session key may spend nothing until caps are set."""
    endpoint = validate_endpoint(user_input[CONF_ENDPOINT])
    private_key = validate_private_key(user_input[CONF_PRIVATE_KEY])
    with errors_on(CONF_APPLICATION):
        application = validation.application(
            user_input[CONF_APPLICATION], CONF_APPLICATION
        )
    return {
        CONF_DIALECT: Dialect.V05.value,
        CONF_ENDPOINT: endpoint,
        CONF_PRIVATE_KEY: private_key,
        CONF_APPLICATION: application,
        CONF_ALLOWANCES: {},
        CONF_SESSION_KEY_LIFETIME: int(user_input[CONF_SESSION_KEY_LIFETIME]),
    }


class NitroliteConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a wallet on a ClearNode."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: the broker address is stored and pinned

    _new_broker_data: dict[str, Any]  # reconfigure data awaiting the new broker's OK

    def __init__(self) -> None:
        """Nothing is known before the first form."""
        self._data: dict[str, Any] = {}
        self._account: Account | None = None
        self._offer = AssetOffer({})

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> NitroliteOptionsFlow:  # noqa: ARG004
        """Options: default asset, timeouts, retention, spending caps."""
        return NitroliteOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry,  # noqa: ARG003
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Payment presets."""
        return {SUBENTRY_TYPE_PRESET: PresetSubentryFlow}

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the endpoint, the wallet key and the session key's application."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = _login_data(user_input)
                account, offer = await async_read_offer(self.hass, data)
            except InputError as err:
                errors[err.field] = err.error
            else:
                await self.async_set_unique_id(account.unique_id)
                self._abort_if_unique_id_configured()
                data[CONF_NODE_ADDRESS] = account.broker_address
                self._data, self._account, self._offer = data, account, offer
                return await self.async_step_allowances()
        schema = USER_SCHEMA
        if user_input is not None:
            safe_input = {k: v for k, v in user_input.items() if k != CONF_PRIVATE_KEY}
            schema = self.add_suggested_values_to_schema(USER_SCHEMA, safe_input)
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the spending cap of each asset, suggesting a tenth of the balance."""
        assert self._account is not None
        errors: dict[str, str] = {}
        if user_input is not None or not self._offer.assets:
            try:
                data = {
                    **self._data,
                    CONF_ALLOWANCES: allowances_from_input(
                        user_input or {}, self._offer.assets
                    ),
                }
                await async_login(self.hass, data)
            except InputError as err:
                errors[err.field] = err.error
            else:
                return self.async_create_entry(
                    title=self._account.wallet_address, data=data
                )
        shown = user_input or as_numbers(self._offer.suggested_caps())
        return self.async_show_form(
            step_id=STEP_ALLOWANCES,
            data_schema=allowances_schema(shown),
            errors=errors,
            description_placeholders={"balances": self._offer.describe()},
        )

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
        """Change the endpoint or the wallet key (same wallet, same broker)."""
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
        data = {**data, CONF_NODE_ADDRESS: account.broker_address}
        return self.async_update_reload_and_abort(entry, data=data)


def _account_mismatch(entry: ConfigEntry, account: Account) -> str | None:
    """Return why the login belongs to another entry (the broker is pinned apart)."""
    if not str(entry.unique_id).startswith(f"{account.wallet_address.lower()}_"):
        return "wallet_mismatch"
    return None
