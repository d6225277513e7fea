"""Config flow of the Nitrolite integration: log in to a ClearNode with a wallet key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
import ipaddress
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
from yarl import URL

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from .allowances import allowance_amounts, format_allowances, parse_allowances
from .clearnode import (
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeClient,
    ClearNodeClockSkewError,
    ClearNodeError,
    ClearNodeValidationError,
    Signer,
    to_checksum_address,
)
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_ASSET,
    CONF_BROKER_ADDRESS,
    CONF_CHALLENGE,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_COUNTERPARTY,
    CONF_COUNTERPARTY_WEIGHT,
    CONF_DEFAULT_ASSET,
    CONF_DEPOSIT,
    CONF_ENDPOINT,
    CONF_OWN_WEIGHT,
    CONF_PRIVATE_KEY,
    CONF_PROTOCOL,
    CONF_QUORUM,
    CONF_REQUEST_TIMEOUT,
    CONF_SESSION_KEY_LIFETIME,
    CONF_UNIT_PRICE,
    DEFAULT_APPLICATION,
    DEFAULT_CHALLENGE,
    DEFAULT_CLOSED_SESSION_RETENTION_HOURS,
    DEFAULT_COUNTERPARTY_WEIGHT,
    DEFAULT_OWN_WEIGHT,
    DEFAULT_PROTOCOL,
    DEFAULT_QUORUM,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
    DEFAULT_SESSION_KEY_LIFETIME_HOURS,
    DOMAIN,
    LOGGER,
    PROTOCOLS,
    SUBENTRY_TYPE_PRESET,
)

_TEXT = TextSelector()
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_MULTILINE = TextSelector(TextSelectorConfig(multiline=True))


def _number(low: int, high: int, unit: str | None = None) -> NumberSelector:
    config = NumberSelectorConfig(
        min=low, max=high, step=1, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENDPOINT): _URL,
        vol.Required(CONF_PRIVATE_KEY): _PASSWORD,
        vol.Required(CONF_APPLICATION, default=DEFAULT_APPLICATION): _TEXT,
        vol.Optional(CONF_ALLOWANCES, default=""): _MULTILINE,
        vol.Required(
            CONF_SESSION_KEY_LIFETIME, default=DEFAULT_SESSION_KEY_LIFETIME_HOURS
        ): _number(1, 720, "h"),
    }
)
REAUTH_SCHEMA = vol.Schema({vol.Required(CONF_PRIVATE_KEY): _PASSWORD})
RECONFIGURE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_ENDPOINT): _URL,
        vol.Optional(CONF_PRIVATE_KEY): _PASSWORD,
    }
)
OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_DEFAULT_ASSET): _TEXT,
        vol.Required(
            CONF_REQUEST_TIMEOUT, default=DEFAULT_REQUEST_TIMEOUT_SECONDS
        ): _number(1, 120, "s"),
        vol.Required(
            CONF_CLOSED_SESSION_RETENTION,
            default=DEFAULT_CLOSED_SESSION_RETENTION_HOURS,
        ): _number(0, 720, "h"),
        vol.Optional(CONF_ALLOWANCES, default=""): _MULTILINE,
    }
)


SECTION_ADVANCED = "advanced"
MAX_WEIGHT = 1_000_000
MAX_CHALLENGE_SECONDS = 31_536_000


def _preset_schema(application: str) -> vol.Schema:
    """Build the preset form; the app definition sits in a collapsed section."""
    advanced = vol.Schema(
        {
            vol.Required(CONF_PROTOCOL, default=DEFAULT_PROTOCOL): SelectSelector(
                SelectSelectorConfig(options=list(PROTOCOLS))
            ),
            vol.Required(CONF_OWN_WEIGHT, default=DEFAULT_OWN_WEIGHT): _number(
                0, MAX_WEIGHT
            ),
            vol.Required(
                CONF_COUNTERPARTY_WEIGHT, default=DEFAULT_COUNTERPARTY_WEIGHT
            ): _number(0, MAX_WEIGHT),
            vol.Required(CONF_QUORUM, default=DEFAULT_QUORUM): _number(1, MAX_WEIGHT),
            vol.Required(CONF_CHALLENGE, default=DEFAULT_CHALLENGE): _number(
                0, MAX_CHALLENGE_SECONDS, "s"
            ),
            vol.Required(CONF_APPLICATION, default=application): _TEXT,
        }
    )
    return vol.Schema(
        {
            vol.Required(CONF_NAME): _TEXT,
            vol.Required(CONF_COUNTERPARTY): _TEXT,
            vol.Required(CONF_ASSET): _TEXT,
            vol.Required(CONF_DEPOSIT): _TEXT,
            vol.Required(CONF_UNIT_PRICE): _TEXT,
            vol.Required(SECTION_ADVANCED): section(advanced, {"collapsed": True}),
        }
    )


class InputError(Exception):
    """User input the flow refuses; ``field`` is "base" for form-wide errors."""

    def __init__(self, field: str, error: str) -> None:
        """Keep the form field and the error key."""
        super().__init__(error)
        self.field = field
        self.error = error


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


def validate_allowances(text: str) -> dict[str, str]:
    """Parse the spending caps the user typed."""
    try:
        return parse_allowances(text)
    except ValueError as err:
        raise InputError(CONF_ALLOWANCES, "invalid_allowances") from err


async def async_login(hass: HomeAssistant, data: Mapping[str, Any]) -> Account:
    """Log in once with the entry data (to its broker, if it has one), then disconnect."""
    client = ClearNodeClient(
        async_get_clientsession(hass),
        data[CONF_ENDPOINT],
        data[CONF_PRIVATE_KEY],
        application=data[CONF_APPLICATION],
        allowances=allowance_amounts(data[CONF_ALLOWANCES]),
        session_key_lifetime=data[CONF_SESSION_KEY_LIFETIME] * 3600.0,
        broker_address=data.get(CONF_BROKER_ADDRESS),
    )
    try:
        await client.connect()
        return Account(client.wallet_address, str(client.broker_address))
    except ClearNodeBrokerChangedError as err:
        raise BrokerChanged(err.actual) from err
    except ClearNodeClockSkewError as err:
        raise InputError("base", "clock_skew") from err
    except ClearNodeAuthenticationError as err:
        if "unsupported token" in str(err):
            raise InputError(CONF_ALLOWANCES, "unsupported_asset") from err
        raise InputError("base", "invalid_auth") from err
    except ClearNodeError as err:
        raise InputError("base", "cannot_connect") from err
    except Exception as err:
        LOGGER.exception("Unexpected error while logging in to the ClearNode")
        raise InputError("base", "unknown") from err
    finally:
        await client.close()


class NitroliteConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a wallet on a ClearNode."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: the broker address is stored and pinned

    _new_broker_data: dict[str, Any]  # reconfigure data awaiting the new broker's OK

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
        """Ask for the endpoint, the wallet key and the session-key policy."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = {
                    **user_input,
                    CONF_ENDPOINT: validate_endpoint(user_input[CONF_ENDPOINT]),
                    CONF_PRIVATE_KEY: validate_private_key(
                        user_input[CONF_PRIVATE_KEY]
                    ),
                    CONF_ALLOWANCES: validate_allowances(user_input[CONF_ALLOWANCES]),
                    CONF_SESSION_KEY_LIFETIME: int(
                        user_input[CONF_SESSION_KEY_LIFETIME]
                    ),
                }
                account = await async_login(self.hass, data)
            except InputError as err:
                errors[err.field] = err.error
            else:
                await self.async_set_unique_id(account.unique_id)
                self._abort_if_unique_id_configured()
                data[CONF_BROKER_ADDRESS] = account.broker_address
                return self.async_create_entry(title=account.wallet_address, data=data)
        schema = USER_SCHEMA
        if user_input is not None:
            safe_input = {k: v for k, v in user_input.items() if k != CONF_PRIVATE_KEY}
            schema = self.add_suggested_values_to_schema(USER_SCHEMA, safe_input)
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

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
                self._new_broker_data = {**data, CONF_BROKER_ADDRESS: err.broker}
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
                "expected": entry.data[CONF_BROKER_ADDRESS],
                "actual": data[CONF_BROKER_ADDRESS],
            },
        )

    def _async_finish_reconfigure(
        self, entry: ConfigEntry, data: dict[str, Any], account: Account
    ) -> ConfigFlowResult:
        if reason := _account_mismatch(entry, account):
            return self.async_abort(reason=reason)
        data = {**data, CONF_BROKER_ADDRESS: account.broker_address}
        return self.async_update_reload_and_abort(entry, data=data)


