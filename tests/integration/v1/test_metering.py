"""Metered presets on a v1 entry: the same form pays as the meter grows on a Nitronode.

The EV-charger preset deposits 4 yusd and costs 0.5 yusd per kWh, paid every 0.1 kWh.
On v1 a top-up is a deposit that leaves the wallet, so Home Assistant's local cap (10
yusd in these tests) counts it and refuses the one that would pass the cap before it is
signed. The node's ledger is the judge of every amount.
"""

from __future__ import annotations

from decimal import Decimal

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from local_nitronode import LocalNitronode
from tests.integration.helpers import wait_for
from tests.integration.test_metering import (
    CHARGER_METER,
    METERED_PAYMENT,
    METERING_STOPPED,
    PLUGGED,
    SESSION_ID,
    counted_from,
    plug,
    set_meter,
    shown_paid,
)

from .conftest import COUNTERPARTY, WALLET, YUSD, changes_sent, v1_entry, v1_preset

SUBMIT_DEPOSIT = "app_sessions.v1.submit_deposit_state"


def metered_v1_preset(**meter: str) -> ConfigSubentryDataWithId:
    """Return the v1 EV-charger preset with the charger's meter."""
    return v1_preset(meter=CHARGER_METER | meter)


@pytest.fixture
def preset() -> ConfigSubentryDataWithId:
    """Return the preset the entry is set up with."""
    return metered_v1_preset()


@pytest.fixture
def config_entry(
    nitronode: LocalNitronode, preset: ConfigSubentryDataWithId
) -> MockConfigEntry:
    """Return a v1 entry with the metered EV-charger preset."""
    return v1_entry(nitronode, subentries_data=[preset])


@pytest.fixture(autouse=True)
def charger(hass: HomeAssistant) -> None:
    """Unplug the charger and read 10 kWh on its meter before the entry starts."""
    set_meter(hass, "10")
    hass.states.async_set(PLUGGED, "off")


pytestmark = pytest.mark.usefixtures("loaded_entry")


def paid(node: LocalNitronode, session_id: str) -> Decimal:
    """Return what the counterparty holds in the session on the node."""
    return node.allocations(session_id).get((COUNTERPARTY.lower(), YUSD), Decimal(0))


async def open_by_plugging_in(hass: HomeAssistant) -> str:
    """Plug in; return the session the preset opened once it counts from the meter."""
    await plug(hass, plugged=True)
    await wait_for(hass, lambda: counted_from(hass) == "10")
    state = hass.states.get(SESSION_ID)
    assert state is not None
    return state.state


async def meter_to(
    hass: HomeAssistant, node: LocalNitronode, session_id: str, value: str, total: str
) -> None:
    """Move the meter; wait until the node and Home Assistant show ``total`` paid."""
    set_meter(hass, value)
    await wait_for(
        hass, lambda: shown_paid(hass) == paid(node, session_id) == Decimal(total)
    )


async def test_plug_in_pay_as_the_meter_grows_and_settle_on_unplug(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """Plugged in: a funded session; each step paid exactly; unplugged: paid, closed."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    session_id = await open_by_plugging_in(hass)
    assert nitronode.allocations(session_id)[WALLET.lower(), YUSD] == 4

    await meter_to(hass, nitronode, session_id, "10.25", "0.1")  # 0.05 kWh carried
    await meter_to(hass, nitronode, session_id, "10.5", "0.25")
    set_meter(hass, "10.73")
    await plug(hass, plugged=False)
    await wait_for(hass, lambda: nitronode.app_session(session_id).status == "closed")

    assert [event.data["amount"] for event in payments] == ["0.1", "0.15", "0.1"]
    assert [event.data["meter_reading"] for event in payments] == [
        "10.2",
        "10.5",
        "10.7",
    ]
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal("0.35")
    assert nitronode.balance(WALLET, YUSD) == Decimal("99.65")


async def test_a_reload_in_the_middle_neither_pays_twice_nor_skips(
    hass: HomeAssistant, nitronode: LocalNitronode, loaded_entry: MockConfigEntry
) -> None:
    """The reading a payment covers is saved with it; after a reload counting goes on."""
    session_id = await open_by_plugging_in(hass)
    await meter_to(hass, nitronode, session_id, "10.4", "0.2")
    sent = changes_sent(nitronode)

    assert await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert changes_sent(nitronode) == sent
    await meter_to(hass, nitronode, session_id, "10.6", "0.3")

    assert counted_from(hass) == "10.6"


@pytest.mark.parametrize(
    "preset",
    [metered_v1_preset(when_deposit_runs_out="top_up", max_session_deposit="40")],
)
async def test_a_top_up_past_the_local_cap_is_refused_unsigned_and_told(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """4 yusd deposit, a 4 yusd top-up (8 of the 10 yusd cap), then a refusal.

    The refused top-up never reaches the node; the session still follows the charger.
    """
    stopped = async_capture_events(hass, METERING_STOPPED)
    session_id = await open_by_plugging_in(hass)
    await meter_to(hass, nitronode, session_id, "17", "3.5")
    await meter_to(hass, nitronode, session_id, "24", "7")  # topped up once
    await meter_to(hass, nitronode, session_id, "26", "8")
    deposits = nitronode.faults.received[SUBMIT_DEPOSIT]

    set_meter(hass, "26.1")  # another 4 yusd would spend 12
    await wait_for(hass, lambda: len(stopped) == 1)
    await plug(hass, plugged=False)
    await wait_for(hass, lambda: nitronode.app_session(session_id).status == "closed")

    assert stopped[0].data["reason"] == "allowance_exceeded"
    assert nitronode.faults.received[SUBMIT_DEPOSIT] == deposits
    assert nitronode.balance(COUNTERPARTY, YUSD) == Decimal(8)
    assert nitronode.balance(WALLET, YUSD) == Decimal(92)
