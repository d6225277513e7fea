"""Add or change a payment preset (a config subentry of the wallet's entry)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_NAME
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.util import slugify

if TYPE_CHECKING:
    # Home Assistant >= 2026.9 validates with probatio and aliases voluptuous to it.
    import probatio as vol
else:
    import voluptuous as vol

from . import validation
from .clearnode import V1_PROTOCOL, Feature, format_amount
from .client import entry_features
from .const import (
    CONF_APPLICATION,
    CONF_ASSET,
    CONF_CHALLENGE,
    CONF_COUNTERPARTY,
    CONF_COUNTERPARTY_WEIGHT,
    CONF_DEPOSIT,
    CONF_OWN_WEIGHT,
    CONF_PROTOCOL,
    CONF_QUORUM,
    CONF_UNIT_PRICE,
    DEFAULT_CHALLENGE,
    DEFAULT_COUNTERPARTY_WEIGHT,
    DEFAULT_OWN_WEIGHT,
    DEFAULT_PROTOCOL,
    DEFAULT_QUORUM,
    PROTOCOLS,
    SUBENTRY_TYPE_PRESET,
)
from .forms import (
    AMOUNT_FIELD,
    TEXT_FIELD,
    InputError,
    async_offered_assets,
    errors_on,
    number_field,
)

SECTION_ADVANCED = "advanced"
MAX_WEIGHT = 1_000_000
MAX_V1_WEIGHT = 255  # weights and quorum of definitions without a protocol are uint8
MAX_CHALLENGE_SECONDS = 31_536_000


def _asset_selector(offered: Sequence[str] | None) -> SelectSelector | TextSelector:
    """Offer the ClearNode's assets as a list, or a text field when it cannot be asked."""
    if not offered:
        return TEXT_FIELD
    return SelectSelector(
        SelectSelectorConfig(options=list(offered), mode=SelectSelectorMode.DROPDOWN)
    )


def _preset_schema(
    application: str, offered: Sequence[str] | None, features: frozenset[Feature]
) -> vol.Schema:
    """Build the preset form; the app definition sits in a collapsed section.

    Where sessions have no protocol version (v1), they have no challenge period
    either, and weights and quorum are at most 255.
    """
    protocols = Feature.SESSION_PROTOCOLS in features
    max_weight = MAX_WEIGHT if protocols else MAX_V1_WEIGHT
    advanced: dict[vol.Marker, Any] = {}
    if protocols:
        advanced[vol.Required(CONF_PROTOCOL, default=DEFAULT_PROTOCOL)] = (
            SelectSelector(SelectSelectorConfig(options=list(PROTOCOLS)))
        )
    advanced |= {
        vol.Required(CONF_OWN_WEIGHT, default=DEFAULT_OWN_WEIGHT): number_field(
            0, max_weight
        ),
        vol.Required(
            CONF_COUNTERPARTY_WEIGHT, default=DEFAULT_COUNTERPARTY_WEIGHT
        ): number_field(0, max_weight),
        vol.Required(CONF_QUORUM, default=DEFAULT_QUORUM): number_field(1, max_weight),
    }
    if protocols:
        advanced[vol.Required(CONF_CHALLENGE, default=DEFAULT_CHALLENGE)] = (
            number_field(0, MAX_CHALLENGE_SECONDS, "s")
        )
    advanced[vol.Required(CONF_APPLICATION, default=application)] = TEXT_FIELD
    return vol.Schema(
        {
            vol.Required(CONF_NAME): TEXT_FIELD,
            vol.Required(CONF_COUNTERPARTY): TEXT_FIELD,
            vol.Required(CONF_ASSET): _asset_selector(offered),
            vol.Required(CONF_DEPOSIT): AMOUNT_FIELD,
            vol.Required(CONF_UNIT_PRICE): AMOUNT_FIELD,
            vol.Required(SECTION_ADVANCED): section(
                vol.Schema(advanced), {"collapsed": True}
            ),
        }
    )


def _advanced_settings(
    advanced: Mapping[str, Any], features: frozenset[Feature]
) -> dict[str, Any]:
    """Check the app definition: our weight alone, and only ours, reaches the quorum."""
    own_weight = int(advanced[CONF_OWN_WEIGHT])
    counterparty_weight = int(advanced[CONF_COUNTERPARTY_WEIGHT])
    quorum = int(advanced[CONF_QUORUM])
    protocols = Feature.SESSION_PROTOCOLS in features
    application_rule = (
        validation.application if protocols else validation.application_id
    )
    with errors_on("base"):
        validation.check_own_weight_reaches_quorum(own_weight, quorum)
        validation.check_others_need_us(counterparty_weight, quorum)
        application = application_rule(advanced[CONF_APPLICATION], CONF_APPLICATION)
    return {
        CONF_PROTOCOL: advanced[CONF_PROTOCOL] if protocols else V1_PROTOCOL,
        CONF_OWN_WEIGHT: own_weight,
        CONF_COUNTERPARTY_WEIGHT: counterparty_weight,
        CONF_QUORUM: quorum,
        CONF_CHALLENGE: int(advanced[CONF_CHALLENGE]) if protocols else 0,
        CONF_APPLICATION: application,
    }


def _preset_asset(value: str, offered: Sequence[str]) -> str:
    """Keep an asset picked from the ClearNode's list; lower-case a typed one."""
    asset = value.strip() if offered else value.strip().lower()
    if not asset:
        raise InputError(CONF_ASSET, "invalid_asset")
    return asset


def preset_from_input(
    user_input: Mapping[str, Any],
    wallet: str,
    offered: Sequence[str],
    features: frozenset[Feature],
) -> dict[str, Any]:
    """Validate the preset form; return the subentry data."""
    with errors_on(CONF_COUNTERPARTY):
        counterparty = validation.address(
            user_input[CONF_COUNTERPARTY], CONF_COUNTERPARTY
        )
    if counterparty.lower() == wallet:
        raise InputError(CONF_COUNTERPARTY, "counterparty_is_self")
    asset = _preset_asset(user_input[CONF_ASSET], offered)
    with errors_on(CONF_DEPOSIT):
        deposit = validation.positive_amount(user_input[CONF_DEPOSIT], CONF_DEPOSIT)
    with errors_on(CONF_UNIT_PRICE):
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
        **_advanced_settings(user_input[SECTION_ADVANCED], features),
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
            self._offered = await async_offered_assets(entry)
        features = entry_features(self.hass, entry)
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = preset_from_input(
                    user_input, _wallet(entry), self._offered, features
                )
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
                _preset_schema(entry.data[CONF_APPLICATION], self._offered, features),
                suggested,
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
