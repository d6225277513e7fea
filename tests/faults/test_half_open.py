"""A ClearNode that keeps the socket open but stops answering."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import (
    ClearNodeEvent,
    ConnectionState,
    ConnectionStateChanged,
)
from local_clearnode import LocalClearNode
from tests.integration.helpers import coordinator_of, wait_for

from .helpers import assert_converges


async def test_a_silent_server_is_detected_within_two_keepalives(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """At most two unanswered pings pass before the connection is given up."""
    client = loaded_entry.runtime_data.client
    events: list[ClearNodeEvent] = []
    client.subscribe(events.append)
    pings_before = clearnode.faults.received["ping"]
    clearnode.faults.silent_methods |= {"ping", "get_config", "auth_verify"}

    await wait_for(
        hass,
        lambda: any(
            isinstance(e, ConnectionStateChanged)
            and e.state is ConnectionState.DISCONNECTED
            for e in events
        ),
    )
    assert clearnode.faults.received["ping"] - pings_before <= 2
    assert not coordinator_of(loaded_entry).last_update_success

    clearnode.faults.silent_methods.clear()
    await wait_for(hass, lambda: coordinator_of(loaded_entry).connected)
    await assert_converges(hass, loaded_entry, clearnode)
