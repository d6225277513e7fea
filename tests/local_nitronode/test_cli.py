"""``python -m local_nitronode`` (what ``scripts/nitronode`` runs) in a real process."""

import asyncio
from pathlib import Path
import re
import signal
import sys

import aiohttp
import pytest

from local_nitronode import DEMO_NODE_KEY, DEMO_WALLET_ADDRESS
from local_nitronode.__main__ import main

from .peer import Peer

ROOT = Path(__file__).parents[2]
READY = re.compile(r"Nitronode ready: (\S+) node (0x[0-9a-f]{40}) faucet (\S+)")


async def test_the_command_serves_until_terminated(tmp_path: Path) -> None:
    """It prints its endpoint and node address when ready and exits on SIGTERM.

    Wallets given with ``--fund`` are funded; the state file keeps the node key.
    """
    state = tmp_path / "state.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "local_nitronode",
        "--port",
        "0",
        "--fund",
        f"{DEMO_WALLET_ADDRESS}:yusd:7.5",
        "--state",
        str(state),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        ready = READY.match(line)
        assert ready is not None, line
        url, node_address, _faucet = ready.groups()
        async with aiohttp.ClientSession() as http:
            peer = Peer(await http.ws_connect(url))
            config = await peer.call("node.v1.get_config")
            balances = await peer.call(
                "user.v1.get_balances", {"wallet": DEMO_WALLET_ADDRESS}
            )
            await peer.ws.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    assert config["node_address"] == node_address
    assert balances["balances"][0]["amount"] == "7.5"
    assert DEMO_NODE_KEY in state.read_text()


def test_a_malformed_fund_entry_is_refused() -> None:
    """``--fund`` needs ADDRESS:ASSET:AMOUNT; anything else stops before serving."""
    with pytest.raises(SystemExit, match="--fund expects ADDRESS:ASSET:AMOUNT"):
        main(["--fund", "0x12:yusd:lots"])
