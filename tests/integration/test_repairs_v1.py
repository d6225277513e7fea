"""A v0.5 endpoint that now speaks v1, and what a Nitronode entry is never asked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.nitrolite.clearnode import (
    V1_PROTOCOL,
    ClearNodeAuthenticationError,
    ClearNodeClockSkewError,
    ConnectionState,
    ConnectionStateChanged,
)
from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_CAPS_WINDOW,
    CONF_DIALECT,
    CONF_NODE_ADDRESS,
    CONF_POLL_INTERVAL,
    CONF_PRIVATE_KEY,
    CONF_REQUEST_TIMEOUT,
    DOMAIN,
)
from local_clearnode import LocalClearNode
from local_nitronode import LocalNitronode

from .conftest import (
    V1_FUNDING,
    WALLET,
    WALLET_KEY,
    entry_data,
    setup_entry,
    wallet_entry,
)
from .flow_helpers import node_address, v1_entry
from .helpers import call, find_device

V1_CONNECT = "custom_components.nitrolite.clearnode.NitronodeClient.connect"
UPGRADED = "endpoint_upgraded"
PRESET = ConfigSubentryData(
    data={
        "name": "EV charger",
        "counterparty": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "asset": "usdc",
        "deposit": "2",
        "unit_price": "0.3",
        "protocol": "NitroRPC/0.4",
        "own_weight": 100,
        "counterparty_weight": 0,
        "quorum": 100,
        "challenge": 0,
        "application": "home-assistant",
    },
    subentry_type="preset",
    title="EV charger",
    unique_id="ev_charger",
)


def issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> Any:
    """Return the entry's repair issue of that kind, if raised."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def reauth_flows(hass: HomeAssistant) -> list[Any]:
    """Return the reauthentication flows in progress."""
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == "reauth"
    ]


def upgraded_node(clearnode: LocalClearNode) -> LocalNitronode:
    """Return a Nitronode that takes over the ClearNode's address and port."""
    url = URL(clearnode.url)
    assert url.host is not None
    return LocalNitronode(host=url.host, port=url.port or 0, fund=V1_FUNDING)


@pytest.fixture
def v05_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """WALLET's v0.5 entry with a preset; a short timeout finds out a v1 node fast."""
    return wallet_entry(
        clearnode,
        options={CONF_REQUEST_TIMEOUT: 1, CONF_ALLOWANCES: {"usdc": "4"}},
        subentries_data=[PRESET],
        minor_version=2,
    )


class Repair:
    """A fix flow driven through the repairs HTTP API, as the frontend does."""

    def __init__(self, client: Any, flow: dict[str, Any]) -> None:
        """Keep the API client and the flow's first answer."""
        self._client = client
        self.result = flow

    @classmethod
    async def start(
        cls, hass: HomeAssistant, hass_client: ClientSessionGenerator, issue_id: str
    ) -> Repair:
        """Open the fix flow of an issue."""
        assert await async_setup_component(hass, "repairs", {})
        client = await hass_client()
        response = await client.post(
            "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
        )
        return cls(client, await response.json())

    async def submit(self, user_input: dict[str, Any]) -> dict[str, Any]:
        """Submit the current form."""
        response = await self._client.post(
            f"/api/repairs/issues/fix/{self.result['flow_id']}", json=user_input
        )
        self.result = await response.json()
        return self.result


async def test_an_upgraded_endpoint_is_converted_keeping_the_wallet(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clearnode: LocalClearNode,
    v05_entry: MockConfigEntry,
) -> None:
    """v0.5 → the operator runs v1 there → repair → the same entry works as v1.

    The key is not asked again; the node address is trusted once the user submits
    the form that shows it; caps of assets both nodes offer are kept.
    """
    await setup_entry(hass, v05_entry)
    old_wallet_key = str(v05_entry.unique_id)
    assert find_device(hass, v05_entry.entry_id, old_wallet_key) is not None
    await hass.config_entries.async_unload(v05_entry.entry_id)
    await clearnode.stop()

    async with upgraded_node(clearnode) as nitronode:
        await hass.config_entries.async_setup(v05_entry.entry_id)
        await hass.async_block_till_done()
        assert v05_entry.state is ConfigEntryState.SETUP_ERROR
        found = issue(hass, UPGRADED, v05_entry)
        assert found is not None
        assert found.is_fixable
        assert found.translation_placeholders == {
            "title": WALLET,
            "endpoint": clearnode.url,
            "node_version": "v1.4.1",
        }

        repair = await Repair.start(hass, hass_client, found.issue_id)
        assert repair.result["step_id"] == "nitronode"
        assert repair.result["description_placeholders"] == {
            "title": WALLET,
            "endpoint": clearnode.url,
            "node_address": node_address(nitronode),
            "node_version": "v1.4.1",
        }
        result = await repair.submit(
            {
                CONF_APPLICATION: "home-assistant",
                CONF_POLL_INTERVAL: 2,
                CONF_CAPS_WINDOW: 12,
            }
        )
        assert result["step_id"] == "local_allowances"
        assert result["description_placeholders"] == {
            "balances": "- yusd: 100\n- usdc: 30",
            "window": "12",
        }
        result = await repair.submit({"yusd": 10, "usdc": 4})
        assert result["type"] == "create_entry"
        await hass.async_block_till_done()

        assert v05_entry.state is ConfigEntryState.LOADED
        assert issue(hass, UPGRADED, v05_entry) is None
        assert v05_entry.data[CONF_DIALECT] == "v1"
        assert v05_entry.data[CONF_PRIVATE_KEY] == WALLET_KEY
        assert v05_entry.data[CONF_NODE_ADDRESS] == node_address(nitronode)
        assert v05_entry.data[CONF_ALLOWANCES] == {"yusd": "10", "usdc": "4"}
        assert v05_entry.unique_id == f"{WALLET}_{nitronode.node_address}".lower()
        assert v05_entry.options == {
            CONF_REQUEST_TIMEOUT: 1,
            CONF_POLL_INTERVAL: 2,
            CONF_CAPS_WINDOW: 12,
        }
        (preset,) = v05_entry.subentries.values()
        assert (preset.data["protocol"], preset.data["challenge"]) == (V1_PROTOCOL, 0)
        assert find_device(hass, v05_entry.entry_id, old_wallet_key) is None
        assert find_device(hass, v05_entry.entry_id, str(v05_entry.unique_id))
        balances = (await call(hass, "get_balances"))["balances"]
        assert sorted(balances, key=lambda balance: balance["asset"]) == [
            {"asset": "usdc", "amount": "30"},
            {"asset": "yusd", "amount": "100"},
        ]
        await call(hass, "create_app_session", preset="ev_charger")
        assert nitronode.balance(WALLET, "usdc") == Decimal(28)


