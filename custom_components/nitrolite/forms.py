"""Form fields and input rules shared by the config, options and preset flows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
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

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from . import validation
from .allowances import offered_assets
from .clearnode import ClearNodeError, WalletClient, format_amount
from .const import LOGGER

STEP_ALLOWANCES = "allowances"

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


def allowances_schema(caps: Mapping[str, float]) -> vol.Schema:
    """One amount field per offered asset, pre-filled with ``caps``."""
    return vol.Schema(
        {
            vol.Required(asset, description={"suggested_value": cap}): AMOUNT_FIELD
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
