"""Repair issues the user can act on, and the flows that fix them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import (
    DOMAIN,
    ISSUE_ALLOWANCE_EXHAUSTED,
    ISSUE_BROKER_CHANGED,
    ISSUE_CLOCK_SKEW,
    ISSUE_ROOT_APPLICATION,
    ISSUE_SESSION_KEY,
)

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult
    from homeassistant.config_entries import ConfigEntry

# Fixed by a reload: the entry logs in again with a fresh session key.
_RELOAD_FIXES = (ISSUE_ALLOWANCE_EXHAUSTED, ISSUE_SESSION_KEY)
# Proved fixed by a successful login.
_CONNECTION_ISSUES = (ISSUE_CLOCK_SKEW, ISSUE_SESSION_KEY, ISSUE_BROKER_CHANGED)


def _issue_id(kind: str, entry: ConfigEntry) -> str:
    return f"{kind}_{entry.entry_id}"


@callback
def async_create_issue(
    hass: HomeAssistant, entry: ConfigEntry, kind: str, **placeholders: str
) -> None:
    """Tell the user what stops the entry and how to fix it."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(kind, entry),
        is_fixable=kind in _RELOAD_FIXES,
        severity=ir.IssueSeverity.ERROR,
        translation_key=kind,
        translation_placeholders={"title": entry.title, **placeholders},
        data={"entry_id": entry.entry_id, "title": entry.title},
    )


@callback
def async_delete_connection_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Clear the issues a successful login proves fixed (clock, session key, broker)."""
    for kind in _CONNECTION_ISSUES:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(kind, entry))


@callback
def async_delete_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Forget every issue of an entry (a fresh session key, or entry removed)."""
    for kind in (
        *_CONNECTION_ISSUES,
        ISSUE_ALLOWANCE_EXHAUSTED,
        ISSUE_ROOT_APPLICATION,
    ):
        ir.async_delete_issue(hass, DOMAIN, _issue_id(kind, entry))


class ReloadEntryRepairFlow(RepairsFlow):
    """Confirm, then reload the entry so it registers a fresh session key."""

    def __init__(self, entry_id: str, title: str) -> None:
        """Remember which entry to reload."""
        self._entry_id = entry_id
        self._title = title

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002 - the issue's id only
    ) -> RepairsFlowResult:
        """Start with the confirmation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Reload the entry once the user confirms."""
        if user_input is None:
            return self.async_show_form(
                step_id="confirm", description_placeholders={"title": self._title}
            )
        if self.hass.config_entries.async_get_entry(self._entry_id) is not None:
            self.hass.config_entries.async_schedule_reload(self._entry_id)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001 - part of the platform signature
    issue_id: str,  # noqa: ARG001
    data: dict[str, str | int | float | None] | None,
) -> RepairsFlow:
    """Create the flow that fixes a fixable issue."""
    assert data is not None  # noqa: S101 - every fixable issue is created with data
    return ReloadEntryRepairFlow(str(data["entry_id"]), str(data["title"]))
