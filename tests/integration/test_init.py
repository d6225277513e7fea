"""Setup, unload, outages and recovery against the local ClearNode."""

from __future__ import annotations

from decimal import Decimal
import logging

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    EVENT_HOMEASSISTANT_STOP,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.clearnode import ClearNodeClient, ConnectionState
from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_PRIVATE_KEY,
    CONF_REQUEST_TIMEOUT,
    DOMAIN,
)
from local_clearnode import LocalClearNode

from .conftest import (
    COUNTERPARTY,
    COUNTERPARTY_KEY,
    SECRETS,
    WALLET,
    WALLET_KEY,
    entry_data,
    setup_entry,
)
from .helpers import wait_for

CONNECTIVITY = "binary_sensor.wallet_0x2c75_5c23_connectivity"
BALANCE = "sensor.wallet_0x2c75_5c23_usdc_balance"
CONNECTION_STATE = "sensor.wallet_0x2c75_5c23_connection_state"


async def test_setup_reads_the_wallet_and_unload_closes_the_connection(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Setup reads the wallet and unload closes the connection."""
    assert loaded_entry.state is ConfigEntryState.LOADED
    client = loaded_entry.runtime_data.client
    assert client.state is ConnectionState.CONNECTED
    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert hass.states.get(BALANCE).state == "100"

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert client.state is ConnectionState.DISCONNECTED


async def test_setup_retries_while_the_clearnode_is_unreachable(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """Setup retries while the clearnode is unreachable."""
    await clearnode.stop()
    await setup_entry(hass, config_entry)

    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert config_entry.reason is not None
    assert "Could not connect to the node" in config_entry.reason


async def test_setup_asks_to_reauthenticate_when_the_login_is_refused(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Setup asks to reauthenticate when the login is refused."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode, **{CONF_ALLOWANCES: {"btc": "1"}}),
    )
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_entities_go_unavailable_during_an_outage_and_come_back(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities go unavailable during an outage and come back."""
    caplog.set_level(logging.DEBUG)
    await clearnode.stop()
    await wait_for(hass, lambda: hass.states.get(BALANCE).state == STATE_UNAVAILABLE)
    assert hass.states.get(CONNECTIVITY).state == STATE_OFF
    assert hass.states.get(CONNECTION_STATE).state != "connected"

    clearnode.fund(WALLET, "usdc", 5)  # changed while we were away
    await clearnode.start()
    await wait_for(hass, lambda: hass.states.get(BALANCE).state == "105")

    assert hass.states.get(CONNECTIVITY).state == STATE_ON
    assert hass.states.get(CONNECTION_STATE).state == "connected"
    lost = [
        r for r in caplog.records if r.getMessage().startswith("Lost the connection")
    ]
    back = [r for r in caplog.records if r.getMessage().startswith("Reconnected")]
    assert [r.levelno for r in lost + back] == [logging.INFO, logging.INFO]
    assert not any(secret in caplog.text for secret in SECRETS)


async def test_restart_of_the_clearnode_is_survived(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Restart of the clearnode is survived."""
    client = loaded_entry.runtime_data.client
    await clearnode.restart()
    await wait_for(hass, lambda: client.stats["reconnects"] == 1)
    await wait_for(hass, lambda: hass.states.get(BALANCE).state == "100")


async def test_home_assistant_stop_closes_the_connection(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """Home assistant stop closes the connection."""
    client = loaded_entry.runtime_data.client
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert client.state is ConnectionState.DISCONNECTED

    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert "Unable to remove unknown job listener" not in caplog.text


async def test_setup_retries_when_the_state_cannot_be_read(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """Logged in, but the balances never come: setup is retried later."""
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, options={CONF_REQUEST_TIMEOUT: 1}
    )
    clearnode.faults.silent_methods.add("get_ledger_balances")
    await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "Could not read the wallet's state" in str(config_entry.reason)


async def test_a_balance_sensor_appears_when_a_new_asset_arrives(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The counterparty holds only usdc until we send it ytest.usd."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=COUNTERPARTY,
        unique_id=f"{COUNTERPARTY}_{clearnode.broker_address}".lower(),
        data=entry_data(clearnode, **{CONF_PRIVATE_KEY: COUNTERPARTY_KEY}),
    )
    await setup_entry(hass, entry)
    new_sensor = "sensor.wallet_0x7099_79c8_ytest_usd_balance"
    assert hass.states.get("sensor.wallet_0x7099_79c8_usdc_balance").state == "20"
    assert hass.states.get(new_sensor) is None

    sender = ClearNodeClient(
        async_get_clientsession(hass),
        clearnode.url,
        WALLET_KEY,
        allowances={"ytest.usd": Decimal(2)},
    )
    await sender.connect()
    try:
        await sender.transfer(COUNTERPARTY, [("ytest.usd", Decimal("1.25"))])
    finally:
        await sender.close()

    await wait_for(hass, lambda: hass.states.get(new_sensor) is not None)
    assert hass.states.get(new_sensor).state == "1.25"


async def test_removing_the_entry_revokes_its_session_key(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """After removal no session key of the wallet can sign on the ClearNode."""
    assert len(clearnode.active_session_keys(WALLET)) == 1

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert clearnode.active_session_keys(WALLET) == []


async def test_removal_goes_ahead_when_the_clearnode_is_unreachable(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    loaded_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An offline ClearNode only costs a warning; the entry is removed anyway."""
    await clearnode.stop()

    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.config_entries.async_get_entry(loaded_entry.entry_id) is None
    assert "Could not revoke the session key" in caplog.text
    assert WALLET_KEY[2:] not in caplog.text
