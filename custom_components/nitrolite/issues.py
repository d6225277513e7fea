"""Repair issues of an entry: raised where something stops it, cleared once fixed.

The flows that fix them are the ``repairs`` platform's.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_ALLOWANCE_EXHAUSTED,
    ISSUE_BROKER_CHANGED,
    ISSUE_CLOCK_SKEW,
    ISSUE_ENDPOINT_UPGRADED,
    ISSUE_ROOT_APPLICATION,
    ISSUE_SESSION_KEY,
)

# Fixed by a reload: the entry logs in again with a fresh session key.
RELOAD_FIXES = (ISSUE_ALLOWANCE_EXHAUSTED, ISSUE_SESSION_KEY)
# Fixed by a flow that converts the entry to the protocol its endpoint now speaks.
UPGRADE_FIXES = (ISSUE_ENDPOINT_UPGRADED,)
# Proved fixed by a successful login.
_CONNECTION_ISSUES = (
    ISSUE_CLOCK_SKEW,
    ISSUE_SESSION_KEY,
    ISSUE_BROKER_CHANGED,
    ISSUE_ENDPOINT_UPGRADED,
)


def issue_id(kind: str, entry_id: str) -> str:
    """Return the id of an entry's issue of one kind."""
    return f"{kind}_{entry_id}"


@callback
def async_create_issue(
    hass: HomeAssistant, entry: ConfigEntry, kind: str, **placeholders: str
) -> None:
    """Tell the user what stops the entry and how to fix it."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(kind, entry.entry_id),
        is_fixable=kind in (*RELOAD_FIXES, *UPGRADE_FIXES),
        severity=ir.IssueSeverity.ERROR,
        translation_key=kind,
        translation_placeholders={"title": entry.title, **placeholders},
        data={"entry_id": entry.entry_id, "title": entry.title},
    )


@callback
def async_delete_connection_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Clear the issues a successful login proves fixed (clock, key, broker, protocol)."""
    for kind in _CONNECTION_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry.entry_id))


@callback
def async_delete_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Forget every issue of an entry (a fresh session key, or entry removed)."""
    for kind in (
        *_CONNECTION_ISSUES,
        ISSUE_ALLOWANCE_EXHAUSTED,
        ISSUE_ROOT_APPLICATION,
    ):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry.entry_id))