async def test_a_clearnode_that_is_only_down_is_retried_without_an_issue(
    hass: HomeAssistant, clearnode: LocalClearNode, v05_entry: MockConfigEntry
) -> None:
    """Nothing answers: setup is retried, and nothing is said about v1."""
    await clearnode.stop()

    await setup_entry(hass, v05_entry)

    assert v05_entry.state is ConfigEntryState.SETUP_RETRY
    assert issue(hass, UPGRADED, v05_entry) is None


async def test_the_repair_stops_when_the_endpoint_is_not_v1_any_more(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clearnode: LocalClearNode,
    v05_entry: MockConfigEntry,
) -> None:
    """The node went away again: nothing is converted and the issue stays."""
    await clearnode.stop()
    async with upgraded_node(clearnode):
        await setup_entry(hass, v05_entry)
    found = issue(hass, UPGRADED, v05_entry)
    assert found is not None

    repair = await Repair.start(hass, hass_client, found.issue_id)

    assert repair.result["type"] == "abort"
    assert repair.result["reason"] == "endpoint_not_v1"
    assert v05_entry.data[CONF_DIALECT] == "v0.5"
    assert issue(hass, UPGRADED, v05_entry) is not None


async def test_the_repair_suggests_an_application_id_the_node_accepts(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    clearnode: LocalClearNode,
) -> None:
    """A v0.5 name outside the v1 pattern is replaced by the default, and checked."""
    entry = wallet_entry(
        clearnode,
        options={CONF_REQUEST_TIMEOUT: 1},
        data=entry_data(clearnode, application="My App"),
    )
    await clearnode.stop()
    async with upgraded_node(clearnode):
        await setup_entry(hass, entry)
        repair = await Repair.start(
            hass, hass_client, issue(hass, UPGRADED, entry).issue_id
        )
        schema = {field["name"]: field for field in repair.result["data_schema"]}
        assert schema[CONF_APPLICATION]["description"] == {
            "suggested_value": "home-assistant"
        }

        result = await repair.submit(
            {CONF_APPLICATION: "My App", CONF_POLL_INTERVAL: 5, CONF_CAPS_WINDOW: 24}
        )

    assert result["errors"] == {CONF_APPLICATION: "invalid_application_id"}


# What a Nitronode entry is never asked -----------------------------------------------


async def test_a_nitronode_entry_never_starts_reauthentication(
    hass: HomeAssistant, nitronode: LocalNitronode
) -> None:
    """There is no login to refuse: an authentication error at setup is retried."""
    entry = v1_entry(nitronode)
    with patch(V1_CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
        await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert reauth_flows(hass) == []


@pytest.mark.parametrize(
    "error",
    [
        ClearNodeAuthenticationError("refused"),
        ClearNodeClockSkewError("node.v1.ping", "invalid message timestamp"),
    ],
)
async def test_a_nitronode_entry_raises_no_login_or_clock_repair(
    hass: HomeAssistant, nitronode: LocalNitronode, error: Exception
) -> None:
    """Neither a login nor timestamps exist there, whatever the connection reports."""
    entry = v1_entry(nitronode)
    await setup_entry(hass, entry)

    entry.runtime_data.client._emit(
        ConnectionStateChanged(ConnectionState.DISCONNECTED, error)
    )
    await hass.async_block_till_done()

    assert reauth_flows(hass) == []
    assert issue(hass, "clock_skew", entry) is None
