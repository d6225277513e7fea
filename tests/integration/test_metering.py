"""Metered presets: the preset pays as its meter grows, against the local ClearNode.

The meter and the charger's plugged-in sensor are states set the way their integrations
set them; every payment goes over the socket to the local ClearNode, whose ledger is the
judge. The EV-charger preset deposits 4 usdc and costs 0.5 usdc per kWh, paid every
0.1 kWh, so one step costs 0.05 usdc.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.nitrolite.const import DOMAIN
from local_clearnode import LocalClearNode

from .conftest import COUNTERPARTY, WALLET, setup_entry, wallet_entry
from .helpers import call, wait_for
from .test_presets import CLOSE, OPEN, PAY, PRESET_ID, preset_subentry, press, state

METER = "sensor.charger_energy"
PLUGGED = "binary_sensor.charger_plugged_in"
METERING = "switch.ev_charger_metering"
UNITS_PAID = "sensor.ev_charger_metered_units_paid"
LAST_PAYMENT = "sensor.ev_charger_last_payment"
SESSION_ID = "sensor.ev_charger_session_id"
TOTAL_PAID = "sensor.ev_charger_total_paid"
METERED_PAYMENT = f"{DOMAIN}_metered_payment"
METERING_STOPPED = f"{DOMAIN}_metering_stopped"
KWH_METER = {
    "unit_of_measurement": "kWh",
    "device_class": "energy",
    "state_class": "total_increasing",
}


# The charger's meter: kWh as preset units, paid every 0.1 kWh, a session while plugged in.
CHARGER_METER = {
    "meter_entity": METER,
    "meter_units": "1",
    "pay_every": "0.1",
    "session_follows": PLUGGED,
    "when_deposit_runs_out": "stop",
    "max_session_deposit": None,
}


def metered_preset(**meter: Any) -> ConfigSubentryDataWithId:
    """Return the EV-charger preset with its meter: 0.5 usdc per kWh, every 0.1 kWh."""
    return preset_subentry(meter=CHARGER_METER | meter)


@pytest.fixture
def preset() -> ConfigSubentryDataWithId:
    """Return the preset the entry is set up with."""
    return metered_preset()


@pytest.fixture
def config_entry(
    clearnode: LocalClearNode, preset: ConfigSubentryDataWithId
) -> MockConfigEntry:
    """Return an entry for WALLET with the metered EV-charger preset."""
    return wallet_entry(clearnode, subentries_data=[preset])


@pytest.fixture(autouse=True)
def charger(hass: HomeAssistant) -> None:
    """Unplug the charger and read 10 kWh on its meter before the entry starts."""
    set_meter(hass, "10")
    hass.states.async_set(PLUGGED, "off")


def set_meter(hass: HomeAssistant, value: str, **attributes: Any) -> None:
    """Set the meter's state as its integration would."""
    hass.states.async_set(METER, value, {**KWH_METER, **attributes})


async def plug(hass: HomeAssistant, *, plugged: bool) -> None:
    """Plug the car in or out."""
    hass.states.async_set(PLUGGED, "on" if plugged else "off")
    await hass.async_block_till_done()


def counted_from(hass: HomeAssistant) -> str | None:
    """Return the meter reading the preset's payments cover so far."""
    return hass.states.get(UNITS_PAID).attributes.get("meter_reading")


def paid(node: LocalClearNode) -> Decimal:
    """Return what the counterparty holds in the wallet's only app session."""
    (session_id,) = node.app_sessions
    return node.allocation(session_id, COUNTERPARTY, "usdc")


async def open_by_plugging_in(hass: HomeAssistant, node: LocalClearNode) -> str:
    """Plug in; return the session the preset opened once it counts from the meter."""
    await plug(hass, plugged=True)
    await wait_for(hass, lambda: len(node.app_sessions) == 1)
    (session_id,) = node.app_sessions
    await wait_for(hass, lambda: counted_from(hass) == "10")
    return session_id


async def meter_to(
    hass: HomeAssistant, node: LocalClearNode, value: str, total_paid: str
) -> None:
    """Move the meter; wait until the node and Home Assistant show ``total_paid``.

    Home Assistant shows it once the answer is taken, with the metered payment's event.
    """
    set_meter(hass, value)
    await wait_for(hass, lambda: shown_paid(hass) == paid(node) == Decimal(total_paid))


def shown_paid(hass: HomeAssistant) -> Decimal | None:
    """Return what the preset's Total paid sensor shows."""
    shown = state(hass, TOTAL_PAID)
    return None if shown in (STATE_UNAVAILABLE, STATE_UNKNOWN) else Decimal(shown)


