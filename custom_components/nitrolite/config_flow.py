"""Config flow of the Nitrolite integration: log in to a ClearNode with a wallet key."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
import ipaddress
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigEntryState,
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
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
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

from . import validation
from .allowances import AssetOffer, allowance_amounts, offered_assets
from .clearnode import (
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeClient,
    ClearNodeClockSkewError,
    ClearNodeError,
    ClearNodeValidationError,
    Signer,
    WalletClient,
    format_amount,
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
# No min or max: every out-of-range amount gets the field's own translated error.
_AMOUNT = NumberSelector(NumberSelectorConfig(mode=NumberSelectorMode.BOX, step="any"))


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
    }
)


SECTION_ADVANCED = "advanced"
STEP_ALLOWANCES = "allowances"
MAX_WEIGHT = 1_000_000
MAX_CHALLENGE_SECONDS = 31_536_000


def _asset_selector(offered: Sequence[str] | None) -> SelectSelector | TextSelector:
    """Offer the ClearNode's assets as a list, or a text field when it cannot be asked."""
    if not offered:
        return _TEXT
    return SelectSelector(
        SelectSelectorConfig(options=list(offered), mode=SelectSelectorMode.DROPDOWN)
    )


def _preset_schema(application: str, offered: Sequence[str] | None) -> vol.Schema:
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
            vol.Required(CONF_ASSET): _asset_selector(offered),
            vol.Required(CONF_DEPOSIT): _AMOUNT,
            vol.Required(CONF_UNIT_PRICE): _AMOUNT,
            vol.Required(SECTION_ADVANCED): section(advanced, {"collapsed": True}),
        }
    )


