"""Start the local ClearNode and a real Home Assistant configured against it.

Run through `scripts/develop [--port 8123] [--clearnode-port 8000] [--config DIR]
[--no-demo-entry]`. Ctrl-C stops both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from decimal import Decimal
from pathlib import Path
import signal
from typing import Any

from local_clearnode import LocalClearNode
from local_clearnode.constants import (
    DEMO_BROKER_KEY,
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
)

from .homeassistant import REPOSITORY, HomeAssistantProcess, free_port

OWNER = "demo"
OWNER_PASSWORD = "nitrolite-demo"  # noqa: S105 - a documented local demo login
DEMO_FUNDS = {
    DEMO_WALLET_ADDRESS: {"usdc": Decimal(1000), "ytest.usd": Decimal(500)},
    DEMO_COUNTERPARTY_ADDRESS: {"usdc": Decimal(100)},
}
DEMO_SETTINGS = {"application": "home-assistant", "session_key_lifetime": 24}
DEMO_CAPS = {"usdc": 200, "ytest.usd": 100}


def demo_entry_forms(endpoint: str) -> tuple[dict[str, Any], ...]:
    """Return the config flow's forms as the demo wallet's owner fills them in.

    A custom endpoint (the local ClearNode), the demo wallet's key, the ClearNode's
    settings, then the spending caps.
    """
    return (
        {"network": "custom"},
        {"endpoint": endpoint},
        {"next_step_id": "wallet_key"},
        {"private_key": DEMO_WALLET_KEY},
        DEMO_SETTINGS,
        DEMO_CAPS,
    )


DEMO_PRESET = {
    "name": "Demo charger",
    "counterparty": DEMO_COUNTERPARTY_ADDRESS,
    "asset": "usdc",
    "deposit": 20,
    "unit_price": 0.3,
    "advanced": {
        "protocol": "NitroRPC/0.4",
        "own_weight": 100,
        "counterparty_weight": 0,
        "quorum": 100,
        "challenge": 0,
        "application": "home-assistant",
    },
}


def parse_arguments() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, default=REPOSITORY / "config")
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (0: any free one)"
    )
    parser.add_argument(
        "--clearnode-port",
        type=int,
        default=8000,
        help="the local ClearNode's port (0: any free one)",
    )
    parser.add_argument(
        "--no-demo-entry",
        action="store_false",
        dest="demo_entry",
        help="leave the Nitrolite entry to be added through the UI",
    )
    return parser.parse_args()


async def configure_nitrolite(hass: HomeAssistantProcess, endpoint: str) -> None:
    """Add the Nitrolite entry for the demo wallet unless it exists already."""
    if await hass.config_entries("nitrolite"):
        return
    result = await hass.run_config_flow("nitrolite", *demo_entry_forms(endpoint))
    if result.get("type") != "create_entry":
        msg = f"the Nitrolite config flow did not finish: {result}"
        raise RuntimeError(msg)
    entry_id = result["result"]["entry_id"]
    result = await hass.run_subentry_flow(entry_id, "preset", DEMO_PRESET)
    if result.get("type") != "create_entry":
        msg = f"the payment preset flow did not finish: {result}"
        raise RuntimeError(msg)


def stop_on_signals() -> None:
    """Let Ctrl-C and SIGTERM stop both servers at any time, the first start included."""
    task = asyncio.current_task()
    assert task is not None

    def stop() -> None:
        print("Stopping ...", flush=True)
        task.cancel()

    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop)


async def develop(arguments: argparse.Namespace) -> None:
    """Run both servers until Ctrl-C."""
    stop_on_signals()
    state_file = arguments.config / "clearnode-state.json"
    arguments.config.mkdir(parents=True, exist_ok=True)
    async with LocalClearNode(
        port=arguments.clearnode_port,
        fund=DEMO_FUNDS if not state_file.exists() else {},
        broker_key=DEMO_BROKER_KEY,
        state_file=state_file,
    ) as node:
        print(f"Local ClearNode: {node.url} (broker {node.broker_address})")
        hass = HomeAssistantProcess(arguments.config, arguments.port or free_port())
        await hass.prepare(OWNER, OWNER_PASSWORD)
        print("Starting Home Assistant (the first start takes a minute) ...")
        async with hass:
            await hass.login(OWNER, OWNER_PASSWORD)
            await hass.wait_until_running()
            if arguments.demo_entry:
                await configure_nitrolite(hass, node.url)
                wallet = f"demo wallet {DEMO_WALLET_ADDRESS}"
            else:
                wallet = (
                    f"add the demo wallet: endpoint {node.url}, key {DEMO_WALLET_KEY}"
                )
            print(
                f"\nHome Assistant is ready: {hass.url}\n"
                f"  log in as {OWNER!r} with password {OWNER_PASSWORD!r}\n"
                f"  {wallet}\n  counterparty {DEMO_COUNTERPARTY_ADDRESS}\n"
                "Press Ctrl-C to stop both.",
                flush=True,
            )
            await asyncio.Event().wait()


def main() -> None:
    """Entry point of scripts/develop."""
    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(develop(parse_arguments()))
    print("Stopped.")


if __name__ == "__main__":
    main()