def amounts(events: list[Any]) -> list[str]:
    """Return the amounts of captured metered payments."""
    return [event.data["amount"] for event in events]


@pytest.mark.usefixtures("loaded_entry")
async def test_plug_in_pay_as_the_meter_grows_and_settle_on_unplug(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Plugged in: a session; each 0.1 kWh paid at 0.5 usdc/kWh; unplugged: paid, closed."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    session_id = await open_by_plugging_in(hass, clearnode)
    assert clearnode.allocation(session_id, WALLET, "usdc") == Decimal(4)

    await meter_to(hass, clearnode, "10.25", "0.1")  # 0.2 kWh; 0.05 kWh carried
    await meter_to(hass, clearnode, "10.5", "0.25")  # 0.3 kWh since 10.2
    set_meter(hass, "10.73")
    await plug(hass, plugged=False)
    await wait_for(hass, lambda: clearnode.app_sessions[session_id].status == "closed")

    assert amounts(payments) == ["0.1", "0.15", "0.1"]
    assert [event.data["meter_reading"] for event in payments] == [
        "10.2",
        "10.5",
        "10.7",
    ]
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("20.35")
    assert clearnode.balance(WALLET, "usdc") == Decimal("99.65")
    assert (state(hass, UNITS_PAID), state(hass, LAST_PAYMENT)) == ("0.7", "0.1")
    last_payment = hass.states.get(LAST_PAYMENT).attributes
    assert (last_payment["units"], last_payment["meter_reading"]) == ("0.2", "10.7")
    assert last_payment["unit_of_measurement"] == "usdc"
    assert counted_from(hass) == "10.7"


@pytest.mark.usefixtures("loaded_entry")
async def test_a_metered_payment_event_is_a_payment_event_with_the_meter_reading(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Same data as nitrolite_app_session_payment, plus preset, meter, reading, units."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    session_payments = async_capture_events(hass, f"{DOMAIN}_app_session_payment")
    await open_by_plugging_in(hass, clearnode)

    await meter_to(hass, clearnode, "10.3", "0.15")
    await hass.async_block_till_done()

    (event,) = payments
    (session_event,) = session_payments
    assert event.data == {
        **session_event.data,
        "preset": "EV charger",
        "meter_entity": METER,
        "meter_reading": "10.3",
        "units": "0.3",
    }
    assert session_event.data["amount"] == "0.15"
    assert (session_event.data["from"], session_event.data["to"]) == (
        WALLET,
        COUNTERPARTY,
    )


@pytest.mark.usefixtures("loaded_entry")
async def test_unusable_readings_pay_nothing_and_are_logged_once(
    hass: HomeAssistant, clearnode: LocalClearNode, caplog: pytest.LogCaptureFixture
) -> None:
    """Unavailable, unknown, non-numeric and other-unit states pay nothing; one log each."""
    caplog.set_level(logging.INFO)
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)

    for value in (STATE_UNAVAILABLE, STATE_UNKNOWN, STATE_UNAVAILABLE):
        set_meter(hass, value)
    for value in ("many", "-3", "NaN", "1e999999999"):
        set_meter(hass, value)
    for value in ("10600", "10900"):
        set_meter(hass, value, unit_of_measurement="Wh")
    await hass.async_block_till_done()
    await meter_to(hass, clearnode, "10.6", "0.3")

    assert amounts(payments) == ["0.3"]  # the whole advance since 10, once
    logged = [record.getMessage() for record in caplog.records]
    for fragment in (
        "is unavailable or unknown",
        "not a number of 0 or more",
        "reports Wh, not kWh",
    ):
        assert sum(fragment in message for message in logged) == 1, fragment


@pytest.mark.usefixtures("loaded_entry")
async def test_a_reset_meter_pays_nothing_and_counting_goes_on(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A drop below 90 % is a new count; a smaller drop is made up before paying."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    await meter_to(hass, clearnode, "10.5", "0.25")

    set_meter(hass, "10.45")  # a dip: nothing is paid back, nothing paid twice
    await meter_to(hass, clearnode, "10.6", "0.3")
    set_meter(hass, "0.2")  # reset
    await meter_to(hass, clearnode, "0.5", "0.45")

    assert amounts(payments) == ["0.25", "0.05", "0.15"]


@pytest.mark.usefixtures("loaded_entry")
async def test_a_reset_while_a_payment_is_on_its_way_counts_from_where_it_left(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Every update is looked at: the count goes on from 0.2, not from the next reading."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    clearnode.faults.delay = 0.2

    set_meter(hass, "10.5")
    await wait_for(hass, lambda: clearnode.faults.received["submit_app_state"] == 1)
    set_meter(hass, "0.2")
    set_meter(hass, "0.5")
    await wait_for(hass, lambda: shown_paid(hass) == Decimal("0.4"))

    assert amounts(payments) == ["0.25", "0.15"]


@pytest.mark.usefixtures("loaded_entry")
async def test_a_burst_of_updates_makes_one_payment_in_flight_and_pays_exactly(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """50 readings while payments are slow: one at a time, the total to the last digit."""
    client = loaded_entry.runtime_data.client
    submit = client.submit_app_state
    in_flight: list[int] = [0]
    most_in_flight = 0

    async def counted_submit(*args: Any, **kwargs: Any) -> Any:
        nonlocal most_in_flight
        in_flight[0] += 1
        most_in_flight = max(most_in_flight, in_flight[0])
        try:
            return await submit(*args, **kwargs)
        finally:
            in_flight[0] -= 1

    client.submit_app_state = counted_submit
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    clearnode.faults.delay = 0.02

    for step in range(1, 51):
        set_meter(hass, str(Decimal(10) + Decimal("0.037") * step))
        await asyncio.sleep(0.005)
    # 1.85 kWh metered: 18 whole steps of 0.1 kWh, 0.9 usdc; 0.05 kWh carried.
    await wait_for(hass, lambda: paid(clearnode) == Decimal("0.9"))
    await wait_for(hass, lambda: in_flight[0] == 0)

    assert most_in_flight == 1
    assert 1 < len(payments) < 50
    assert sum(Decimal(amount) for amount in amounts(payments)) == Decimal("0.9")
    assert payments[-1].data["meter_reading"] == "11.8"


@pytest.mark.usefixtures("loaded_entry")
async def test_metering_off_pauses_and_on_resumes_from_the_reading_then(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """What the meter counts while Metering is off is not paid; off survives a reload."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    await meter_to(hass, clearnode, "10.2", "0.1")

    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: METERING}, blocking=True
    )
    set_meter(hass, "11")
    await hass.async_block_till_done()
    assert state(hass, METERING) == "off"
    await hass.services.async_call(
        "switch", "turn_on", {ATTR_ENTITY_ID: METERING}, blocking=True
    )
    await meter_to(hass, clearnode, "11.3", "0.25")

    assert amounts(payments) == ["0.1", "0.15"]
    assert state(hass, UNITS_PAID) == "0.5"


async def test_metering_off_is_remembered_across_a_reload(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The switch is restored off; plugging in then opens nothing, the button can."""
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: METERING}, blocking=True
    )

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await plug(hass, plugged=True)
    await press(hass, OPEN)  # refused if metering had opened one

    assert state(hass, METERING) == "off"
    assert len(clearnode.app_sessions) == 1


@pytest.mark.parametrize("preset", [metered_preset(session_follows=None)])
@pytest.mark.usefixtures("loaded_entry")
async def test_a_session_opened_by_hand_is_metered_and_closed_by_hand(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Without a session-follows entity the buttons open and close; the meter pays."""
    await call(hass, "create_app_session", preset="ev_charger")
    await wait_for(hass, lambda: counted_from(hass) == "10")

    await meter_to(hass, clearnode, "10.4", "0.2")
    await press(hass, PAY)  # a unit by hand does not move the meter's count
    await meter_to(hass, clearnode, "10.6", "0.8")
    await press(hass, CLOSE)

    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("20.8")


def notices(hass: HomeAssistant) -> dict[str, dict[str, Any]]:
    """Follow the persistent notifications; return them as they stand."""
    shown: dict[str, dict[str, Any]] = {}

    def update(
        kind: persistent_notification.UpdateType, notes: dict[str, dict[str, Any]]
    ) -> None:
        if kind is persistent_notification.UpdateType.REMOVED:
            for notification_id in notes:
                shown.pop(notification_id, None)
        else:
            shown.update(notes)

    persistent_notification.async_register_callback(hass, update)
    return shown


def deposit(wallet_amount: str, paid_amount: str) -> list[dict[str, str]]:
    """Return the allocations of a deposit that leaves the wallet ``wallet_amount``."""
    return [
        {"participant": WALLET, "asset": "usdc", "amount": wallet_amount},
        {"participant": COUNTERPARTY, "asset": "usdc", "amount": paid_amount},
    ]


@pytest.mark.usefixtures("loaded_entry")
async def test_deposit_runs_out_stop_pays_what_it_covers_then_tells_once(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The last step that fits is paid, then nothing until funds are added; told once."""
    stopped = async_capture_events(hass, METERING_STOPPED)
    shown = notices(hass)
    session_id = await open_by_plugging_in(hass, clearnode)
    await meter_to(hass, clearnode, "17.95", "3.95")

    await meter_to(hass, clearnode, "18.3", "4")  # 0.4 kWh due, 0.1 kWh covered
    await wait_for(hass, lambda: len(stopped) == 1)
    set_meter(hass, "19")
    await hass.async_block_till_done()

    (event,) = stopped
    assert event.data["reason"] == "deposit_exhausted"
    assert event.data["app_session_id"] == session_id
    assert event.data["preset"] == "EV charger"
    assert "does not cover the next payment (0.15 usdc)" in event.data["message"]
    (notice,) = shown.values()
    assert (notice["title"], notice["message"]) == (
        "Metering of EV charger stopped",
        event.data["message"],
    )
    assert state(hass, METERING) == "on"

    await call(
        hass,
        "submit_app_state",
        app_session_id=session_id,
        allocations=deposit("2", "4"),
        intent="deposit",
    )
    await wait_for(hass, lambda: shown_paid(hass) == Decimal("4.5"))  # 18 to 19 kWh
    assert not shown
    await plug(hass, plugged=False)
    await wait_for(hass, lambda: clearnode.app_sessions[session_id].status == "closed")
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("24.5")
    assert len(stopped) == 1


@pytest.mark.parametrize(
    "preset",
    [metered_preset(when_deposit_runs_out="top_up", max_session_deposit="10")],
)
@pytest.mark.usefixtures("loaded_entry")
async def test_deposit_runs_out_top_up_adds_the_deposit_up_to_the_most_per_session(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """4 usdc at a time while the session holds 10 at most; then it tells, once."""
    stopped = async_capture_events(hass, METERING_STOPPED)
    session_id = await open_by_plugging_in(hass, clearnode)

    await meter_to(hass, clearnode, "19", "4.5")  # 4 + 4 locked
    assert clearnode.allocation(session_id, WALLET, "usdc") == Decimal("3.5")
    await meter_to(hass, clearnode, "26", "8")
    set_meter(hass, "26.1")  # a third 4 would pass 10
    await wait_for(hass, lambda: len(stopped) == 1)

    assert clearnode.balance(WALLET, "usdc") == Decimal(92)
    assert stopped[0].data["reason"] == "deposit_exhausted"
    assert state(hass, METERING) == "on"


@pytest.mark.parametrize(
    "preset",
    [metered_preset(when_deposit_runs_out="top_up", max_session_deposit="40")],
)
@pytest.mark.usefixtures("loaded_entry")
async def test_a_top_up_past_the_spending_cap_ends_paying_with_the_reason(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The ClearNode refuses the top-up (cap 10 usdc): the translated reason, told once.

    The session still follows the charger: unplugged, it closes.
    """
    stopped = async_capture_events(hass, METERING_STOPPED)
    session_id = await open_by_plugging_in(hass, clearnode)

    await meter_to(hass, clearnode, "17", "3.5")
    await meter_to(hass, clearnode, "24", "7")  # topped up: 8 usdc spent of the cap
    await meter_to(hass, clearnode, "26", "8")
    set_meter(hass, "26.1")  # another 4 would spend 12
    await wait_for(hass, lambda: len(stopped) == 1)
    set_meter(hass, "27")
    await plug(hass, plugged=False)
    await wait_for(hass, lambda: clearnode.app_sessions[session_id].status == "closed")

    (event,) = stopped
    assert event.data["reason"] == "allowance_exceeded"
    assert "topping it up was refused" in event.data["message"]
    assert "spending cap does not cover this" in event.data["message"]
    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal(28)
    assert clearnode.faults.received["submit_app_state"] > 0


async def test_a_damaged_saved_state_leaves_metering_off(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Paying on from a record that does not check out could pay a stretch twice."""
    key = f"{DOMAIN}.{config_entry.entry_id}.meters"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {PRESET_ID: {"enabled": True, "session_id": 7}},
    }

    await setup_entry(hass, config_entry)
    await plug(hass, plugged=True)
    await press(hass, OPEN)  # refused if metering had opened one

    assert state(hass, METERING) == "off"
    assert "Turned metering of preset" in caplog.text
    assert len(clearnode.app_sessions) == 1


async def test_removing_the_entry_forgets_what_the_meters_saved(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    """The meters' store goes with the entry."""
    await hass.services.async_call(
        "switch", "turn_off", {ATTR_ENTITY_ID: METERING}, blocking=True
    )
    key = f"{DOMAIN}.{loaded_entry.entry_id}.meters"
    assert hass_storage[key]["data"][PRESET_ID]["enabled"] is False

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert key not in hass_storage


PARKING_METER = "sensor.parking_minutes"


def parking_preset() -> ConfigSubentryDataWithId:
    """Return a second metered preset: parking at 0.5 usdc a minute, per minute."""
    parking = preset_subentry(
        name="Parking",
        meter={
            "meter_entity": PARKING_METER,
            "meter_units": "1",
            "pay_every": "1",
            "session_follows": PLUGGED,
            "when_deposit_runs_out": "stop",
            "max_session_deposit": None,
        },
    )
    parking.update(
        subentry_id="01JPRESETPARKING0000000000", title="Parking", unique_id="parking"
    )
    return parking


@pytest.fixture
def slow_disk() -> Iterator[None]:
    """Make each write to Home Assistant's storage take a while, as a disk does."""
    write = Store._async_write_data

    async def slow_write(store: Store[Any], data: dict[str, Any]) -> None:
        await asyncio.sleep(0.01)
        await write(store, data)

    with patch.object(Store, "_async_write_data", slow_write):
        yield


@pytest.mark.usefixtures("slow_disk")
async def test_two_metered_presets_pay_at_the_same_time(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Each preset saves what its payment covers while the other does: both pay exactly."""
    hass.states.async_set(PARKING_METER, "0", {"unit_of_measurement": "min"})
    entry = wallet_entry(
        clearnode, subentries_data=[metered_preset(), parking_preset()]
    )
    await setup_entry(hass, entry)
    stopped = async_capture_events(hass, METERING_STOPPED)
    await plug(hass, plugged=True)
    await wait_for(hass, lambda: len(clearnode.app_sessions) == 2)
    await wait_for(hass, lambda: counted_from(hass) == "10")
    await wait_for(
        hass,
        lambda: (
            hass.states.get("sensor.parking_metered_units_paid").attributes.get(
                "meter_reading"
            )
            == "0"
        ),
    )

    for step in range(1, 9):
        set_meter(hass, str(10 + step))
        hass.states.async_set(PARKING_METER, str(step), {"unit_of_measurement": "min"})
        await asyncio.sleep(0.01)
    await wait_for(
        hass,
        lambda: (
            sorted(
                clearnode.allocation(session_id, COUNTERPARTY, "usdc")
                for session_id in clearnode.app_sessions
            )
            == [Decimal(4), Decimal(4)]
        ),
    )

    assert stopped == []
    assert state(hass, METERING) == state(hass, "switch.parking_metering") == "on"


@pytest.mark.parametrize(
    "preset", [preset_subentry(deposit="20", meter=metered_preset()["data"]["meter"])]
)
@pytest.mark.usefixtures("loaded_entry")
async def test_an_open_beyond_the_spending_cap_turns_metering_off_and_tells(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Plugged in, the 20 usdc deposit passes the cap of 10: refused, not retried."""
    stopped = async_capture_events(hass, METERING_STOPPED)

    await plug(hass, plugged=True)
    await wait_for(hass, lambda: state(hass, METERING) == "off")
    set_meter(hass, "11")
    await hass.async_block_till_done()

    (event,) = stopped
    assert event.data["reason"] == "allowance_exceeded"
    assert event.data["app_session_id"] is None
    assert "spending cap does not cover this" in event.data["message"]
    assert "turn its Metering switch on" in event.data["message"]
    assert not clearnode.app_sessions
    assert clearnode.faults.received["create_app_session"] == 1


@pytest.fixture
def failing_disk() -> Iterator[None]:
    """Make every write to Home Assistant's storage fail, as a full disk does."""

    async def failed_write(store: Store[Any], data: dict[str, Any]) -> None:
        raise WriteError("No space left on device")

    with patch.object(Store, "_async_write_data", failed_write):
        yield


@pytest.mark.usefixtures("loaded_entry")
async def test_a_reading_that_cannot_be_saved_is_not_paid(
    hass: HomeAssistant, clearnode: LocalClearNode, request: pytest.FixtureRequest
) -> None:
    """Nothing is signed unless the reading it covers is on disk; metering turns off."""
    stopped = async_capture_events(hass, METERING_STOPPED)
    await open_by_plugging_in(hass, clearnode)
    request.getfixturevalue("failing_disk")

    set_meter(hass, "10.5")
    await wait_for(hass, lambda: state(hass, METERING) == "off")

    assert [event.data["reason"] for event in stopped] == ["meter_store_failed"]
    assert "Could not save the meter reading" in stopped[0].data["message"]
    assert clearnode.faults.received["submit_app_state"] == 0
    assert paid(clearnode) == 0
