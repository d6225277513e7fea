"""Metered presets across restarts and lost answers: no stretch paid twice, none skipped.

Home Assistant's entry is unloaded and set up again, the local ClearNode restarted from
its state file, and answers are lost (withheld, or the socket dropped before the request
applies). The ClearNode's ledger is the judge of what was paid.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
import functools
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlparse

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.nitrolite.clearnode import ClearNodeClient
from custom_components.nitrolite.const import CONF_REQUEST_TIMEOUT
from local_clearnode import LocalClearNode

from .conftest import BROKER_KEY, COUNTERPARTY, FUNDING, wallet_entry
from .helpers import wait_for
from .test_metering import (  # noqa: F401 - charger: the meter before each test
    METERED_PAYMENT,
    UNITS_PAID,
    amounts,
    charger,
    meter_to,
    metered_preset,
    open_by_plugging_in,
    paid,
    plug,
    set_meter,
    shown_paid,
)
from .test_presets import state

FAST_RECONNECT = functools.partial(
    ClearNodeClient, reconnect_min_delay=0.05, reconnect_max_delay=0.4
)


@pytest.fixture(autouse=True)
def fast_reconnect() -> Iterator[None]:
    """Reconnect within a fraction of a second after a drop."""
    with patch(
        "custom_components.nitrolite.clearnode.factory.ClearNodeClient", FAST_RECONNECT
    ):
        yield


@pytest.fixture
async def clearnode(
    socket_enabled: None, tmp_path: Path
) -> AsyncIterator[LocalClearNode]:
    """Run a ClearNode that keeps its state in a file."""
    async with LocalClearNode(
        host="127.0.0.1",
        port=0,
        fund=FUNDING,
        broker_key=BROKER_KEY,
        state_file=tmp_path / "clearnode.json",
    ) as node:
        yield node


@pytest.fixture
def config_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """Return the metered EV-charger entry; requests time out after half a second."""
    return wallet_entry(
        clearnode,
        options={CONF_REQUEST_TIMEOUT: 0.5},
        subentries_data=[metered_preset()],
    )


async def restarted(node: LocalClearNode, tmp_path: Path) -> LocalClearNode:
    """Stop the ClearNode; return a new one on the same port, read from its file."""
    await node.stop()
    again = LocalClearNode(
        host="127.0.0.1",
        port=urlparse(node.url).port or 0,
        state_file=tmp_path / "clearnode.json",
    )
    await again.start()
    return again


async def test_what_was_metered_during_a_restart_is_paid_once_after_it(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    tmp_path: Path,
) -> None:
    """Both restart; the meter moved meanwhile: the stretch is paid once, nothing twice."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    await meter_to(hass, clearnode, "10.5", "0.25")

    await hass.config_entries.async_unload(loaded_entry.entry_id)
    node = await restarted(clearnode, tmp_path)
    set_meter(hass, "11")
    try:
        await hass.config_entries.async_setup(loaded_entry.entry_id)
        await wait_for(hass, lambda: shown_paid(hass) == paid(node) == Decimal("0.5"))
        await meter_to(hass, node, "11.2", "0.6")
        assert state(hass, UNITS_PAID) == "1.2"
    finally:
        await node.stop()

    assert amounts(payments) == ["0.25", "0.25", "0.1"]


async def test_a_payment_applied_while_home_assistant_restarts_is_not_paid_again(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Unloaded before the answer, applied by the node: after set-up it counts, once.

    Its allocations come back from the saved payment (the node lists only the
    version), so the next payment is computed from them.
    """
    await open_by_plugging_in(hass, clearnode)
    clearnode.faults.delay = 0.5
    set_meter(hass, "10.5")
    await wait_for(hass, lambda: clearnode.faults.received["submit_app_state"] == 1)

    await hass.config_entries.async_unload(loaded_entry.entry_id)
    await wait_for(hass, lambda: paid(clearnode) == Decimal("0.25"))
    clearnode.faults.delay = 0
    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await hass.async_block_till_done()
    await meter_to(hass, clearnode, "10.8", "0.4")

    assert clearnode.faults.received["submit_app_state"] == 2
    assert state(hass, UNITS_PAID) == "0.8"


@pytest.mark.usefixtures("loaded_entry")
async def test_an_unanswered_payment_that_applied_is_not_paid_again(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The node withholds the answer: the re-read shows it applied; the event fires once."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    clearnode.faults.silent_methods.add("submit_app_state")

    set_meter(hass, "10.5")
    await wait_for(hass, lambda: amounts(payments) == ["0.25"])
    clearnode.faults.silent_methods.clear()
    await meter_to(hass, clearnode, "10.7", "0.35")

    assert paid(clearnode) == Decimal("0.35")
    assert clearnode.faults.received["submit_app_state"] == 2
    assert amounts(payments) == ["0.25", "0.1"]


@pytest.mark.usefixtures("loaded_entry")
async def test_a_payment_lost_with_the_socket_is_paid_after_the_reconnect(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The socket drops before the node applies it: once re-read, the stretch is paid."""
    payments = async_capture_events(hass, METERED_PAYMENT)
    await open_by_plugging_in(hass, clearnode)
    clearnode.faults.close_on_methods.add("submit_app_state")

    set_meter(hass, "10.5")
    await wait_for(hass, lambda: clearnode.faults.received["submit_app_state"] >= 1)
    clearnode.faults.close_on_methods.clear()
    await wait_for(hass, lambda: shown_paid(hass) == Decimal("0.25"))

    assert paid(clearnode) == Decimal("0.25")
    assert amounts(payments) == ["0.25"]


async def test_unplugged_while_home_assistant_was_away_pays_and_closes_at_start(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """At set-up the session follows the entity's state: pay what is owed, close."""
    session_id = await open_by_plugging_in(hass, clearnode)
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    set_meter(hass, "10.5")
    await plug(hass, plugged=False)

    await hass.config_entries.async_setup(loaded_entry.entry_id)
    await wait_for(hass, lambda: clearnode.app_sessions[session_id].status == "closed")

    assert clearnode.balance(COUNTERPARTY, "usdc") == Decimal("20.25")
