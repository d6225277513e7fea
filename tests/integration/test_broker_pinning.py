"""The broker an entry was set up with is pinned: another one is refused until accepted."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from yarl import URL

from custom_components.nitrolite.clearnode import Signer
from custom_components.nitrolite.const import (
    CONF_NODE_ADDRESS,
    CONF_PRIVATE_KEY,
    DOMAIN,
)
from local_clearnode import LocalClearNode

from .conftest import FUNDING, OTHER_BROKER_KEY, WALLET, WALLET_KEY, entry_data
from .helpers import wait_for

OTHER_BROKER = Signer.from_key(OTHER_BROKER_KEY).address


def pinned_entry(node: LocalClearNode, broker: str) -> MockConfigEntry:
    """Return an entry on the node's endpoint that trusts ``broker``."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{broker}".lower(),
        data=entry_data(node, **{CONF_NODE_ADDRESS: broker}),
        minor_version=2,
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and try to set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def broker_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the entry's broker-changed issue, if raised."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"broker_changed_{entry.entry_id}"
    )


@contextlib.asynccontextmanager
async def rekeyed(node: LocalClearNode) -> AsyncIterator[LocalClearNode]:
    """Replace the node by one on the same port that signs with another broker key."""
    await node.stop()
    async with LocalClearNode(
        host="127.0.0.1",
        port=URL(node.url).port or 0,
        fund=FUNDING,
        broker_key=OTHER_BROKER_KEY,
    ) as other:
        yield other


async def test_a_new_broker_stops_the_setup_with_a_repair_and_no_login(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Only get_config is sent: no login, nothing signed; the repair names both."""
    entry = pinned_entry(clearnode, OTHER_BROKER)

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert set(clearnode.faults.received) == {"get_config"}
    issue = broker_issue(hass, entry)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "title": WALLET,
        "expected": OTHER_BROKER,
        "actual": clearnode.broker_address,
    }


async def test_reconfigure_shows_both_brokers_and_accepts_the_new_one(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Accepting the new broker pins it; the entry loads and the repair clears."""
    entry = pinned_entry(clearnode, OTHER_BROKER)
    await set_up(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"endpoint": clearnode.url}
    )
    assert result["step_id"] == "reconfigure_broker"
    assert result["description_placeholders"] == {
        "title": WALLET,
        "expected": OTHER_BROKER,
        "actual": clearnode.broker_address,
    }
    assert "auth_request" not in clearnode.faults.received

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_NODE_ADDRESS] == clearnode.broker_address
    assert entry.state is ConfigEntryState.LOADED
    assert broker_issue(hass, entry) is None


async def test_accepting_the_new_broker_needs_a_login_that_works(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """If the ClearNode is gone when the new broker is accepted, nothing is stored."""
    entry = pinned_entry(clearnode, OTHER_BROKER)
    await set_up(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"endpoint": clearnode.url}
    )
    await clearnode.stop()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})

    assert result["step_id"] == "reconfigure_broker"
    assert result["errors"] == {"base": "cannot_connect"}
    assert entry.data[CONF_NODE_ADDRESS] == OTHER_BROKER


async def test_reauthentication_against_a_new_broker_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Re-entering the key does not accept a new broker; the form says where to go."""
    entry = pinned_entry(clearnode, OTHER_BROKER)
    await set_up(hass, entry)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: WALLET_KEY}
    )

    assert result["errors"] == {"base": "broker_changed"}
    assert entry.data[CONF_NODE_ADDRESS] == OTHER_BROKER
    assert "auth_request" not in clearnode.faults.received


async def test_a_broker_changed_while_running_raises_the_repair(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A reconnection to a re-keyed ClearNode is refused before any login."""
    entry = pinned_entry(clearnode, clearnode.broker_address)
    await set_up(hass, entry)

    async with rekeyed(clearnode) as other:
        await wait_for(hass, lambda: broker_issue(hass, entry) is not None)

        assert "auth_request" not in other.faults.received
    assert broker_issue(hass, entry).translation_placeholders["actual"] == OTHER_BROKER


async def test_removal_does_not_log_in_to_another_broker(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Revoking the session key would mean a login: refused; the entry goes anyway."""
    entry = pinned_entry(clearnode, clearnode.broker_address)
    await set_up(hass, entry)

    async with rekeyed(clearnode) as other:
        await hass.config_entries.async_remove(entry.entry_id)
        await hass.async_block_till_done()

        assert "auth_request" not in other.faults.received
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert "Could not revoke the session key" in caplog.text


async def test_migration_pins_the_broker_the_unique_id_names(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """Entries of 1.1 take the broker from their unique id, without trusting anew."""
    assert config_entry.minor_version == 1
    assert CONF_NODE_ADDRESS not in config_entry.data

    await set_up(hass, config_entry)

    assert config_entry.minor_version == 2
    assert config_entry.data[CONF_NODE_ADDRESS] == clearnode.broker_address
    assert config_entry.state is ConfigEntryState.LOADED


async def test_migration_of_a_changed_broker_raises_the_repair(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A 1.1 entry whose ClearNode was re-keyed since it was added does not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{OTHER_BROKER}".lower(),
        data=entry_data(clearnode),
        minor_version=1,
    )

    await set_up(hass, entry)

    assert entry.data[CONF_NODE_ADDRESS] == OTHER_BROKER
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert broker_issue(hass, entry) is not None


async def test_an_entry_of_a_newer_major_version_is_not_migrated(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """A downgrade leaves the entry alone rather than guessing its data."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode),
        version=2,
    )

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert "get_config" not in clearnode.faults.received


async def test_an_entry_whose_unique_id_names_no_broker_learns_it_once(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Without a broker to take over, the first successful login pins it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=WALLET.lower(),
        data=entry_data(clearnode),
        minor_version=1,
    )

    await set_up(hass, entry)

    assert entry.minor_version == 2
    assert entry.data[CONF_NODE_ADDRESS] == clearnode.broker_address
