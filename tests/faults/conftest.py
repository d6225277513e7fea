"""Fixtures: an entry on a local ClearNode, with a fast keepalive and short timeouts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import functools
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

# Imported at module level so that Home Assistant finds this repository's
# custom_components package rather than the test harness's own (see TOOLCHAIN.md).
import custom_components.nitrolite  # noqa: F401
from custom_components.nitrolite.clearnode import ClearNodeClient
from custom_components.nitrolite.const import CONF_REQUEST_TIMEOUT
from local_clearnode import LocalClearNode
from tests.integration.conftest import BROKER_KEY, FUNDING, wallet_entry

from .helpers import KEEPALIVE_INTERVAL, REQUEST_TIMEOUT

FAST_CLIENT = functools.partial(
    ClearNodeClient,
    ping_interval=KEEPALIVE_INTERVAL,
    reconnect_min_delay=0.05,
    reconnect_max_delay=0.4,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/nitrolite."""


@pytest.fixture(autouse=True)
def fast_keepalive() -> Iterator[None]:
    """Build the entry's client with a short keepalive and reconnection backoff."""
    with patch(
        "custom_components.nitrolite.clearnode.factory.ClearNodeClient", FAST_CLIENT
    ):
        yield


@pytest.fixture
async def clearnode(socket_enabled: None) -> AsyncIterator[LocalClearNode]:
    """Run a ClearNode on a free loopback port, with funded wallets."""
    async with LocalClearNode(
        host="127.0.0.1", port=0, fund=FUNDING, broker_key=BROKER_KEY
    ) as node:
        yield node


@pytest.fixture
def config_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """Return an entry for WALLET whose requests time out quickly."""
    return wallet_entry(
        clearnode,
        options={CONF_REQUEST_TIMEOUT: REQUEST_TIMEOUT},
        entry_id="01JNITROLITEFAULTENTRY0000",
    )


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Return the entry, set up against the local ClearNode."""
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry
