"""Telling a v1 node from a v0.5 ClearNode (and from anything else) at an endpoint."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
import json
import socket

import aiohttp
from aiohttp import web
import pytest

from custom_components.nitrolite.clearnode.addresses import to_checksum_address
from custom_components.nitrolite.clearnode.base import Dialect
from custom_components.nitrolite.clearnode.probe import (
    MAX_PROBE_FRAMES,
    ProbeOutcome,
    ProbeResult,
    probe,
)
from local_clearnode import LocalClearNode
from local_nitronode import LocalNitronode, NodeConfig

type Script = Sequence[str | bytes | None]
type Serve = Callable[[Script], Awaitable[str]]
GET_CONFIG = "node.v1.get_config"


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Run a WebSocket server that answers the first frame with a script.

    Each item is sent in turn: text, bytes (a binary frame), or None to close.
    """
    runners: list[web.AppRunner] = []

    async def start(script: Script) -> str:
        async def handler(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.receive()
            for item in script:
                if item is None:
                    await ws.close()
                elif isinstance(item, bytes):
                    await ws.send_bytes(item)
                else:
                    await ws.send_str(item)
            async for _ in ws:
                pass
            return ws

        app = web.Application()
        app.router.add_get("/ws", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"ws://127.0.0.1:{runner.addresses[0][1]}/ws"

    yield start
    for runner in runners:
        await runner.cleanup()


def v1_answer(kind: int, payload: object, request_id: int = 1) -> str:
    """Return a v1 frame answering the probe's get_config."""
    return json.dumps([kind, request_id, GET_CONFIG, payload, 1764201600000])


async def test_a_v1_node_is_supported_and_names_its_version_and_address(
    http: aiohttp.ClientSession,
) -> None:
    """A v1.4.1 node is v1, with its address in EIP-55, after a single frame."""
    async with LocalNitronode() as node:
        result = await probe(http, node.url)
    assert result == ProbeResult(
        ProbeOutcome.V1, to_checksum_address(node.node_address), "v1.4.1"
    )
    assert result.dialect is Dialect.V1
    assert dict(node.faults.received) == {GET_CONFIG: 1}


@pytest.mark.parametrize("version", ["v1.2.0", "v1.0.0"])
async def test_a_v1_node_older_than_1_3_is_unsupported_and_named(
    http: aiohttp.ClientSession, version: str
) -> None:
    """A v1.2 node (registered apps) or older is v1 but unsupported; the text names it."""
    async with LocalNitronode(config=NodeConfig(node_version=version)) as node:
        result = await probe(http, node.url)
    assert result.outcome is ProbeOutcome.V1_UNSUPPORTED
    assert result.dialect is Dialect.V1
    assert result.node_version == version
    assert version in result.detail
    assert result.node_address == to_checksum_address(node.node_address)


async def test_a_v05_clearnode_is_recognised_with_its_broker(
    http: aiohttp.ClientSession, node: LocalClearNode
) -> None:
    """The v0.5 ClearNode refuses the array frame; its get_config names the broker."""
    result = await probe(http, node.url)
    assert result == ProbeResult(ProbeOutcome.V05, node.broker_address)
    assert result.dialect is Dialect.V05
    assert dict(node.faults.received) == {"get_config": 1}


async def test_an_unused_port_is_unreachable(http: aiohttp.ClientSession) -> None:
    """Nothing listens: unreachable, and no dialect."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = await probe(http, f"ws://127.0.0.1:{port}/ws")
    assert result.outcome is ProbeOutcome.UNREACHABLE
    assert result.dialect is None


async def test_an_http_error_at_the_upgrade_is_unreachable_with_its_status(
    http: aiohttp.ClientSession, node: LocalClearNode
) -> None:
    """A wrong path gets HTTP 404 instead of a WebSocket."""
    result = await probe(http, node.url.replace("/ws", "/nothing"))
    assert result == ProbeResult(ProbeOutcome.UNREACHABLE, detail="HTTP 404")


async def test_a_v1_node_refusing_the_app_id_is_unreachable_with_http_400(
    http: aiohttp.ClientSession,
) -> None:
    """A v1 node refuses the upgrade for an app_id outside its pattern."""
    async with LocalNitronode() as nitronode:
        result = await probe(http, f"{nitronode.url}?app_id=Home%20Assistant")
    assert result == ProbeResult(ProbeOutcome.UNREACHABLE, detail="HTTP 400")


@pytest.mark.parametrize(
    ("script", "seen"),
    [
        (["hello"], "a text frame that is not JSON: 'hello'"),
        (['{"hello": 1}'], "a JSON dict"),
        (["42"], "a JSON int"),
        ([b"\x00\x01"], "a binary WebSocket message"),
        ([None], "the server closed the connection"),
        (
            [json.dumps([2, 9, "node.v1.ping", {}, 1])],
            "an unrelated v1 frame",
        ),
        ([json.dumps([2, 1, GET_CONFIG, {}])], "malformed frame"),
        (
            [v1_answer(2, {"node_address": "0x12", "node_version": "v1.4.1"})],
            "node_address",
        ),
        (
            ['{"res": [0, "assets", {}, 1], "sig": []}', "nonsense"],
            "malformed frame",
        ),
        (
            [
                '{"res": [0, "assets", {}, 1], "sig": []}',
                '{"res": [2, "get_config", {"broker_address": "0x12"}, 1], "sig": []}',
            ],
            "broker_address",
        ),
        (
            ['{"res": [0, "assets", {}, 1], "sig": []}'] * MAX_PROBE_FRAMES,
            f"no answer to get_config in {MAX_PROBE_FRAMES} frames",
        ),
    ],
)
async def test_something_else_is_unrecognised_and_named(
    http: aiohttp.ClientSession, serve: Serve, script: Script, seen: str
) -> None:
    """A WebSocket that speaks neither protocol is unrecognised; the detail says why."""
    result = await probe(http, await serve(script))
    assert result.outcome is ProbeOutcome.UNRECOGNISED
    assert result.dialect is None
    assert seen in result.detail


async def test_a_silent_websocket_is_unrecognised_at_the_deadline(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    """A socket that opens but never answers ends the probe at its deadline."""
    result = await probe(http, await serve([]), timeout=0.2)
    assert result == ProbeResult(
        ProbeOutcome.UNRECOGNISED, detail="no answer within 0.2 s"
    )


async def test_a_v1_node_without_get_config_is_unsupported(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    """v1 framing that does not know get_config cannot be a supported node."""
    refusal = f"unknown method: {GET_CONFIG}"
    result = await probe(http, await serve([v1_answer(4, {"error": refusal})]))
    assert result == ProbeResult(ProbeOutcome.V1_UNSUPPORTED, detail=refusal)


async def test_a_v1_node_that_does_not_say_its_version_is_unsupported(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    """Without a readable node_version nothing tells which rules the node applies."""
    address = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
    config = {"node_address": address, "node_version": "main", "blockchains": []}
    result = await probe(http, await serve([v1_answer(2, config)]))
    assert result.outcome is ProbeOutcome.V1_UNSUPPORTED
    assert result.node_address == to_checksum_address(address)
    assert "main" in result.detail


async def test_a_v05_node_that_refuses_get_config_is_still_v05(
    http: aiohttp.ClientSession, serve: Serve
) -> None:
    """The envelope tells the dialect even when the broker address stays unknown."""
    push = '{"res": [0, "assets", {"assets": []}, 1], "sig": []}'
    refusal = '{"res": [2, "error", {"error": "busy"}, 1], "sig": []}'
    result = await probe(http, await serve([push, refusal]))
    assert result == ProbeResult(ProbeOutcome.V05, detail="busy")
