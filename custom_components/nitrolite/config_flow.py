"""Config flow: a network and a wallet, then the settings of what the node speaks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.core import callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from .allowances import AssetOffer
from .clearnode import Balance, Dialect, format_amount
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_CAPS_WINDOW,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_FAUCET_URL,
    CONF_NODE_ADDRESS,
    CONF_NODE_VERSION,
    CONF_PRIVATE_KEY,
    DOMAIN,
    SUBENTRY_TYPE_PRESET,
)
from .entry_change_flow import EntryChangeFlow
from .forms import (
    CLEARNODE_SCHEMA,
    NITRONODE_SCHEMA,
    PASSWORD_FIELD,
    STEP_ALLOWANCES,
    STEP_LOCAL_ALLOWANCES,
    URL_FIELD,
    InputError,
    allowances_from_input,
    allowances_schema,
    as_numbers,
    clearnode_settings,
    faucet_url,
    nitronode_settings,
    validate_endpoint,
    validate_private_key,
)
from .onboarding import (
    Account,
    Endpoint,
    async_fund_from_faucet,
    async_login,
    async_probe,
    async_read_offer,
    new_wallet_key,
)
from .options_flow import NitroliteOptionsFlow
from .preset_flow import PresetSubentryFlow

CONF_NETWORK = "network"
CONF_BACKED_UP = "backed_up"
CONF_REQUEST_TOKENS = "request_tokens"
NETWORK_SANDBOX = "sandbox"
NETWORK_PRODUCTION = "production"
NETWORK_CUSTOM = "custom"
NETWORK_ENDPOINTS = {
    NETWORK_SANDBOX: "wss://nitronode-sandbox.yellow.org/v1/ws",
    NETWORK_PRODUCTION: "wss://nitronode.yellow.org/v1/ws",
}
STEP_WALLET_KEY = "wallet_key"
STEP_CREATE_WALLET = "create_wallet"

USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_NETWORK, default=NETWORK_SANDBOX): SelectSelector(
            SelectSelectorConfig(
                options=[NETWORK_SANDBOX, NETWORK_PRODUCTION, NETWORK_CUSTOM],
                translation_key=CONF_NETWORK,
                mode=SelectSelectorMode.LIST,
            )
        )
    }
)
CUSTOM_SCHEMA = vol.Schema({vol.Required(CONF_ENDPOINT): URL_FIELD})
WALLET_KEY_SCHEMA = vol.Schema({vol.Required(CONF_PRIVATE_KEY): PASSWORD_FIELD})
CREATE_WALLET_SCHEMA = vol.Schema(
    {vol.Required(CONF_BACKED_UP, default=False): BooleanSelector()}
)
FAUCET_SCHEMA = vol.Schema(
    {vol.Required(CONF_REQUEST_TOKENS, default=True): BooleanSelector()}
)


def _node_name(endpoint: Endpoint) -> str:
    if endpoint.dialect is Dialect.V1:
        return f"Nitronode {endpoint.node_version}"
    return "ClearNode v0.5"


class NitroliteConfigFlow(EntryChangeFlow, domain=DOMAIN):
    """Add a wallet on a node (Nitronode v1 or ClearNode v0.5)."""

    VERSION = 1
    MINOR_VERSION = 2  # 1.2: the node's address is stored and pinned

    _endpoint: Endpoint  # set once the chosen endpoint answered

    def __init__(self) -> None:
        """Nothing is known before the first form."""
        self._data: dict[str, Any] = {}
        self._options: dict[str, Any] = {}
        self._account: Account | None = None
        self._offer = AssetOffer({})
        self._created_wallet: tuple[str, str] | None = None
        self._received: Balance | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> NitroliteOptionsFlow:  # noqa: ARG004
        """Options: default asset, timeouts, retention, polling, spending caps."""
        return NitroliteOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls,
        config_entry: ConfigEntry,  # noqa: ARG003
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Payment presets."""
        return {SUBENTRY_TYPE_PRESET: PresetSubentryFlow}

    def _show(
        self,
        step_id: str,
        schema: vol.Schema | None = None,
        error: InputError | None = None,
        **placeholders: str,
    ) -> ConfigFlowResult:
        """Show a form, with the error that sent the user back to it, if any."""
        errors = {} if error is None else {error.field: error.error}
        if error is not None:
            placeholders |= error.placeholders
        return self.async_show_form(
            step_id=step_id,
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    # Where: the network ---------------------------------------------------------

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the Yellow sandbox, Yellow production, or another endpoint."""
        error = None
        if user_input is not None:
            if (network := user_input[CONF_NETWORK]) == NETWORK_CUSTOM:
                return await self.async_step_custom()
            try:
                return await self._async_probed(NETWORK_ENDPOINTS[network])
            except InputError as err:
                error = err
        return self._show("user", USER_SCHEMA, error)

    async def async_step_custom(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the endpoint of another node."""
        error = None
        if user_input is not None:
            try:
                endpoint = validate_endpoint(user_input[CONF_ENDPOINT])
                return await self._async_probed(endpoint)
            except InputError as err:
                error = err
        schema = self.add_suggested_values_to_schema(CUSTOM_SCHEMA, user_input or {})
        return self._show("custom", schema, error)

    async def _async_probed(self, url: str) -> ConfigFlowResult:
        """Go on to the wallet once the endpoint speaks a dialect we support."""
        self._endpoint = await async_probe(self.hass, url)
        return await self.async_step_wallet()

    # Who: the wallet ------------------------------------------------------------

    async def async_step_wallet(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002 - a menu
    ) -> ConfigFlowResult:
        """Use the user's wallet key, or create a wallet for Home Assistant."""
        return self.async_show_menu(
            step_id="wallet",
            menu_options=[STEP_WALLET_KEY, STEP_CREATE_WALLET],
            description_placeholders={
                "endpoint": self._endpoint.url,
                "node": _node_name(self._endpoint),
            },
        )

    async def async_step_wallet_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the wallet's private key."""
        error = None
        if user_input is not None:
            try:
                key = validate_private_key(user_input[CONF_PRIVATE_KEY])
                return await self._async_wallet_chosen(key)
            except InputError as err:
                error = err
        return self._show(STEP_WALLET_KEY, WALLET_KEY_SCHEMA, error)

    async def async_step_create_wallet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show a new wallet's address and key, once; go on when it is backed up."""
        if self._created_wallet is None:
            self._created_wallet = new_wallet_key()
        key, address = self._created_wallet
        error = None
        if user_input is not None and not user_input[CONF_BACKED_UP]:
            error = InputError(CONF_BACKED_UP, "backup_required")
        elif user_input is not None:
            try:
                return await self._async_wallet_chosen(key)
            except InputError as err:
                error = err
        return self._show(
            STEP_CREATE_WALLET,
            CREATE_WALLET_SCHEMA,
            error,
            address=address,
            private_key=key,
        )

    async def _async_wallet_chosen(self, private_key: str) -> ConfigFlowResult:
        """Continue with the settings of the node's dialect."""
        endpoint = self._endpoint
        self._data = {
            CONF_DIALECT: endpoint.dialect.value,
            CONF_ENDPOINT: endpoint.url,
            CONF_PRIVATE_KEY: private_key,
        }
        if endpoint.node_address is not None:
            self._data[CONF_NODE_ADDRESS] = endpoint.node_address
        if endpoint.dialect is Dialect.V05:
            return await self.async_step_clearnode()
        self._data |= {
            CONF_NODE_VERSION: endpoint.node_version,
            CONF_FAUCET_URL: faucet_url(endpoint.url),
        }
        await self._async_read_offer()
        if self._data[CONF_FAUCET_URL] and not any(self._offer.balances.values()):
            return await self.async_step_faucet()
        return await self.async_step_nitronode()

    async def _async_read_offer(self) -> None:
        """Read the offer; a wallet already added for this node ends the flow."""
        account, self._offer = await async_read_offer(self.hass, self._data)
        await self.async_set_unique_id(account.unique_id)
        self._abort_if_unique_id_configured()
        self._data[CONF_NODE_ADDRESS] = account.node_address
        self._account = account

    def _async_create_entry(self, caps: dict[str, str]) -> ConfigFlowResult:
        assert self._account is not None
        return self.async_create_entry(
            title=self._account.wallet_address,
            data={**self._data, CONF_ALLOWANCES: caps},
            options=self._options,
        )

    # ClearNode v0.5: a session key with caps the node enforces ------------------

    async def async_step_clearnode(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the session key's application and lifetime, then log in."""
        error = None
        if user_input is not None:
            try:
                self._data |= clearnode_settings(user_input)
                await self._async_read_offer()
            except InputError as err:
                error = err
            else:
                return await self.async_step_allowances()
        schema = self.add_suggested_values_to_schema(CLEARNODE_SCHEMA, user_input or {})
        return self._show("clearnode", schema, error)

    async def async_step_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the spending cap of each asset; log in with them to check."""

        async def log_in_with(caps: dict[str, str]) -> None:
            await async_login(self.hass, {**self._data, CONF_ALLOWANCES: caps})

        return await self._async_caps_step(STEP_ALLOWANCES, user_input, log_in_with)

    # Nitronode v1: test tokens, polling, caps Home Assistant enforces ------------

    async def async_step_faucet(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer test tokens to a wallet that holds nothing, where a faucet is known."""
        assert self._account is not None
        error = None
        if user_input is not None:
            if not user_input[CONF_REQUEST_TOKENS]:
                return await self.async_step_nitronode()
            try:
                self._received = await async_fund_from_faucet(self.hass, self._data)
                await self._async_read_offer()
            except InputError as err:
                error = err
            else:
                return await self.async_step_faucet_received()
        return self._show(
            "faucet", FAUCET_SCHEMA, error, address=self._account.wallet_address
        )

    async def async_step_faucet_received(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what the faucet sent."""
        assert self._received is not None
        if user_input is not None:
            return await self.async_step_nitronode()
        return self._show(
            "faucet_received",
            amount=format_amount(self._received.amount),
            asset=self._received.asset,
            balances=self._offer.describe(),
        )

    async def async_step_nitronode(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the application id, the polling interval and the caps' window."""
        error = None
        if user_input is not None:
            try:
                application, self._options = nitronode_settings(user_input)
            except InputError as err:
                error = err
            else:
                self._data[CONF_APPLICATION] = application
                return await self.async_step_local_allowances()
        schema = self.add_suggested_values_to_schema(NITRONODE_SCHEMA, user_input or {})
        return self._show("nitronode", schema, error)

    async def async_step_local_allowances(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the cap of each asset that Home Assistant itself enforces."""
        return await self._async_caps_step(
            STEP_LOCAL_ALLOWANCES,
            user_input,
            window=str(self._options[CONF_CAPS_WINDOW]),
        )

    async def _async_caps_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        check: Callable[[dict[str, str]], Awaitable[None]] | None = None,
        **placeholders: str,
    ) -> ConfigFlowResult:
        """Ask for a cap per offered asset, suggesting some; create the entry."""
        error = None
        if user_input is not None or not self._offer.assets:
            try:
                caps = allowances_from_input(user_input or {}, self._offer.assets)
                if check is not None:
                    await check(caps)
            except InputError as err:
                error = err
            else:
                return self._async_create_entry(caps)
        shown = user_input or as_numbers(self._offer.suggested_caps())
        return self._show(
            step_id,
            allowances_schema(shown),
            error,
            balances=self._offer.describe(),
            **placeholders,
        )
