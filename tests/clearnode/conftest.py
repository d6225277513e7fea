"""Fixtures for the library's loopback tests against the local ClearNode."""

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import pytest_socket

from custom_components.nitrolite.clearnode import ClearNodeClient, ClearNodeEvent
from local_clearnode import DEMO_BROKER_KEY, DEMO_WALLET_ADDRESS, LocalClearNode


@pytest.fixture(autouse=True)
def allow_loopback() -> None:
    """Let these tests open sockets to 127.0.0.1 (and nowhere else)."""
    pytest_socket.enable_socket()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])


@pytest.fixture
async def node() -> AsyncIterator[LocalClearNode]:
    """Run a local ClearNode whose broker key is the demo key, wallet funded."""
    async with LocalClearNode(
        broker_key=DEMO_BROKER_KEY,
        fund={DEMO_WALLET_ADDRESS: {"usdc": Decimal(100), "ytest.usd": Decimal(50)}},
    ) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """Return the aiohttp session the clients share (injected, as in HA)."""
    async with aiohttp.ClientSession() as session:
        yield session


type ClientFactory = Callable[..., ClearNodeClient]


@pytest.fixture
async def make_client(
    node: LocalClearNode, http: aiohttp.ClientSession
) -> AsyncIterator[ClientFactory]:
    """Build clients for the demo wallet; every client is closed after the test."""
    clients: list[ClearNodeClient] = []

    def factory(key: str, **options: Any) -> ClearNodeClient:
        options = {
            "allowances": {"usdc": Decimal(1000), "ytest.usd": Decimal(1000)},
            "request_timeout": 2.0,
            "reconnect_min_delay": 0.05,
            "reconnect_max_delay": 0.2,
        } | options
        client = ClearNodeClient(http, node.url, key, **options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


class EventLog(list[ClearNodeEvent]):
    """Events received by a subscriber, with a way to wait for one."""

    async def wait_for[T](self, kind: type[T], **match: Any) -> T:
        """Return the first event of ``kind`` whose attributes equal ``match``."""
        async with asyncio.timeout(10):
            while True:
                for event in self:
                    if isinstance(event, kind) and all(
                        getattr(event, k) == v for k, v in match.items()
                    ):
                        return event
                await asyncio.sleep(0.01)


async def eventually(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Let the loop run until ``condition()`` holds (bounded, not timed)."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)
