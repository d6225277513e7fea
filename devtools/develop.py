"""Start the local Nitronode v1, the local ClearNode v0.5 and a real Home Assistant.

Run through `scripts/develop [--port 8123] [--nitronode-port 7824] [--clearnode-port 8000]
[--config DIR] [--no-demo-entry]`: Home Assistant gets one demo wallet on each node, with
a payment preset, added through the config flow. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
import contextlib
from pathlib import Path
import signal

from local_clearnode import LocalClearNode
from local_clearnode.constants import DEMO_BROKER_KEY
from local_nitronode import DEMO_NODE_KEY, LocalNitronode

from .demo import (
    CLEARNODE_FUNDS,
    CLEARNODE_WALLET,
    COUNTERPARTY,
    NITRONODE_WALLET,
    OWNER,
    OWNER_PASSWORD,
    DemoWallet,
)
from .homeassistant import REPOSITORY, HomeAssistantProcess, free_port


def parse_arguments() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPOSITORY / "config")
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (0: any free one)"
    )
    parser.add_argument(
        "--nitronode-port",
        type=int,
        default=7824,
        help="the local Nitronode v1's port (0: any free one)",
    )
    parser.add_argument(
        "--clearnode-port",
        type=int,
        default=8000,
        help="the local ClearNode v0.5's port (0: any free one)",
    )
    parser.add_argument(
        "--no-demo-entry",
        action="store_false",
        dest="demo_entry",
        help="leave the Nitrolite entries to be added through the UI",
    )
    return parser.parse_args()


async def add_demo_wallet(
    hass: HomeAssistantProcess, wallet: DemoWallet, endpoint: str
) -> None:
    """Add a demo wallet's entry and its preset, unless the wallet has an entry."""
    entries = await hass.config_entries("nitrolite")
    if any(entry["title"].lower() == wallet.address.lower() for entry in entries):
        return
    result = await hass.run_config_flow("nitrolite", wallet.flow_answers(endpoint))
    if result.get("type") != "create_entry":
        msg = f"the {wallet.name} wallet's config flow did not finish: {result}"
        raise RuntimeError(msg)
    entry_id = result["result"]["entry_id"]
    result = await hass.run_subentry_flow(entry_id, "preset", wallet.preset)
    if result.get("type") != "create_entry":
        msg = f"the {wallet.name} wallet's payment preset flow did not finish: {result}"
        raise RuntimeError(msg)


def stop_on_signals() -> None:
    """Let Ctrl-C and SIGTERM stop everything at any time, the first start included."""
    task = asyncio.current_task()
    assert task is not None

    def stop() -> None:
        print("Stopping ...", flush=True)
        task.cancel()

    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop)


async def develop(arguments: argparse.Namespace) -> None:
    """Run the servers until Ctrl-C."""
    stop_on_signals()
    config = arguments.config
    config.mkdir(parents=True, exist_ok=True)
    clearnode_state = config / "clearnode-state.json"
    async with (
        LocalNitronode(
            port=arguments.nitronode_port,
            node_key=DEMO_NODE_KEY,
            state_file=config / "nitronode-state.json",
        ) as nitronode,
        LocalClearNode(
            port=arguments.clearnode_port,
            fund=CLEARNODE_FUNDS if not clearnode_state.exists() else {},
            broker_key=DEMO_BROKER_KEY,
            state_file=clearnode_state,
        ) as clearnode,
    ):
        print(
            f"Local Nitronode v1: {nitronode.url} (node {nitronode.node_address}, "
            f"faucet {nitronode.faucet_url})\n"
            f"Local ClearNode v0.5: {clearnode.url} (broker {clearnode.broker_address})"
        )
        demos = ((NITRONODE_WALLET, nitronode.url), (CLEARNODE_WALLET, clearnode.url))
        hass = HomeAssistantProcess(config, arguments.port or free_port())
        await hass.prepare(OWNER, OWNER_PASSWORD)
        print("Starting Home Assistant (the first start takes a minute) ...")
        async with hass:
            await hass.login(OWNER, OWNER_PASSWORD)
            await hass.wait_until_running()
            if arguments.demo_entry:
                for wallet, endpoint in demos:
                    await add_demo_wallet(hass, wallet, endpoint)
            print(
                f"\nHome Assistant is ready: {hass.url}\n"
                f"  log in as {OWNER!r} with password {OWNER_PASSWORD!r}\n"
                + describe_wallets(demos, added=arguments.demo_entry)
                + f"  counterparty {COUNTERPARTY}\nPress Ctrl-C to stop everything.",
                flush=True,
            )
            await asyncio.Event().wait()


def describe_wallets(demos: Iterable[tuple[DemoWallet, str]], *, added: bool) -> str:
    """Name the demo wallets, or say how to add them."""
    if added:
        return "".join(
            f"  {wallet.name} demo wallet {wallet.address}\n" for wallet, _ in demos
        )
    return "".join(
        f"  add the {wallet.name} demo wallet: endpoint {endpoint}, key {wallet.key}\n"
        for wallet, endpoint in demos
    )


def main() -> None:
    """Entry point of scripts/develop."""
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(develop(parse_arguments()))
    print("Stopped.")


if __name__ == "__main__":
    main()