def _account_mismatch(entry: ConfigEntry, account: Account) -> str | None:
    """Return why the login belongs to another entry (the broker is pinned apart)."""
    if not str(entry.unique_id).startswith(f"{account.wallet_address.lower()}_"):
        return "wallet_mismatch"
    return None


class NitroliteOptionsFlow(OptionsFlowWithReload):
    """Tune an entry; saving reloads it (new spending caps need a new session key)."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the options."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                options = _options_from_input(user_input)
            except InputError as err:
                errors[err.field] = err.error
            else:
                return self.async_create_entry(data=options)
        current = user_input or self._current_options()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(OPTIONS_SCHEMA, current),
            errors=errors,
        )

    def _current_options(self) -> dict[str, Any]:
        entry = self.config_entry
        allowances = entry.options.get(CONF_ALLOWANCES, entry.data[CONF_ALLOWANCES])
        return {**entry.options, CONF_ALLOWANCES: format_allowances(allowances)}


def _options_from_input(user_input: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        CONF_REQUEST_TIMEOUT: int(user_input[CONF_REQUEST_TIMEOUT]),
        CONF_CLOSED_SESSION_RETENTION: int(user_input[CONF_CLOSED_SESSION_RETENTION]),
        CONF_ALLOWANCES: validate_allowances(user_input[CONF_ALLOWANCES]),
    }
    if asset := user_input.get(CONF_DEFAULT_ASSET, "").strip().lower():
        options[CONF_DEFAULT_ASSET] = asset
    return options


def _checksum_address(value: str) -> str:
    """Accept an all-lower or all-upper address, or a mixed-case one with a valid checksum."""
    value = value.strip()
    try:
        address = to_checksum_address(value)
    except ClearNodeValidationError as err:
        raise InputError(CONF_COUNTERPARTY, "invalid_address") from err
    digits = value[2:]
    if digits not in {digits.lower(), digits.upper()} and value != address:
        raise InputError(CONF_COUNTERPARTY, "invalid_checksum")
    return address


def _positive_amount(value: str, field: str) -> Decimal:
    try:
        amount = Decimal(value.strip())
    except InvalidOperation as err:
        raise InputError(field, "invalid_amount") from err
    if not amount.is_finite() or amount <= 0:
        raise InputError(field, "invalid_amount")
    return amount


def _advanced_settings(advanced: Mapping[str, Any]) -> dict[str, Any]:
    """Check the app definition: our weight alone must reach the quorum."""
    own_weight = int(advanced[CONF_OWN_WEIGHT])
    quorum = int(advanced[CONF_QUORUM])
    if quorum > own_weight:
        raise InputError("base", "quorum_unreachable")
    application = advanced[CONF_APPLICATION].strip()
    if not application:
        raise InputError("base", "invalid_application")
    return {
        CONF_PROTOCOL: advanced[CONF_PROTOCOL],
        CONF_OWN_WEIGHT: own_weight,
        CONF_COUNTERPARTY_WEIGHT: int(advanced[CONF_COUNTERPARTY_WEIGHT]),
        CONF_QUORUM: quorum,
        CONF_CHALLENGE: int(advanced[CONF_CHALLENGE]),
        CONF_APPLICATION: application,
    }


def preset_from_input(user_input: Mapping[str, Any], wallet: str) -> dict[str, Any]:
    """Validate the preset form; return the subentry data."""
    counterparty = _checksum_address(user_input[CONF_COUNTERPARTY])
    if counterparty.lower() == wallet:
        raise InputError(CONF_COUNTERPARTY, "counterparty_is_self")
    asset = user_input[CONF_ASSET].strip().lower()
    if not asset:
        raise InputError(CONF_ASSET, "invalid_asset")
    deposit = _positive_amount(user_input[CONF_DEPOSIT], CONF_DEPOSIT)
    unit_price = _positive_amount(user_input[CONF_UNIT_PRICE], CONF_UNIT_PRICE)
    if unit_price > deposit:
        raise InputError(CONF_UNIT_PRICE, "unit_price_exceeds_deposit")
    return {
        CONF_NAME: user_input[CONF_NAME].strip(),
        CONF_COUNTERPARTY: counterparty,
        CONF_ASSET: asset,
        CONF_DEPOSIT: str(deposit),
        CONF_UNIT_PRICE: str(unit_price),
        **_advanced_settings(user_input[SECTION_ADVANCED]),
    }


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Arrange a preset's subentry data as the form shows it."""
    advanced = {key: data[key] for key in _advanced_settings_keys()}
    main = {key: value for key, value in data.items() if key not in advanced}
    return {**main, SECTION_ADVANCED: advanced}


