"""Listening as both servers do: a bounded number of sockets, restarts on one port."""

import asyncio
from collections.abc import AsyncIterator
from types import ModuleType

import aiohttp
import pytest

from local_clearnode import LocalClearNode
import local_clearnode.server
from local_nitronode import LocalNitronode
import local_nitronode.server

type Server = LocalClearNode | LocalNitronode
SERVERS: dict[str, tuple[ModuleType, type[Server]]] = {
    "clearnode": (local_clearnode.server, LocalClearNode),
    "nitronode": (local_nitronode.server, LocalNitronode),
}


@pytest.fixture(params=sorted(SERVERS))
async def node(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Server]:
    """Each local server, allowed one socket at a time."""
    module, server_class = SERVERS[request.param]
    monkeypatch.setattr(module, "MAX_CONNECTIONS", 1)
    async with server_class() as server:
        yield server


async def test_an_upgrade_past_the_limit_is_refused_until_a_socket_closes(
    node: Server,
) -> None:
    """At the limit an upgrade gets 503; once a socket closes, the next one is let in."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(node.url):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(node.url)
            assert refused.value.status == 503

        async with await connected_when_let_in(http, node.url) as second:
            assert not second.closed


async def connected_when_let_in(
    http: aiohttp.ClientSession, url: str
) -> aiohttp.ClientWebSocketResponse:
    """Retry the upgrade until the server has let go of a closed socket."""
    async with asyncio.timeout(30):
        while True:
            try:
                return await http.ws_connect(url)
            except aiohttp.WSServerHandshakeError:
                await asyncio.sleep(0.01)


async def test_a_restart_drops_sockets_and_listens_on_the_same_port(
    node: Server,
) -> None:
    """Open sockets are closed by a restart; the same URL serves again afterwards."""
    url = node.url
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as before:
        await node.restart()
        assert await closed_by_server(before)

        assert node.url == url
        async with http.ws_connect(url) as after:
            assert not after.closed


async def closed_by_server(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Read past any pushes (the ClearNode greets with its assets) to the close."""
    message = await ws.receive(timeout=30)
    while message.type is aiohttp.WSMsgType.TEXT:
        message = await ws.receive(timeout=30)
    return message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
