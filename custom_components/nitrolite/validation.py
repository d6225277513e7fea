"""Rules for what users enter, shared by the services, the actions and the flows.

Each rule raises a translated ServiceValidationError naming the field; the flows show its
translation key as the error of the form field.
"""

from __future__ import annotations

from decimal import Decimal
import re

from homeassistant.exceptions import ServiceValidationError

from .clearnode import (
    AmountError,
    ClearNodeValidationError,
    parse_address,
    parse_amount,
)
from .const import DOMAIN

# The ClearNode treats a session key of this application as its root key: no
# application and no spending-cap checks apply to it.
ROOT_APPLICATION = "clearnode"
# What a node without session protocols (Nitronode v1) accepts as an application id.
_APPLICATION_ID = re.compile(r"[a-z0-9_-]{1,66}")
_SHOWN_CHARS = 48


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return the translated error for input the user can correct."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


def _shown(value: object) -> str:
    """Quote at most a short prefix of what was entered."""
    text = str(value)
    return text if len(text) <= _SHOWN_CHARS else f"{text[:_SHOWN_CHARS]}…"


def amount(value: Decimal | str | float, field: str) -> Decimal:
    """Parse an amount in human units: a decimal string, or a number field's value."""
    try:
        # repr() of a float is the shortest text that reads back as the same number.
        return parse_amount(repr(value) if isinstance(value, float) else value)
    except AmountError:
        raise validation_error(
            "invalid_amount", field=field, value=_shown(value)
        ) from None


def positive_amount(value: str | float, field: str) -> Decimal:
    """Parse an amount that must be greater than zero."""
    parsed = amount(value, field)
    if not parsed:
        raise validation_error("amount_not_positive", field=field, amount=str(value))
    return parsed


def address(value: str, field: str) -> str:
    """Return a wallet address in EIP-55 form; mixed case must be a valid checksum."""
    try:
        return parse_address(value, field)
    except ClearNodeValidationError:
        raise validation_error(
            "invalid_address", field=field, value=_shown(value)
        ) from None


def is_root_application(name: str) -> bool:
    """Whether an application name is the ClearNode's own (in any case)."""
    return name.strip().casefold() == ROOT_APPLICATION


def application(value: str, field: str) -> str:
    """Return an application name; the ClearNode's own (root) name is refused."""
    name = value.strip()
    if not name:
        raise validation_error("invalid_application", field=field)
    if is_root_application(name):
        raise validation_error("root_application", field=field, application=name)
    return name


def application_id(value: str, field: str) -> str:
    """Return an application id of a v1 node: 1 to 66 of a-z, 0-9, _ and -."""
    name = application(value, field)
    if not _APPLICATION_ID.fullmatch(name):
        raise validation_error(
            "invalid_application_id", field=field, value=_shown(name)
        )
    return name


def check_own_weight_reaches_quorum(own_weight: int, quorum: int) -> None:
    """Refuse what our signature alone could not carry (we sign for our wallet only)."""
    if own_weight < quorum:
        raise validation_error(
            "quorum_not_reached", weight=str(own_weight), quorum=str(quorum)
        )


def check_others_need_us(others_weight: int, quorum: int) -> None:
    """Refuse a definition whose other participants reach the quorum without us.

    They could then sign away our deposit on their own.
    """
    if others_weight >= quorum:
        raise validation_error(
            "quorum_reachable_without_us",
            weight=str(others_weight),
            quorum=str(quorum),
        )
