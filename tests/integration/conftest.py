"""Fixtures: a local ClearNode on 127.0.0.1 and config entries that log in to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# Imported at module level so that Home Assistant finds this repository's
# custom_components package rather than the test harness's own (see TOOLCHAIN.md).
import custom_components.nitrolite  # noqa: F401
from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_PRIVATE_KEY,
    CONF_SESSION_KEY_LIFETIME,
    DOMAIN,
)
from local_clearnode import LocalClearNode
from local_nitronode import LocalNitronode

# Public test vector keys (never real funds).
WALLET_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
WALLET = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
COUNTERPARTY_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
COUNTERPARTY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BROKER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
OTHER_BROKER_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
SECRETS = (WALLET_KEY, WALLET_KEY.removeprefix("0x"))

# Registry entries serialise differently before 2026.10 (e.g. aliases as a set).
ENTITY_SNAPSHOT_RELEASE = (2026, 10)
FUNDING = {
    WALLET: {"usdc": Decimal(100), "ytest.usd": Decimal(50)},
    COUNTERPARTY: {"usdc": Decimal(20)},
}
V1_FUNDING = {WALLET: {"yusd": Decimal(100), "usdc": Decimal(30)}}


def pytest_configure(config: pytest.Config) -> None:
    """On older releases the entity snapshots (recorded with 2026.10) are skipped."""
    if (MAJOR_VERSION, MINOR_VERSION) < ENTITY_SNAPSHOT_RELEASE:
        config.option.warn_unused_snapshots = True


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/nitrolite."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Serialise Home Assistant objects without their random ids."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def clearnode(socket_enabled: None) -> AsyncIterator[LocalClearNode]:
    """Run a ClearNode on a free loopback port, with funded wallets."""
    async with LocalClearNode(
        host="127.0.0.1", port=0, fund=FUNDING, broker_key=BROKER_KEY
    ) as node:
        yield node


@pytest.fixture
async def nitronode(socket_enabled: None) -> AsyncIterator[LocalNitronode]:
    """Run a Nitronode v1.4 on a free loopback port; WALLET holds 100 yusd, 30 usdc."""
    async with LocalNitronode(fund=V1_FUNDING) as node:
        yield node


@pytest.fixture
async def empty_nitronode(socket_enabled: None) -> AsyncIterator[LocalNitronode]:
    """Run a Nitronode v1.4 (with its faucet) on which no wallet holds anything yet."""
    async with LocalNitronode() as node:
        yield node


def entry_data(node: LocalClearNode, **changes: Any) -> dict[str, Any]:
    """Entry data as the config flow stores it."""
    return {
        CONF_DIALECT: "v0.5",
        CONF_ENDPOINT: node.url,
        CONF_PRIVATE_KEY: WALLET_KEY,
        CONF_APPLICATION: "home-assistant",
        CONF_ALLOWANCES: {"usdc": "10", "ytest.usd": "5"},
        CONF_SESSION_KEY_LIFETIME: 24,
        **changes,
    }


def wallet_entry(node: LocalClearNode, **changes: Any) -> MockConfigEntry:
    """Return an entry for WALLET on the node, as the config flow makes it."""
    entry: dict[str, Any] = {
        "domain": DOMAIN,
        "title": WALLET,
        "unique_id": f"{WALLET}_{node.broker_address}".lower(),
        "data": entry_data(node),
        "entry_id": "01JNITROLITETESTENTRY00000",
    }
    return MockConfigEntry(**(entry | changes))


@pytest.fixture
def config_entry(clearnode: LocalClearNode) -> MockConfigEntry:
    """Return an entry for WALLET on the local ClearNode."""
    return wallet_entry(clearnode)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry, waiting for its platforms."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def loaded_entry(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> MockConfigEntry:
    """Return the entry, set up against the local ClearNode."""
    await setup_entry(hass, config_entry)
    return config_entry
