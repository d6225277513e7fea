"""Add or change a payment preset (a config subentry of the wallet's entry)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    ATTR_STATE_CLASS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigSubentry,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import ATTR_DEVICE_CLASS, CONF_NAME
from homeassistant.core import HomeAssistant, State
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
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
from .clearnode import (
    EXACT,
    V1_PROTOCOL,
    AmountError,
    Feature,
    format_amount,
    parse_amount,
)
from .client import entry_features
from .const import (
    CONF_APPLICATION,
    CONF_ASSET,
    CONF_CHALLENGE,
    CONF_COUNTERPARTY,
    CONF_COUNTERPARTY_WEIGHT,
    CONF_DEPOSIT,
    CONF_MAX_SESSION_DEPOSIT,
    CONF_METER,
    CONF_METER_ENTITY,
    CONF_METER_UNITS,
    CONF_OWN_WEIGHT,
    CONF_PAY_EVERY,
    CONF_PROTOCOL,
    CONF_QUORUM,
    CONF_SESSION_FOLLOWS,
    CONF_UNIT_PRICE,
    CONF_WHEN_DEPOSIT_RUNS_OUT,
    DEFAULT_CHALLENGE,
    DEFAULT_COUNTERPARTY_WEIGHT,
    DEFAULT_OWN_WEIGHT,
    DEFAULT_PROTOCOL,
    DEFAULT_QUORUM,
    DEPOSIT_RUNS_OUT_STOP,
    DEPOSIT_RUNS_OUT_TOP_UP,
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
METER_DOMAINS = ("sensor", "counter", "input_number", "number")
SESSION_FOLLOWS_DOMAINS = ("binary_sensor", "switch", "input_boolean")
# Without a number to show (unavailable while the form is filled in), these still meter.
METER_STATE_CLASSES = frozenset(
    {SensorStateClass.TOTAL, SensorStateClass.TOTAL_INCREASING}
)
METER_DEVICE_CLASSES = frozenset(
    {
        SensorDeviceClass.DURATION,
        SensorDeviceClass.ENERGY,
        SensorDeviceClass.GAS,
        SensorDeviceClass.VOLUME,
        SensorDeviceClass.WATER,
    }
)
METER_AMOUNTS = (CONF_METER_UNITS, CONF_PAY_EVERY, CONF_MAX_SESSION_DEPOSIT)


def _asset_selector(offered: Sequence[str] | None) -> SelectSelector | TextSelector:
    """Offer the ClearNode's assets as a list, or a text field when it cannot be asked."""
    if not offered:
        return TEXT_FIELD
    return SelectSelector(
        SelectSelectorConfig(options=list(offered), mode=SelectSelectorMode.DROPDOWN)
    )


def _meter_schema() -> vol.Schema:
    """Build the meter section: no meter unless one is picked."""
    return vol.Schema(
        {
            vol.Optional(CONF_METER_ENTITY): EntitySelector(
                EntitySelectorConfig(filter={"domain": list(METER_DOMAINS)})
            ),
            vol.Required(CONF_METER_UNITS, default=1): AMOUNT_FIELD,
            vol.Required(CONF_PAY_EVERY, default=1): AMOUNT_FIELD,
            vol.Optional(CONF_SESSION_FOLLOWS): EntitySelector(
                EntitySelectorConfig(filter={"domain": list(SESSION_FOLLOWS_DOMAINS)})
            ),
            vol.Required(
                CONF_WHEN_DEPOSIT_RUNS_OUT, default=DEPOSIT_RUNS_OUT_STOP
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[DEPOSIT_RUNS_OUT_STOP, DEPOSIT_RUNS_OUT_TOP_UP],
                    translation_key=CONF_WHEN_DEPOSIT_RUNS_OUT,
                )
            ),
            vol.Optional(CONF_MAX_SESSION_DEPOSIT): AMOUNT_FIELD,
        }
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
            # Optional without a default: the frontend fills in the fields' defaults.
            vol.Optional(CONF_METER): section(_meter_schema(), {"collapsed": True}),
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


def _can_meter(state: State | None) -> bool:
    """Whether an entity reads as a meter: a total, a quantity that adds up, a number."""
    if state is None:
        return False
    attributes = state.attributes
    if (
        attributes.get(ATTR_STATE_CLASS) in METER_STATE_CLASSES
        or attributes.get(ATTR_DEVICE_CLASS) in METER_DEVICE_CLASSES
    ):
        return True
    try:
        parse_amount(state.state)
    except AmountError:
        return False
    return True


