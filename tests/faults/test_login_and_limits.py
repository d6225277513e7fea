"""Logins refused or lost at runtime, a wrong clock and a used-up spending cap."""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.const import DOMAIN
from local_clearnode import LocalClearNode
from tests.integration.conftest import COUNTERPARTY
from tests.integration.helpers import call, coordinator_of, open_session, wait_for
from tests.integration.test_repairs import slow_clock

from .helpers import assert_converges


def issue(
    hass: HomeAssistant, kind: str, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    """Return the entry's repair issue of that kind, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def reauth_flows(hass: HomeAssistant) -> list[str]:
    """Return the sources of the integration's flows in progress."""
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [flow["context"]["source"] for flow in flows]


async def test_a_login_refused_at_runtime_starts_reauthentication(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The ClearNode refuses JWT and signature alike after a restart."""
    clearnode.faults.refuse_logins = True
    await clearnode.restart()

    await wait_for(hass, lambda: reauth_flows(hass) == [SOURCE_REAUTH])
    assert not coordinator_of(loaded_entry).connected


async def test_a_refused_jwt_means_a_silent_fresh_login(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A forgotten JWT costs one more challenge, nothing the user sees."""
    challenges = clearnode.faults.received["auth_request"]
    clearnode.faults.reject_jwt = True
    await clearnode.restart()

    await wait_for(hass, lambda: loaded_entry.runtime_data.client.stats["reconnects"])
    await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)
    assert clearnode.faults.received["auth_request"] == challenges + 1
    assert reauth_flows(hass) == []
    assert not ir.async_get(hass).issues


async def test_clock_skew_fails_the_payment_and_raises_an_issue(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """A late clock is reported where the user can fix it; nothing is half-done."""
    session_id = await open_session(hass)
    with slow_clock(), pytest.raises(HomeAssistantError) as err:
        await call(hass, "pay_in_session", app_session_id=session_id, amount="1")

    assert err.value.translation_key == "clock_skew"
    assert issue(hass, "clock_skew", loaded_entry) is not None
    await assert_converges(hass, loaded_entry, clearnode)
    assert clearnode.app_sessions[session_id].version == 1


async def test_a_used_up_spending_cap_gives_a_clear_error_and_an_issue(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Spending beyond the session key's cap (10 usdc) is refused and explained."""
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "create_app_session",
            counterparty=COUNTERPARTY,
            asset="usdc",
            amount="15",
        )

    assert err.value.translation_key == "allowance_exceeded"
    assert "allowance" in str(err.value)
    assert issue(hass, "allowance_exhausted", loaded_entry) is not None
    assert clearnode.app_sessions == {}
    await assert_converges(hass, loaded_entry, clearnode)
