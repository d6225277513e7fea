"""--state keeps balances, sessions and session keys across restarts (API and command line)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
import signal
import socket

import aiohttp
import pytest

from custom_components.nitrolite.clearnode import signing
from local_clearnode import LocalClearNode

from .peer import Peer, now_ms

REPO = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def peer_of(url: str, broker: str) -> AsyncIterator[Peer]:
    """Connect a raw peer (the assets push is consumed)."""
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        peer = Peer(ws, broker)
        await peer.receive()
        yield peer


async def test_a_restarted_node_keeps_its_ledger_sessions_and_keys(
    tmp_path: Path,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """A restarted node keeps its ledger sessions and keys."""
    state = tmp_path / "clearnode.json"
    funding = {wallet.address: {"usdc": Decimal(100)}}
    async with (
        LocalClearNode(fund=funding, state_file=state) as first,
        peer_of(first.url, first.broker_address) as peer,
    ):
        jwt = (await peer.login(wallet, session_key)).result["jwt_token"]
        spec = {
            "application": "home-assistant",
            "protocol": "NitroRPC/0.4",
            "participants": [wallet.address, counterparty.address],
            "weights": [100, 0],
            "quorum": 100,
            "challenge": 0,
            "nonce": now_ms(),
        }
        allocations = [{"participant": wallet.address, "asset": "usdc", "amount": "30"}]
        created = await peer.request(
            "create_app_session",
            {"definition": spec, "allocations": allocations},
            [session_key],
        )
        broker = first.broker_address

    async with (
        LocalClearNode(fund=funding, state_file=state) as second,
        peer_of(second.url, broker) as peer,
    ):
        login = await peer.request("auth_verify", {"jwt": jwt})
        balances = await peer.request("get_ledger_balances", {}, [session_key])
        keys = await peer.request("get_session_keys", {}, [session_key])

        assert second.broker_address == broker
        assert login.result["success"] is True
        assert balances.result == {
            "ledger_balances": [{"asset": "usdc", "amount": "70"}]
        }
        assert second.app_sessions[created.result["app_session_id"]].status == "open"
        assert keys.result["session_keys"][0]["allowances"][0]["used"] == "30"


def free_port() -> int:
    """Return a loopback port that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def command_line_node(*arguments: str) -> AsyncIterator[tuple[str, str]]:
    """Run scripts/clearnode; yield its URL and broker; stop it with SIGTERM."""
    process = await asyncio.create_subprocess_exec(
        str(REPO / "scripts" / "clearnode"),
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None
    try:
        ready = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert ready.startswith("ClearNode ready: ws://127.0.0.1:"), ready
        _, _, url, _, broker = ready.split()
        yield url, broker
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_the_command_line_server_persists_to_its_state_file(
    tmp_path: Path,
    wallet: signing.Signer,
    counterparty: signing.Signer,
    session_key: signing.Signer,
) -> None:
    """The command line server persists to its state file."""
    port = str(free_port())
    arguments = (
        "--port",
        port,
        "--fund",
        f"{wallet.address}:usdc:100",
        "--state",
        str(tmp_path / "state.json"),
    )
    async with (
        command_line_node(*arguments) as (url, broker),
        peer_of(url, broker) as peer,
    ):
        await peer.login(wallet, session_key)
        moved = await peer.request(
            "transfer",
            {
                "destination": counterparty.address,
                "allocations": [{"asset": "usdc", "amount": "1.25"}],
            },
            [session_key],
        )
    async with (
        command_line_node(*arguments) as (url, second_broker),
        peer_of(url, broker) as peer,
    ):
        await peer.login(wallet, session_key)
        balances = await peer.request("get_ledger_balances", {}, [session_key])

    assert url == f"ws://127.0.0.1:{port}/ws"
    assert moved.method == "transfer"
    assert second_broker == broker
    assert balances.result == {
        "ledger_balances": [{"asset": "usdc", "amount": "98.75"}]
    }
    assert balances.broker_signed


async def test_another_format_version_is_not_read(tmp_path: Path) -> None:
    """A state file of another format version is refused rather than half-read."""
    path = tmp_path / "clearnode.json"
    path.write_text('{"version": 2, "balances": []}')
    with pytest.raises(ValueError, match="unsupported state format 2"):
        LocalClearNode(state_file=path)