def _advanced_settings_keys() -> tuple[str, ...]:
    return (
        CONF_PROTOCOL,
        CONF_OWN_WEIGHT,
        CONF_COUNTERPARTY_WEIGHT,
        CONF_QUORUM,
        CONF_CHALLENGE,
        CONF_APPLICATION,
    )


class PresetSubentryFlow(ConfigSubentryFlow):
    """Add or change a payment preset: counterparty, deposit, unit price."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Ask for the preset."""
        return await self._async_step_preset("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a preset; its current session stays with it."""
        return await self._async_step_preset("reconfigure", user_input)

    async def _async_step_preset(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        editing = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = preset_from_input(user_input, _wallet(entry))
                self._check_name_free(entry, data[CONF_NAME], editing)
            except InputError as err:
                errors[err.field] = err.error
            else:
                title, unique_id = data[CONF_NAME], slugify(data[CONF_NAME])
                if editing is None:
                    return self.async_create_entry(
                        title=title, data=data, unique_id=unique_id
                    )
                return self.async_update_and_abort(
                    entry, editing, title=title, data=data, unique_id=unique_id
                )
        suggested = user_input or (editing and _form_values(editing.data)) or {}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                _preset_schema(entry.data[CONF_APPLICATION]), suggested
            ),
            errors=errors,
        )

    @staticmethod
    def _check_name_free(
        entry: ConfigEntry, name: str, editing: ConfigSubentry | None
    ) -> None:
        slug = slugify(name)
        for subentry in entry.subentries.values():
            if subentry is editing or subentry.subentry_type != SUBENTRY_TYPE_PRESET:
                continue
            if subentry.unique_id == slug:
                raise InputError(CONF_NAME, "name_exists")


def _wallet(entry: ConfigEntry) -> str:
    """Our wallet address in lower case (the entry's unique id starts with it)."""
    return str(entry.unique_id).split("_", 1)[0]
