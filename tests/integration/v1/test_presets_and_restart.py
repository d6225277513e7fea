"""Payment presets, a restart and diagnostics of a v1 entry.

Presets work on top of the actions as on v0.5: buttons open, pay and close, and the
deposit counts against the local cap. After a restart the open sessions come back from
the node's listing, allocations included. Diagnostics tell the dialect, the node,
the polls, the frame budget and the caps, never a secret.
"""

from __future__ import annotations

from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.nitrolite.clearnode import Allocation, Signer
from custom_components.nitrolite.devices import session_device_key
from local_nitronode import LocalNitronode
from tests.integration.conftest import SECRETS
from tests.integration.helpers import call, find_device, wait_for
from tests.integration.test_presets import press

from .conftest import (
    COUNTERPARTY,
    WALLET,
    YUSD,
    coordinator_of,
    counterparty_opens,
    open_session,
    session_entity,
    state_of,
    v1_entry,
    v1_preset,
)

OPEN = "button.ev_charger_open_session"
PAY = "button.ev_charger_pay_one_unit"
CLOSE = "button.ev_charger_close_session"
STATUS = "sensor.ev_charger_session_status"
PAID = "sensor.ev_charger_total_paid"
REMAINING = "sensor.ev_charger_remaining_deposit"


@pytest.fixture
def config_entry(nitronode: LocalNitronode) -> MockConfigEntry:
    """Return a v1 entry with the EV-charger preset (4 yusd, 0.5 per unit)."""
    return v1_entry(nitronode, subentries_data=[v1_preset()])


pytestmark = pytest.mark.usefixtures("loaded_entry")


def amount_of(hass: HomeAssistant, entity_id: str) -> Decimal:
    """Return a sensor's amount."""
    return Decimal(state_of(hass, entity_id))


async def test_the_presets_buttons_open_pay_and_close(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Open, pay one unit twice, close: the node settles 1 yusd to the counterparty."""
    await press(hass, OPEN)
    assert state_of(hass, STATUS) == "open"

    await press(hass, PAY)
    await press(hass, PAY)
    assert (amount_of(hass, PAID), amount_of(hass, REMAINING)) == (1, 3)

    await press(hass, CLOSE)
    assert state_of(hass, STATUS) == "closed"
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal(1)
    assert nitronode.balance(WALLET, YUSD) == Decimal(99)


async def test_a_presets_deposit_counts_against_the_local_cap(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """With 7 of the 10 yusd spent, the preset's 4 yusd deposit is refused unsent."""
    await call(hass, "transfer", destination=COUNTERPARTY, asset=YUSD, amount="7")

    with pytest.raises(HomeAssistantError) as refusal:
        await call(hass, "create_app_session", preset="ev_charger")

    assert refusal.value.translation_key == "allowance_exceeded"
    assert nitronode.faults.received["app_sessions.v1.create_app_session"] == 0
    assert state_of(hass, STATUS) == "none"


async def test_open_sessions_come_back_after_a_restart(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_entry: MockConfigEntry
) -> None:
    """After a reload the sessions are listed with their allocations and can be paid.

    The first read after the restart describes the state; it fires no events.
    """
    session_id = await open_session(hass, "2")
    await call(hass, "pay_in_session", app_session_id=session_id, amount="0.5")
    await press(hass, OPEN)
    await press(hass, PAY)
    events = async_capture_events(hass, "nitrolite_app_session_created")

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert events == []
    assert state_of(hass, session_entity(session_id, "my_allocation")) == "1.5"
    assert (state_of(hass, STATUS), amount_of(hass, PAID)) == ("open", Decimal("0.5"))
    paid = await call(hass, "pay_in_session", app_session_id=session_id, amount="0.5")
    assert paid["version"] == 4
    await press(hass, PAY)
    assert amount_of(hass, PAID) == 1
    assert nitronode.allocations(session_id)[COUNTERPARTY.lower(), YUSD] == 1


async def test_diagnostics_tell_the_dialect_polls_budget_and_caps(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    loaded_entry: MockConfigEntry,
) -> None:
    """The dialect, the node, poll and frame-budget counters, the caps; no secret."""
    await open_session(hass, "2.5")

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, loaded_entry
    )

    assert not any(secret in str(diagnostics) for secret in SECRETS)
    assert diagnostics["data"]["private_key"] == "**REDACTED**"
    connection = diagnostics["connection"]
    assert connection["dialect"] == "v1"
    assert connection["node_version"] == "v1.4.1"
    assert (
        connection["node_address"] == coordinator_of(loaded_entry).client.node_address
    )
    assert connection["features"] == ["faucet", "polling", "public_reads"]
    assert connection["poll_interval"] == 1
    assert connection["frames_sent"] > 0
    assert {"polls", "skipped_polls", "limiter_waits", "limiter_wait_seconds"} <= set(
        connection
    )
    assert diagnostics["local_spending_caps"] == {
        "window_hours": 24,
        "assets": {
            "usdc": {"cap": "5", "used": "0", "left": "5"},
            YUSD: {"cap": "10", "used": "2.5", "left": "7.5"},
        },
    }


async def test_a_session_closed_while_unloaded_loses_its_device(
    hass: HomeAssistant,
    nitronode: LocalNitronode,
    loaded_entry: MockConfigEntry,
    counterparty: Signer,
) -> None:
    """The node tells no close time, so a session closed meanwhile is not shown again.

    Its device goes with the first read; what it released shows in the balance.
    """
    session_id = await counterparty_opens(hass, nitronode, "3")
    nitronode.peer_submit(
        session_id,
        [
            Allocation(COUNTERPARTY, YUSD, Decimal(2)),
            Allocation(WALLET, YUSD, Decimal(1)),
        ],
        counterparty,
    )
    key = session_device_key(loaded_entry, session_id)
    await wait_for(
        hass, lambda: find_device(hass, loaded_entry.entry_id, key) is not None
    )
    await hass.config_entries.async_unload(loaded_entry.entry_id)

    nitronode.close_by_peer(session_id, counterparty)
    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert session_id not in coordinator_of(loaded_entry).data.sessions
    assert find_device(hass, loaded_entry.entry_id, key) is None
    assert nitronode.balance(WALLET, YUSD) == Decimal(101)
