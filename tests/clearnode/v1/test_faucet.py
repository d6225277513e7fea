"""Test tokens from a node's faucet, and where a faucet is known at all."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
import socket

from aiohttp import web
import pytest

from custom_components.nitrolite.clearnode import (
    Balance,
    ClearNodeConnectionError,
    ClearNodeConnectionLostError,
    ClearNodeFaucetError,
    ClearNodeFaucetLimitError,
    ClearNodeInvalidAnswerError,
    ClearNodeNoAnswerError,
    Feature,
    faucet_url_for,
)
from local_nitronode import DEMO_WALLET_ADDRESS, LocalNitronode

from .conftest import ClientFactory

YUSD = "yusd"
DAY = 24 * 3600.0

type Handler = Callable[[web.Request], Awaitable[web.Response]]


class UnixClock:
    """Unix seconds that move only when a test says so."""

    def __init__(self) -> None:
        """Start on 2026-12-01."""
        self.now = 1_796_083_200.0

    def __call__(self) -> float:
        """Return the time."""
        return self.now


@pytest.fixture
def unix_clock() -> UnixClock:
    """Return the node's clock."""
    return UnixClock()


@pytest.fixture
async def node(unix_clock: UnixClock) -> AsyncIterator[LocalNitronode]:
    """Run a local Nitronode whose faucet cooldown runs on ``unix_clock``."""
    async with LocalNitronode(clock=unix_clock) as running:
        yield running


async def test_the_faucet_gives_a_wallet_test_tokens_once_a_day(
    make_v1_client: ClientFactory, node: LocalNitronode, unix_clock: UnixClock
) -> None:
    """10 yusd; asked again within 24 h a typed refusal; a day later 10 more."""
    client = make_v1_client(node)
    assert Feature.FAUCET in client.features
    assert await client.request_test_tokens() == Balance(YUSD, Decimal(10))
    with pytest.raises(ClearNodeFaucetLimitError) as limited:
        await client.request_test_tokens()
    assert (limited.value.code, limited.value.outcome_unknown) == (
        "faucet_limit",
        False,
    )
    assert node.balance(DEMO_WALLET_ADDRESS, YUSD) == 10
    unix_clock.now += DAY
    await client.request_test_tokens()
    assert node.balance(DEMO_WALLET_ADDRESS, YUSD) == 20


async def test_without_a_known_faucet_none_is_offered_or_asked(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """No FAUCET feature, and asking anyway is refused without a request."""
    client = make_v1_client(node, faucet_url=None)
    assert Feature.FAUCET not in client.features
    with pytest.raises(ClearNodeFaucetError) as refused:
        await client.request_test_tokens()
    assert refused.value.code == "faucet"
    assert node.balance(DEMO_WALLET_ADDRESS, YUSD) == 0


async def test_a_faucet_answering_with_an_error_page_refuses(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Not the faucet's JSON: the HTTP status is the reason."""
    wrong = node.faucet_url.replace("requestTokens", "nothing-here")
    client = make_v1_client(node, faucet_url=wrong)
    with pytest.raises(ClearNodeFaucetError, match="HTTP 404"):
        await client.request_test_tokens()


def free_port() -> int:
    """Return a loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreachable_faucet_is_a_connection_error(
    make_v1_client: ClientFactory, node: LocalNitronode
) -> None:
    """Nothing was asked: a plain connection error, not an unknown outcome."""
    url = f"http://127.0.0.1:{free_port()}/v1/faucet-app/requestTokens"
    client = make_v1_client(node, faucet_url=url)
    with pytest.raises(ClearNodeConnectionError) as failed:
        await client.request_test_tokens()
    assert not failed.value.outcome_unknown


@pytest.fixture
async def faucet_answering() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Run faucets on loopback that answer with a handler; return their URLs."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/v1/faucet-app/requestTokens", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}/v1/faucet-app/requestTokens"

    yield start
    for runner in runners:
        await runner.cleanup()


async def test_a_success_without_what_was_sent_is_not_believed(
    make_v1_client: ClientFactory,
    node: LocalNitronode,
    faucet_answering: Callable[[Handler], Awaitable[str]],
) -> None:
    """HTTP 200 without asset and amount: the tokens may have been sent."""

    async def vague(_request: web.Request) -> web.Response:
        return web.json_response({"success": True})

    client = make_v1_client(node, faucet_url=await faucet_answering(vague))
    with pytest.raises(ClearNodeInvalidAnswerError, match="asset") as vague_answer:
        await client.request_test_tokens()
    assert vague_answer.value.outcome_unknown


async def test_a_faucet_that_drops_the_request_may_have_sent_tokens(
    make_v1_client: ClientFactory,
    node: LocalNitronode,
    faucet_answering: Callable[[Handler], Awaitable[str]],
) -> None:
    """The connection broke after the request left: outcome unknown."""

    async def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    client = make_v1_client(node, faucet_url=await faucet_answering(drop))
    with pytest.raises(ClearNodeConnectionLostError) as lost:
        await client.request_test_tokens()
    assert lost.value.outcome_unknown


async def test_a_faucet_that_does_not_answer_may_have_sent_tokens(
    make_v1_client: ClientFactory,
    node: LocalNitronode,
    faucet_answering: Callable[[Handler], Awaitable[str]],
) -> None:
    """The request left and no answer came within the timeout: outcome unknown."""
    never = asyncio.Event()

    async def hold(_request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    url = await faucet_answering(hold)
    client = make_v1_client(node, faucet_url=url, request_timeout=0.3)
    try:
        with pytest.raises(ClearNodeNoAnswerError) as silent:
            await client.request_test_tokens()
        assert silent.value.outcome_unknown
    finally:
        never.set()


@pytest.mark.parametrize(
    ("endpoint", "local", "faucet"),
    [
        (
            "wss://nitronode-sandbox.yellow.org/v1/ws",
            False,
            "https://nitronode-sandbox.yellow.org/v1/faucet-app/requestTokens",
        ),
        ("wss://nitronode.yellow.org/v1/ws", False, None),
        ("ws://127.0.0.1:7824/v1/ws", False, None),
        (
            "ws://127.0.0.1:7824/v1/ws",
            True,
            "http://127.0.0.1:7824/v1/faucet-app/requestTokens",
        ),
        (
            "wss://node.example:8443/ws",
            True,
            "https://node.example:8443/v1/faucet-app/requestTokens",
        ),
        ("https://node.example/ws", True, None),
    ],
)
def test_a_faucet_is_known_for_the_sandbox_and_on_request_for_others(
    endpoint: str, local: bool, faucet: str | None
) -> None:
    """The sandbox has one; production has none; a local node's is beside its socket."""
    assert faucet_url_for(endpoint, local=local) == faucet
