"""Form fields and input rules shared by the config, options and preset flows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
import ipaddress
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from yarl import URL

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from . import validation
from .allowances import offered_assets
from .clearnode import (
    ClearNodeError,
    ClearNodeValidationError,
    Signer,
    WalletClient,
    faucet_url_for,
    format_amount,
)
from .const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_CAPS_WINDOW,
    CONF_ENDPOINT,
    CONF_POLL_INTERVAL,
    CONF_PRIVATE_KEY,
    CONF_SESSION_KEY_LIFETIME,
    DEFAULT_APPLICATION,
    DEFAULT_CAPS_WINDOW_HOURS,
    DEFAULT_POLL_INTERVAL_SECONDS,
    DEFAULT_SESSION_KEY_LIFETIME_HOURS,
    LOGGER,
)

# The caps a node enforces on the session key (v0.5), and those Home Assistant enforces.
STEP_ALLOWANCES = "allowances"
STEP_LOCAL_ALLOWANCES = "local_allowances"

TEXT_FIELD = TextSelector()
URL_FIELD = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
PASSWORD_FIELD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
# No min or max: every out-of-range amount gets the field's own translated error.
AMOUNT_FIELD = NumberSelector(
    NumberSelectorConfig(mode=NumberSelectorMode.BOX, step="any")
)


def number_field(low: int, high: int, unit: str | None = None) -> NumberSelector:
    """Return a whole-number box field."""
    config = NumberSelectorConfig(
        min=low, max=high, step=1, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


POLL_INTERVAL_FIELD = number_field(1, 300, "s")
CAPS_WINDOW_FIELD = number_field(1, 720, "h")
POLLING_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(
        CONF_POLL_INTERVAL, default=DEFAULT_POLL_INTERVAL_SECONDS
    ): POLL_INTERVAL_FIELD
}
LOCAL_CAPS_FIELDS: dict[vol.Marker, Any] = {
    vol.Required(CONF_CAPS_WINDOW, default=DEFAULT_CAPS_WINDOW_HOURS): CAPS_WINDOW_FIELD
}
# A ClearNode v0.5 entry: a session key of an application, for a lifetime.
CLEARNODE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_APPLICATION, default=DEFAULT_APPLICATION): TEXT_FIELD,
        vol.Required(
            CONF_SESSION_KEY_LIFETIME, default=DEFAULT_SESSION_KEY_LIFETIME_HOURS
        ): number_field(1, 720, "h"),
    }
)
# A Nitronode v1 entry: no login, so no session key; polled; caps kept locally.
NITRONODE_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_APPLICATION, default=DEFAULT_APPLICATION): TEXT_FIELD,
        **POLLING_FIELDS,
        **LOCAL_CAPS_FIELDS,
    }
)


def allowances_schema(caps: Mapping[str, float]) -> vol.Schema:
    """One amount field per offered asset, pre-filled with ``caps``."""
    return vol.Schema(
        {
            vol.Required(asset, description={"suggested_value": cap}): AMOUNT_FIELD
            for asset, cap in caps.items()
        }
    )


class InputError(Exception):
    """User input the flow refuses; ``field`` is "base" for form-wide errors.

    ``placeholders`` fill in the error's text (the form's description placeholders).
    """

    def __init__(self, field: str, error: str, /, **placeholders: str) -> None:
        """Keep the form field, the error key and what its text names."""
        super().__init__(error)
        self.field = field
        self.error = error
        self.placeholders = placeholders


@contextmanager
def errors_on(field: str) -> Iterator[None]:
    """Show a refusal by one of the input rules as the form error of ``field``."""
    try:
        yield
    except ServiceValidationError as err:
        raise InputError(field, str(err.translation_key)) from err


def allowances_from_input(
    user_input: Mapping[str, Any], assets: Sequence[str]
) -> dict[str, str]:
    """Read the cap of each offered asset, as entry data stores it."""
    caps: dict[str, str] = {}
    for asset in assets:
        with errors_on(asset):
            caps[asset] = format_amount(validation.amount(user_input[asset], asset))
    return caps


def clearnode_settings(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Check the settings of a v0.5 entry; its key may spend nothing until caps are set."""
    with errors_on(CONF_APPLICATION):
        application = validation.application(
            user_input[CONF_APPLICATION], CONF_APPLICATION
        )
    return {
        CONF_APPLICATION: application,
        CONF_ALLOWANCES: {},
        CONF_SESSION_KEY_LIFETIME: int(user_input[CONF_SESSION_KEY_LIFETIME]),
    }


def nitronode_settings(user_input: Mapping[str, Any]) -> tuple[str, dict[str, int]]:
    """Check the settings of a v1 entry: its application id, and its options."""
    with errors_on(CONF_APPLICATION):
        application = validation.application_id(
            user_input[CONF_APPLICATION], CONF_APPLICATION
        )
    return application, {
        CONF_POLL_INTERVAL: int(user_input[CONF_POLL_INTERVAL]),
        CONF_CAPS_WINDOW: int(user_input[CONF_CAPS_WINDOW]),
    }


def as_numbers(caps: Mapping[str, Decimal | str]) -> dict[str, float]:
    """Show caps in number fields."""
    return {asset: float(cap) for asset, cap in caps.items()}


def _loaded_client(entry: ConfigEntry) -> WalletClient | None:
    """Return the live client of a loaded entry."""
    if entry.state is not ConfigEntryState.LOADED:
        return None
    client: WalletClient = entry.runtime_data.client
    return client


async def async_offered_assets(entry: ConfigEntry) -> list[str]:
    """Ask the entry's ClearNode which assets it offers; empty when it cannot."""
    if (client := _loaded_client(entry)) is None:
        return []
    try:
        return offered_assets(await client.get_assets())
    except ClearNodeError as err:
        LOGGER.debug("Could not read the ClearNode's assets: %s", err)
        return []


def is_local_host(host: str) -> bool:
    """Whether a host is this machine or on a private network."""
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
    if url.scheme == "ws" and not is_local_host(url.host):
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


def faucet_url(endpoint: str) -> str | None:
    """Return the faucet of a node: the sandbox's, or a local node's own."""
    return faucet_url_for(endpoint, local=is_local_host(URL(endpoint).host or ""))
