"""What the user is told when something fails: the translated errors and their repairs.

The library's errors are mapped to translation keys in one table, :data:`_TRANSLATIONS`,
by their stable codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from . import issues
from .clearnode import (
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeError,
    ClearNodeValidationError,
    Feature,
)
from .client import entry_features
from .const import (
    DOMAIN,
    ISSUE_ALLOWANCE_EXHAUSTED,
    ISSUE_BROKER_CHANGED,
    ISSUE_CLOCK_SKEW,
    ISSUE_SESSION_KEY,
)


@dataclass(frozen=True, slots=True)
class _Translation:
    """How one kind of library error reads."""

    key: str  # exceptions.<key>
    placeholders: tuple[str, ...] = ()  # attributes of the error; "error" is its text
    issue: str | None = None  # the repair issue that tells how to fix it
    form_error: str = "cannot_connect"  # config.error.<form_error>, in the flows


# By the library's stable error codes. An error whose own code is not listed reads as
# its nearest listed base class (a timeout without an answer as "timeout", …).
_TRANSLATIONS: dict[str, _Translation] = {
    "validation": _Translation("invalid_input", ("field", "error")),
    "allowance": _Translation(
        "allowance_exceeded", ("reason",), ISSUE_ALLOWANCE_EXHAUSTED
    ),
    "clock_skew": _Translation(
        "clock_skew", issue=ISSUE_CLOCK_SKEW, form_error="clock_skew"
    ),
    "rejected": _Translation("request_rejected", ("reason",)),
    "session_key": _Translation(
        "session_key_expired", issue=ISSUE_SESSION_KEY, form_error="invalid_auth"
    ),
    "authentication": _Translation("authentication_failed", form_error="invalid_auth"),
    "broker_changed": _Translation(
        "broker_changed", ("expected", "actual"), ISSUE_BROKER_CHANGED, "broker_changed"
    ),
    "faucet_limit": _Translation("faucet_limit", form_error="faucet_limit"),
    "faucet": _Translation("faucet_refused", ("reason",), form_error="faucet_refused"),
    "timeout": _Translation("timeout"),
    "connection": _Translation("not_connected"),
    "error": _Translation("communication_error", ("error",)),
}
# Issues that only apply where the entry's node has the feature.
_ISSUE_NEEDS = {ISSUE_CLOCK_SKEW: Feature.TIMESTAMP_WINDOW}


def _row(err: ClearNodeError) -> _Translation:
    """Return the row of the error's own code, or of its nearest listed base's."""
    for cls in type(err).__mro__:
        code = cls.__dict__.get("code")
        if code in _TRANSLATIONS:
            return _TRANSLATIONS[code]
    return _TRANSLATIONS["error"]


def _error[E: HomeAssistantError](
    error_class: type[E], key: str, placeholders: dict[str, str]
) -> E:
    return error_class(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
    )


@dataclass(frozen=True, slots=True)
class Translated:
    """A library error as Home Assistant shows it."""

    key: str
    placeholders: dict[str, str]
    issue: str | None
    form_error: str

    def error[E: HomeAssistantError](self, error_class: type[E]) -> E:
        """Return an error of that class that reads as this translation."""
        return _error(error_class, self.key, self.placeholders)


def translate(err: ClearNodeError) -> Translated:
    """Look a library error up in the table."""
    row = _row(err)
    return Translated(
        row.key,
        {
            name: str(err) if name == "error" else str(getattr(err, name))
            for name in row.placeholders
        },
        row.issue,
        row.form_error,
    )


@callback
def _async_raise_issue(
    hass: HomeAssistant, entry: ConfigEntry, translated: Translated
) -> Translated:
    if translated.issue is not None and _applies(hass, entry, translated.issue):
        issues.async_create_issue(
            hass, entry, translated.issue, **translated.placeholders
        )
    return translated


def _applies(hass: HomeAssistant, entry: ConfigEntry, issue: str) -> bool:
    needed = _ISSUE_NEEDS.get(issue)
    return needed is None or needed in entry_features(hass, entry)


@callback
def async_report(
    hass: HomeAssistant, entry: ConfigEntry, err: ClearNodeError
) -> Translated:
    """Translate a library error and raise the repair issue that fixes it, if any."""
    return _async_raise_issue(hass, entry, translate(err))


@callback
def async_spending_cap_exceeded(
    hass: HomeAssistant, entry: ConfigEntry, reason: str
) -> HomeAssistantError:
    """Return the error of a request over a local spending cap, raising its repair.

    It reads as the node's own refusal for its spending cap does.
    """
    row = _TRANSLATIONS["allowance"]
    translated = Translated(row.key, {"reason": reason}, row.issue, row.form_error)
    return _async_raise_issue(hass, entry, translated).error(HomeAssistantError)


def service_error(key: str, **placeholders: str) -> HomeAssistantError:
    """Return the translated error of a failure the user cannot fix by other input."""
    return _error(HomeAssistantError, key, placeholders)


@contextmanager
def translated_errors(hass: HomeAssistant, entry: ConfigEntry) -> Iterator[None]:
    """Raise library errors as the translated errors of an action."""
    try:
        yield
    except ClearNodeError as err:
        translated = async_report(hass, entry, err)
        if isinstance(err, ClearNodeValidationError):
            raise translated.error(ServiceValidationError) from err
        raise translated.error(HomeAssistantError) from err


@callback
def async_setup_error(
    hass: HomeAssistant, entry: ConfigEntry, err: ClearNodeError
) -> HomeAssistantError:
    """Return what a failed first login raises: stop, re-authenticate, or retry.

    Only a node with a login can refuse one: nowhere else is the key asked again.
    """
    if isinstance(err, ClearNodeBrokerChangedError):
        return async_report(hass, entry, err).error(ConfigEntryError)
    if isinstance(err, ClearNodeAuthenticationError) and Feature.LOGIN in (
        entry_features(hass, entry)
    ):
        return _error(ConfigEntryAuthFailed, "authentication_failed", {})
    return _error(ConfigEntryNotReady, "cannot_connect", {"error": str(err)})


@callback
def async_update_failed(
    hass: HomeAssistant, entry: ConfigEntry, err: ClearNodeError
) -> UpdateFailed:
    """Return why the wallet's state could not be read, raising its repair if any."""
    translated = async_report(hass, entry, err)
    if translated.issue is None:
        return _error(UpdateFailed, "update_failed", {"error": str(err)})
    return translated.error(UpdateFailed)
