"""Fixtures: a local Nitronode on 127.0.0.1 and v1 entries built as the flow stores them.

The node runs with its real frame budget (10 frames a second, burst 20; an overrun
closes the socket), so every test also shows that the integration stays within it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import (
    V1_PROTOCOL,
    Allocation,
    AppDefinition,
    NitronodeOptions,
    Signer,
    create_client,
)
from custom_components.nitrolite.const import CONF_ALLOWANCES, CONF_POLL_INTERVAL
from custom_components.nitrolite.coordinator import NitroliteCoordinator
from local_nitronode import DEMO_NODE_KEY, LocalNitronode
from tests.integration import flow_helpers
from tests.integration.conftest import (
    COUNTERPARTY,
    COUNTERPARTY_KEY,
    WALLET,
    WALLET_KEY,
    setup_entry,
)
from tests.integration.helpers import call

YUSD = "yusd"
USDC = "usdc"
FUNDING = {WALLET: {YUSD: Decimal(100), USDC: Decimal(50)}}
# Local caps: what may leave the wallet per asset within the window (24 h by default).
CAPS = {YUSD: "10", USDC: "5"}
# The shortest interval the option allows, so that a poll comes within a second.
POLL_INTERVAL = 1
ENTRY_ID = "01JNITROLITEV1TESTENTRY000"
# The requests that change state on the node (all others only read).
CHANGES = (
    "app_sessions.v1.create_app_session",
    "app_sessions.v1.submit_deposit_state",
    "app_sessions.v1.submit_app_state",
    "channels.v1.request_creation",
    "channels.v1.submit_state",
)

__all__ = ["COUNTERPARTY", "COUNTERPARTY_KEY", "WALLET", "WALLET_KEY"]


@pytest.fixture
async def nitronode(socket_enabled: None) -> AsyncIterator[LocalNitronode]:
    """Run a Nitronode v1 on a free loopback port, with a funded wallet."""
    async with LocalNitronode(node_key=DEMO_NODE_KEY, fund=FUNDING) as node:
        yield node


def v1_entry(
    node: LocalNitronode, options: dict[str, Any] | None = None, **entry: Any
) -> MockConfigEntry:
    """Return a v1 entry for WALLET on the node with these tests' caps and interval."""
    return flow_helpers.v1_entry(
        node,
        {CONF_POLL_INTERVAL: POLL_INTERVAL, **(options or {})},
        data={CONF_ALLOWANCES: CAPS},
        **({"entry_id": ENTRY_ID} | entry),
    )


@pytest.fixture
def config_entry(nitronode: LocalNitronode) -> MockConfigEntry:
    """Return a v1 entry for WALLET on the local Nitronode."""
    return v1_entry(nitronode)


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Return the entry, set up against the local Nitronode."""
    await setup_entry(hass, config_entry)
    return config_entry


class WallClock:
    """Home Assistant's wall clock (``dt_util.utcnow``), moved only by the test.

    The freezer would move monotonic and event-loop time too: a day's jump would be
    a day of silence to the live connection, which it drops.
    """

    def __init__(self) -> None:
        """Start at the real current time."""
        self.now = dt_util.utcnow()

    def __call__(self) -> datetime:
        """Return the current time."""
        return self.now

    def tick(self, delta: timedelta) -> None:
        """Move the clock on."""
        self.now += delta


@pytest.fixture
def wall_clock() -> Iterator[WallClock]:
    """Return a movable wall clock in place of Home Assistant's."""
    clock = WallClock()
    with patch("homeassistant.util.dt.utcnow", clock):
        yield clock


@pytest.fixture
def counterparty() -> Signer:
    """Return the counterparty's key, to act on the node by itself."""
    return Signer.from_key(COUNTERPARTY_KEY)


def coordinator_of(entry: MockConfigEntry) -> NitroliteCoordinator:
    """Return the entry's coordinator."""
    coordinator: NitroliteCoordinator = entry.runtime_data.coordinator
    return coordinator


def changes_sent(node: LocalNitronode) -> int:
    """Return how many requests that change state the node has received."""
    return sum(node.faults.received[method] for method in CHANGES)


async def open_session(hass: HomeAssistant, amount: str = "2", **data: Any) -> str:
    """Open a two-party yusd session funded by our wallet; return its id."""
    response = await call(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY,
        asset=YUSD,
        amount=amount,
        **data,
    )
    return str(response["app_session_id"])


def session_entity(app_session_id: str, suffix: str) -> str:
    """Return the entity id of an app session's sensor."""
    return (
        f"sensor.home_assistant_session_0x{app_session_id[2:6]}_"
        f"{app_session_id[-4:]}_{suffix}"
    )


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def counterparty_opens(
    hass: HomeAssistant, node: LocalNitronode, amount: str, nonce: int = 1
) -> str:
    """Have the counterparty open and fund a session with us by itself; return its id.

    It alone signs in it (weight 100 of quorum 100), as a charger paying back would.
    """
    node.fund(COUNTERPARTY, YUSD, Decimal(amount))
    client = create_client(
        async_get_clientsession(hass), node.url, COUNTERPARTY_KEY, NitronodeOptions()
    )
    await client.connect()
    try:
        result = await client.create_app_session(
            AppDefinition(
                "home-assistant",
                V1_PROTOCOL,
                (COUNTERPARTY, WALLET),
                (100, 0),
                100,
                0,
                nonce,
            ),
            [
                Allocation(COUNTERPARTY, YUSD, Decimal(amount)),
                Allocation(WALLET, YUSD, Decimal(0)),
            ],
        )
    finally:
        await client.close()
    return result.app_session_id


def yusd_split(ours: str, theirs: str) -> list[Allocation]:
    """Return yusd allocations of our wallet and the counterparty."""
    return [
        Allocation(WALLET, YUSD, Decimal(ours)),
        Allocation(COUNTERPARTY, YUSD, Decimal(theirs)),
    ]


PRESET_ID = "01JPRESETV1CHARGER00000000"


def v1_preset(**changes: Any) -> ConfigSubentryDataWithId:
    """Return an EV-charger preset of a v1 entry: deposit 4 yusd, 0.5 per unit."""
    return ConfigSubentryDataWithId(
        subentry_id=PRESET_ID,
        subentry_type="preset",
        title="EV charger",
        unique_id="ev_charger",
        data={
            "name": "EV charger",
            "counterparty": COUNTERPARTY,
            "asset": YUSD,
            "deposit": "4",
            "unit_price": "0.5",
            "protocol": V1_PROTOCOL,
            "own_weight": 100,
            "counterparty_weight": 0,
            "quorum": 100,
            "challenge": 0,
            "application": "home-assistant",
            **changes,
        },
    )