def _allowances_schema(caps: Mapping[str, float]) -> vol.Schema:
    """One amount field per offered asset, pre-filled with ``caps``."""
    return vol.Schema(
        {
            vol.Required(asset, description={"suggested_value": cap}): _AMOUNT
            for asset, cap in caps.items()
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


@contextmanager
def _errors_on(field: str) -> Iterator[None]:
    """Show a refusal by one of the input rules as the form error of ``field``."""
    try:
        yield
    except ServiceValidationError as err:
        raise InputError(field, str(err.translation_key)) from err


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


def allowances_from_input(
    user_input: Mapping[str, Any], assets: Sequence[str]
) -> dict[str, str]:
    """Read the cap of each offered asset, as entry data stores it."""
    caps: dict[str, str] = {}
    for asset in assets:
        with _errors_on(asset):
            caps[asset] = format_amount(validation.amount(user_input[asset], asset))
    return caps


@asynccontextmanager
async def _logged_in(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> AsyncIterator[ClearNodeClient]:
    """Log in with the entry data (to its broker, if it has one); disconnect when done."""
    client = ClearNodeClient(
        async_get_clientsession(hass),
        data[CONF_ENDPOINT],
        data[CONF_PRIVATE_KEY],
        application=data[CONF_APPLICATION],
        allowances=allowance_amounts(data[CONF_ALLOWANCES]),
        session_key_lifetime=data[CONF_SESSION_KEY_LIFETIME] * 3600.0,
        node_address=data.get(CONF_BROKER_ADDRESS),
    )
    try:
        await client.connect()
        yield client
    except ClearNodeBrokerChangedError as err:
        raise BrokerChanged(err.actual) from err
    except ClearNodeClockSkewError as err:
        raise InputError("base", "clock_skew") from err
    except ClearNodeAuthenticationError as err:
        raise InputError("base", "invalid_auth") from err
    except ClearNodeError as err:
        raise InputError("base", "cannot_connect") from err
    except Exception as err:
        LOGGER.exception("Unexpected error while logging in to the ClearNode")
        raise InputError("base", "unknown") from err
    finally:
        await client.close()


def _account(client: ClearNodeClient) -> Account:
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
    with _errors_on(CONF_APPLICATION):
        application = validation.application(
            user_input[CONF_APPLICATION], CONF_APPLICATION
        )
    return {
        CONF_ENDPOINT: endpoint,
        CONF_PRIVATE_KEY: private_key,
        CONF_APPLICATION: application,
        CONF_ALLOWANCES: {},
        CONF_SESSION_KEY_LIFETIME: int(user_input[CONF_SESSION_KEY_LIFETIME]),
    }


def _as_numbers(caps: Mapping[str, Decimal | str]) -> dict[str, float]:
    """Show caps in number fields."""
    return {asset: float(cap) for asset, cap in caps.items()}


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
                data[CONF_BROKER_ADDRESS] = account.broker_address
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
        shown = user_input or _as_numbers(self._offer.suggested_caps())
        return self.async_show_form(
            step_id=STEP_ALLOWANCES,
            data_schema=_allowances_schema(shown),
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


def _loaded_client(entry: ConfigEntry) -> WalletClient | None:
    """Return the live client of a loaded entry."""
    if entry.state is not ConfigEntryState.LOADED:
        return None
    client: WalletClient = entry.runtime_data.client
    return client


async def _async_offered_assets(entry: ConfigEntry) -> list[str]:
    """Ask the entry's ClearNode which assets it offers; empty when it cannot."""
    if (client := _loaded_client(entry)) is None:
        return []
    try:
        return offered_assets(await client.get_assets())
    except ClearNodeError as err:
        LOGGER.debug("Could not read the ClearNode's assets: %s", err)
        return []


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
        if user_input is not None:
            self._options = _options_from_input(user_input)
            self._offer = await self._async_offer()
            return await self.async_step_allowances()
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                OPTIONS_SCHEMA, self.config_entry.options
            ),
        )

    async def async_step_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show and store the spending cap of each asset."""
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
        shown = user_input or _as_numbers(
            {asset: current.get(asset, "0") for asset in self._offer.assets}
        )
        return self.async_show_form(
            step_id=STEP_ALLOWANCES,
            data_schema=_allowances_schema(shown),
            errors=errors,
            description_placeholders={"balances": self._offer.describe()},
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
        assets = await _async_offered_assets(entry) or list(self._current_caps())
        balances = None
        if entry.state is ConfigEntryState.LOADED:
            balances = entry.runtime_data.coordinator.data.balances
        return AssetOffer.of(assets, balances)


def _options_from_input(user_input: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {
        CONF_REQUEST_TIMEOUT: int(user_input[CONF_REQUEST_TIMEOUT]),
        CONF_CLOSED_SESSION_RETENTION: int(user_input[CONF_CLOSED_SESSION_RETENTION]),
    }
    if asset := user_input.get(CONF_DEFAULT_ASSET, "").strip().lower():
        options[CONF_DEFAULT_ASSET] = asset
    return options


def _advanced_settings(advanced: Mapping[str, Any]) -> dict[str, Any]:
    """Check the app definition: our weight alone, and only ours, reaches the quorum."""
    own_weight = int(advanced[CONF_OWN_WEIGHT])
    counterparty_weight = int(advanced[CONF_COUNTERPARTY_WEIGHT])
    quorum = int(advanced[CONF_QUORUM])
    with _errors_on("base"):
        validation.check_own_weight_reaches_quorum(own_weight, quorum)
        validation.check_others_need_us(counterparty_weight, quorum)
        application = validation.application(
            advanced[CONF_APPLICATION], CONF_APPLICATION
        )
    return {
        CONF_PROTOCOL: advanced[CONF_PROTOCOL],
        CONF_OWN_WEIGHT: own_weight,
        CONF_COUNTERPARTY_WEIGHT: counterparty_weight,
        CONF_QUORUM: quorum,
        CONF_CHALLENGE: int(advanced[CONF_CHALLENGE]),
        CONF_APPLICATION: application,
    }


def _preset_asset(value: str, offered: Sequence[str]) -> str:
    """Keep an asset picked from the ClearNode's list; lower-case a typed one."""
    asset = value.strip() if offered else value.strip().lower()
    if not asset:
        raise InputError(CONF_ASSET, "invalid_asset")
    return asset


def preset_from_input(
    user_input: Mapping[str, Any], wallet: str, offered: Sequence[str]
) -> dict[str, Any]:
    """Validate the preset form; return the subentry data."""
    with _errors_on(CONF_COUNTERPARTY):
        counterparty = validation.address(
            user_input[CONF_COUNTERPARTY], CONF_COUNTERPARTY
        )
    if counterparty.lower() == wallet:
        raise InputError(CONF_COUNTERPARTY, "counterparty_is_self")
    asset = _preset_asset(user_input[CONF_ASSET], offered)
    with _errors_on(CONF_DEPOSIT):
        deposit = validation.positive_amount(user_input[CONF_DEPOSIT], CONF_DEPOSIT)
    with _errors_on(CONF_UNIT_PRICE):
        unit_price = validation.positive_amount(
            user_input[CONF_UNIT_PRICE], CONF_UNIT_PRICE
        )
    if unit_price > deposit:
        raise InputError(CONF_UNIT_PRICE, "unit_price_exceeds_deposit")
    return {
        CONF_NAME: user_input[CONF_NAME].strip(),
        CONF_COUNTERPARTY: counterparty,
        CONF_ASSET: asset,
        CONF_DEPOSIT: format_amount(deposit),
        CONF_UNIT_PRICE: format_amount(unit_price),
        **_advanced_settings(user_input[SECTION_ADVANCED]),
    }


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Arrange a preset's subentry data as the form shows it."""
    advanced = {key: data[key] for key in _advanced_settings_keys()}
    main = {key: value for key, value in data.items() if key not in advanced}
    amounts = {key: float(main[key]) for key in (CONF_DEPOSIT, CONF_UNIT_PRICE)}
    return {**main, **amounts, SECTION_ADVANCED: advanced}


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

    _offered: list[str] | None = None

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
        if self._offered is None:
            self._offered = await _async_offered_assets(entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = preset_from_input(user_input, _wallet(entry), self._offered)
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
                _preset_schema(entry.data[CONF_APPLICATION], self._offered), suggested
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