def meter_from_input(
    hass: HomeAssistant, meter: Mapping[str, Any], deposit: Decimal, unit_price: Decimal
) -> dict[str, Any] | None:
    """Validate the meter section; return its subentry data, None without a meter."""
    entity_id = meter.get(CONF_METER_ENTITY)
    if not entity_id:
        return None
    if not _can_meter(hass.states.get(entity_id)):
        raise InputError("base", "meter_not_numeric")
    with errors_on("base"):
        meter_units = validation.positive_amount(
            meter[CONF_METER_UNITS], CONF_METER_UNITS
        )
        pay_every = validation.positive_amount(meter[CONF_PAY_EVERY], CONF_PAY_EVERY)
    with localcontext(EXACT):
        step_price = unit_price * pay_every
    try:
        parse_amount(step_price)  # at most 36 decimal places
    except AmountError:
        raise InputError("base", "step_price_too_precise") from None
    if step_price > deposit:
        raise InputError("base", "step_price_exceeds_deposit")
    return {
        CONF_METER_ENTITY: entity_id,
        CONF_METER_UNITS: format_amount(meter_units),
        CONF_PAY_EVERY: format_amount(pay_every),
        CONF_SESSION_FOLLOWS: meter.get(CONF_SESSION_FOLLOWS) or None,
        CONF_WHEN_DEPOSIT_RUNS_OUT: meter[CONF_WHEN_DEPOSIT_RUNS_OUT],
        CONF_MAX_SESSION_DEPOSIT: _max_session_deposit(meter, deposit),
    }


def _max_session_deposit(meter: Mapping[str, Any], deposit: Decimal) -> str | None:
    """Check the most one session may lock; topping up needs it."""
    value = meter.get(CONF_MAX_SESSION_DEPOSIT)
    if value is None:
        if meter[CONF_WHEN_DEPOSIT_RUNS_OUT] == DEPOSIT_RUNS_OUT_TOP_UP:
            raise InputError("base", "max_session_deposit_required")
        return None
    with errors_on("base"):
        maximum = validation.positive_amount(value, CONF_MAX_SESSION_DEPOSIT)
    if maximum < deposit:
        raise InputError("base", "max_session_deposit_below_deposit")
    return format_amount(maximum)


def _preset_asset(value: str, offered: Sequence[str]) -> str:
    """Keep an asset picked from the ClearNode's list; lower-case a typed one."""
    asset = value.strip() if offered else value.strip().lower()
    if not asset:
        raise InputError(CONF_ASSET, "invalid_asset")
    return asset


def preset_from_input(
    hass: HomeAssistant,
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
    data = {
        CONF_NAME: user_input[CONF_NAME].strip(),
        CONF_COUNTERPARTY: counterparty,
        CONF_ASSET: asset,
        CONF_DEPOSIT: format_amount(deposit),
        CONF_UNIT_PRICE: format_amount(unit_price),
        **_advanced_settings(user_input[SECTION_ADVANCED], features),
    }
    meter_input = user_input.get(CONF_METER, {})
    if meter := meter_from_input(hass, meter_input, deposit, unit_price):
        data[CONF_METER] = meter
    return data


def _form_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """Arrange a preset's subentry data as the form shows it."""
    advanced = {key: data[key] for key in _advanced_settings_keys()}
    main = {
        key: value
        for key, value in data.items()
        if key not in advanced and key != CONF_METER
    }
    amounts = {key: float(main[key]) for key in (CONF_DEPOSIT, CONF_UNIT_PRICE)}
    return {
        **main,
        **amounts,
        CONF_METER: _meter_form_values(data.get(CONF_METER) or {}),
        SECTION_ADVANCED: advanced,
    }


def _meter_form_values(meter: Mapping[str, Any]) -> dict[str, Any]:
    """Show the meter's amounts in number fields; leave out what is not set."""
    return {
        key: float(value) if key in METER_AMOUNTS else value
        for key, value in meter.items()
        if value is not None
    }


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
                    self.hass, user_input, _wallet(entry), self._offered, features
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
