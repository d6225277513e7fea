"""Repair issues for what the user can fix, and their fix flows."""

from __future__ import annotations

from decimal import Decimal
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nitrolite.clearnode import (
    ClearNodeSessionKeyError,
    ConnectionState,
    ConnectionStateChanged,
)
from custom_components.nitrolite.clearnode.v05 import codec as v05_codec
from custom_components.nitrolite.const import DOMAIN
from local_clearnode import LocalClearNode

from .conftest import WALLET, entry_data, setup_entry
from .helpers import actions_of, coordinator_of, wait_for
from .test_app_sessions import DEFINITION, funding

OLD_CLOCK = "custom_components.nitrolite.clearnode.v05.codec.now_ms"
TEN_MINUTES_AGO_MS = 600_000


def issue(
    hass: HomeAssistant, kind: str, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    """Return the entry's repair issue of that kind, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def slow_clock():
    """Make the client's timestamps ten minutes late (the server allows 60 s)."""
    real = v05_codec.now_ms
    return patch(OLD_CLOCK, side_effect=lambda: real() - TEN_MINUTES_AGO_MS)


async def test_a_used_up_spending_cap_raises_a_fixable_issue(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    """Spending beyond the cap is refused; the fix reloads with a fresh session key."""
    with pytest.raises(HomeAssistantError) as err:
        await actions_of(loaded_entry).async_create_app_session(
            DEFINITION, funding("15"), None
        )
    assert err.value.translation_key == "allowance_exceeded"
    found = issue(hass, "allowance_exhausted", loaded_entry)
    assert found is not None
    assert found.is_fixable

    assert await async_setup_component(hass, "repairs", {})
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": found.issue_id}
    )
    flow = await response.json()
    assert flow["step_id"] == "confirm"
    assert flow["description_placeholders"] == {"title": loaded_entry.title}
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.LOADED
    assert issue(hass, "allowance_exhausted", loaded_entry) is None


async def test_clock_skew_raises_an_issue_cleared_by_the_next_login(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The ClearNode refuses late timestamps; a later good login clears the issue."""
    with slow_clock(), pytest.raises(HomeAssistantError) as err:
        await actions_of(loaded_entry).async_get_balances()
    assert err.value.translation_key == "clock_skew"
    assert issue(hass, "clock_skew", loaded_entry) is not None

    await clearnode.restart()
    await wait_for(hass, lambda: issue(hass, "clock_skew", loaded_entry) is None)


async def test_clock_skew_at_start_up_retries_setup_with_an_issue(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """Setup is retried while the clock is off, and the user is told why."""
    with slow_clock():
        await setup_entry(hass, config_entry)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert issue(hass, "clock_skew", config_entry) is not None


async def test_a_refused_session_key_raises_a_fixable_issue(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """The client reports a session key it could not renew (delivered as its event)."""
    client = loaded_entry.runtime_data.client
    client._emit(
        ConnectionStateChanged(
            ConnectionState.DISCONNECTED, ClearNodeSessionKeyError("expired")
        )
    )
    await hass.async_block_till_done()
    assert issue(hass, "session_key_not_renewable", loaded_entry).is_fixable


async def test_a_login_refused_at_runtime_starts_reauthentication(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """After a restart the ClearNode refuses every login: the user is asked again."""
    clearnode.faults.refuse_logins = True
    await clearnode.restart()

    def reauth_started() -> bool:
        flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        return [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]

    await wait_for(hass, reauth_started)


async def test_balance_cap_issue_needs_no_second_funding(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Within the cap, spending works and raises no issue."""
    await actions_of(loaded_entry).async_create_app_session(
        DEFINITION, funding("10"), None
    )
    assert clearnode.balance(
        loaded_entry.runtime_data.client.wallet_address, "usdc"
    ) == Decimal(90)
    assert issue(hass, "allowance_exhausted", loaded_entry) is None


async def test_clock_skew_while_reconnecting_raises_the_issue(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The state re-read after a reconnect is refused for the clock, and reported."""
    with slow_clock():
        await clearnode.restart()
        await wait_for(
            hass, lambda: issue(hass, "clock_skew", loaded_entry) is not None
        )
    assert not coordinator_of(loaded_entry).last_update_success


@pytest.mark.parametrize("application", ["clearnode", "ClearNode", " CLEARNODE "])
async def test_an_entry_of_the_root_application_does_not_set_up(
    hass: HomeAssistant, clearnode: LocalClearNode, application: str
) -> None:
    """An entry made before the name was refused stops before any login, with a repair.

    Its application name cannot be changed, so the repair explains what to do; removing
    the entry clears it, and leaves no session key.
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode, application=application),
    )

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "the ClearNode's own" in str(entry.reason)
    assert clearnode.faults.received["auth_request"] == 0
    found = issue(hass, "root_application", entry)
    assert found is not None
    assert not found.is_fixable
    assert found.translation_placeholders == {
        "title": WALLET,
        "application": application,
    }

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "root_application"
    assert clearnode.faults.received["auth_request"] == 0

    await hass.config_entries.async_remove(entry.entry_id)
    assert issue(hass, "root_application", entry) is None
    assert clearnode.active_session_keys(WALLET) == []
