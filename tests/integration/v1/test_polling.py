"""Others' changes on a v1 node reach Home Assistant by polling.

A v1 node pushes nothing: the library polls every poll_interval (1 s here) and turns
what changed into the events a v0.5 node's pushes give. A counterparty's payment or
close fires its event after the next poll; versions made between two polls come as
one event that says how many versions it covers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import Signer
from local_nitronode import LocalNitronode
from tests.integration.helpers import wait_for

from .conftest import (
    COUNTERPARTY,
    WALLET,
    YUSD,
    coordinator_of,
    counterparty_opens,
    session_entity,
    state_of,
    yusd_split,
)


class PolledEvents:
    """The app-session events of the bus, each with the polls done when it fired."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        """Listen to every app-session event type."""
        self.fired: list[tuple[str, dict[str, Any], int]] = []
        self._client = coordinator_of(entry).client
        for event_type in ("created", "updated", "payment", "closed"):
            hass.bus.async_listen(f"nitrolite_app_session_{event_type}", self._record)

    @callback
    def _record(self, event: Event) -> None:
        kind = event.event_type.removeprefix("nitrolite_app_session_")
        self.fired.append((kind, dict(event.data), self.polls))

    @property
    def polls(self) -> int:
        """Polls the client has completed so far."""
        return int(self._client.stats["polls"])

    def of(self, kind: str) -> list[dict[str, Any]]:
        """Return the data of the events of one type, in order."""
        return [data for fired, data, _ in self.fired if fired == kind]

    async def next(self, hass: HomeAssistant, kind: str) -> tuple[dict[str, Any], int]:
        """Wait for the next event of a type; return its data and the polls since now."""
        seen, polls = len(self.of(kind)), self.polls
        await wait_for(hass, lambda: len(self.of(kind)) > seen)
        _, data, polls_then = [f for f in self.fired if f[0] == kind][seen]
        return data, polls_then - polls


def shares(event: dict[str, Any]) -> dict[str, str]:
    """Return an event's yusd allocations by participant."""
    return {
        allocation["participant"]: allocation["amount"]
        for allocation in event["allocations"]
        if allocation["asset"] == YUSD
    }


@pytest.fixture
def events(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> PolledEvents:
    """Return the events fired from now on."""
    return PolledEvents(hass, loaded_entry)


async def test_a_session_the_counterparty_opens_appears_after_a_poll(
    hass: HomeAssistant, nitronode: LocalNitronode, events: PolledEvents
) -> None:
    """Its create and deposit come as one created event covering both versions."""
    session_id = await counterparty_opens(hass, nitronode, "5")

    created, polls = await events.next(hass, "created")

    assert polls <= 2  # at the latest the first poll begun after the change
    assert created["app_session_id"] == session_id
    assert (created["version"], created["versions"]) == (2, 2)
    assert shares(created) == {COUNTERPARTY: "5"}
    await hass.async_block_till_done()
    assert state_of(hass, session_entity(session_id, "status")) == "open"


async def test_a_counterpartys_payment_fires_a_payment_event(
    hass: HomeAssistant,
    nitronode: LocalNitronode,
    events: PolledEvents,
    counterparty: Signer,
    loaded_entry: MockConfigEntry,
) -> None:
    """The payment to us fires one payment event with payer, payee and amount."""
    session_id = await counterparty_opens(hass, nitronode, "5")
    await events.next(hass, "created")

    nitronode.peer_submit(session_id, yusd_split("1.5", "3.5"), counterparty)
    payment, polls = await events.next(hass, "payment")

    assert polls <= 2
    assert shares(payment) == {WALLET: "1.5", COUNTERPARTY: "3.5"}
    assert {key: value for key, value in payment.items() if key != "allocations"} == {
        "config_entry_id": loaded_entry.entry_id,
        "app_session_id": session_id,
        "application": "home-assistant",
        "status": "open",
        "version": 3,
        "versions": 1,
        "from": COUNTERPARTY,
        "to": WALLET,
        "asset": YUSD,
        "amount": "1.5",
    }
    await hass.async_block_till_done()
    assert state_of(hass, session_entity(session_id, "my_allocation")) == "1.5"


async def test_payments_between_two_polls_come_as_one_event(
    hass: HomeAssistant,
    nitronode: LocalNitronode,
    events: PolledEvents,
    counterparty: Signer,
) -> None:
    """Two versions between polls: one payment event of their sum, versions 2."""
    session_id = await counterparty_opens(hass, nitronode, "5")
    await events.next(hass, "created")

    # Nothing else runs between the two: no poll can see one without the other.
    nitronode.peer_submit(session_id, yusd_split("1", "4"), counterparty)
    nitronode.peer_submit(session_id, yusd_split("2.25", "2.75"), counterparty)
    payment, _ = await events.next(hass, "payment")

    assert (payment["version"], payment["versions"]) == (4, 2)
    assert (payment["from"], payment["to"], payment["amount"]) == (
        COUNTERPARTY,
        WALLET,
        "2.25",
    )
    assert events.of("updated") == []


async def test_a_counterpartys_close_fires_closed_with_the_split_it_released(
    hass: HomeAssistant,
    nitronode: LocalNitronode,
    events: PolledEvents,
    counterparty: Signer,
    loaded_entry: MockConfigEntry,
) -> None:
    """The close carries the last split (the node lists a closed session's as 0)."""
    session_id = await counterparty_opens(hass, nitronode, "5")
    await events.next(hass, "created")
    nitronode.peer_submit(session_id, yusd_split("2", "3"), counterparty)
    await events.next(hass, "payment")

    nitronode.close_by_peer(session_id, counterparty)
    closed, polls = await events.next(hass, "closed")

    assert polls <= 2
    assert (closed["status"], closed["version"], closed["versions"]) == (
        "closed",
        4,
        1,
    )
    assert shares(closed) == {WALLET: "2", COUNTERPARTY: "3"}
    await wait_for(
        hass,
        lambda: coordinator_of(loaded_entry).data.balances[YUSD] == Decimal(102),
    )
    assert state_of(hass, session_entity(session_id, "status")) == "closed"
    assert state_of(hass, "sensor.wallet_0x2c75_5c23_yusd_balance") == "102"
