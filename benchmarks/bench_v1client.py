"""Benchmark the Nitronode v1 client against the local Nitronode on loopback.

The node runs in its own process (python -m local_nitronode) with its real frame
budget (10 a second, burst 20), so the CPU figure is the client process's alone
(the kernel's loopback work included). Requests are paced below the client's own
budget (8 a second) between timed calls, so that round trips are not token waits;
the run reports how many frames still waited.
Usage: python -m benchmarks.bench_v1client [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
import secrets
import time

import aiohttp

from benchmarks.measure import child_node, report
from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    AppSession,
    NitronodeClient,
)
from custom_components.nitrolite.clearnode.v1 import PROTOCOL
from local_nitronode import (
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
)

ASSET = "yusd"
DEFAULT_POLL_INTERVAL = 5.0
# Frames of one call: an open with deposit reads the channel twice, creates and
# deposits; a payment is one frame. Pacing a call by frames / PACE keeps the client
# under its budget of 8 a second with room for the polls.
OPEN_FRAMES, PAY_FRAMES = 4, 1
PACE = 6.0


def local_nitronode() -> AbstractAsyncContextManager[str]:
    """Run the local Nitronode in a child process; yield its URL."""
    return child_node(
        "local_nitronode", "/v1/ws", f"{DEMO_WALLET_ADDRESS}:{ASSET}:1000000"
    )


async def paced(
    client: NitronodeClient,
    call: Callable[[], Awaitable[object]],
    count: int,
    frames: int,
) -> tuple[list[float], float, int]:
    """Time ``count`` calls, paced between them.

    Returns each round trip (ms), the client's CPU time per call (us) and how many
    frames waited for a token meanwhile.
    """
    samples: list[float] = []
    cpu = 0.0
    waits = client.stats["limiter_waits"]
    for _ in range(count):
        await asyncio.sleep(frames / PACE)
        cpu_start, start = time.process_time(), time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1e3)
        cpu += time.process_time() - cpu_start
    return samples, cpu / count * 1e6, client.stats["limiter_waits"] - waits


def definition(nonce: int) -> AppDefinition:
    """Return a session of our wallet (weight 100) and the counterparty."""
    return AppDefinition(
        "bench",
        PROTOCOL,
        (DEMO_WALLET_ADDRESS, DEMO_COUNTERPARTY_ADDRESS),
        (100, 0),
        100,
        0,
        nonce,
    )


async def bench_open(client: NitronodeClient, count: int) -> None:
    """Print open-with-deposit round trips (four frames each)."""
    nonce = time.time_ns() // 1000

    async def open_with_deposit() -> None:
        nonlocal nonce
        nonce += 1
        await client.create_app_session(
            definition(nonce),
            [Allocation(client.wallet_address, ASSET, Decimal(1))],
        )

    await open_with_deposit()  # acknowledges the home channel once
    samples, _, waits = await paced(client, open_with_deposit, count, OPEN_FRAMES)
    report("v1 open with deposit round trip", samples)
    print(f"  ({waits} frames waited for a token)")


async def bench_pay(client: NitronodeClient, count: int) -> None:
    """Print payment round trips and the client's CPU per payment."""
    await client.create_app_session(
        definition(time.time_ns()),
        [Allocation(client.wallet_address, ASSET, Decimal(1000))],
    )
    session: AppSession = await anext(client.iter_app_sessions(status="open"))

    async def pay() -> None:
        nonlocal session
        session = await client.pay(session, DEMO_COUNTERPARTY_ADDRESS, ASSET, "0.001")

    samples, cpu_us, waits = await paced(client, pay, count, PAY_FRAMES)
    report("v1 pay round trip", samples)
    print(f"  ({waits} frames waited for a token)")
    print(
        "v1 client process CPU per paced payment over loopback (user + system): "
        f"{cpu_us:.0f} us"
    )


async def bench_idle(http: aiohttp.ClientSession, url: str, cycles: int) -> None:
    """Print the frames an idle client sends per poll, and per second at 5 s.

    A wallet of its own, with no sessions: every 100 open sessions add a frame.
    """
    wallet_key = "0x" + secrets.token_hex(32)
    client = NitronodeClient(http, url, wallet_key, poll_interval=1)
    await client.connect()
    frames, polls = client.stats["frames_sent"], client.stats["polls"]
    while client.stats["polls"] < polls + cycles:
        await asyncio.sleep(0.1)
    per_poll = (client.stats["frames_sent"] - frames) / cycles
    await client.close()
    print(
        f"idle: {per_poll:g} frames per poll ({cycles} polls), "
        f"{per_poll / DEFAULT_POLL_INTERVAL:.2f} frames/s at the default "
        f"{DEFAULT_POLL_INTERVAL:g} s interval (target <= 0.5)"
    )


async def bench_network(count: int, cycles: int) -> None:
    """Run the loopback benchmarks against one local Nitronode."""
    async with local_nitronode() as url, aiohttp.ClientSession() as http:
        client = NitronodeClient(http, url, DEMO_WALLET_KEY)
        await client.connect()
        await bench_open(client, count)
        await bench_pay(client, count)
        await client.close()
        await bench_idle(http, url, cycles)


def main() -> None:
    """Run every benchmark; --smoke makes it a few seconds long."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run for CI")
    smoke = parser.parse_args().smoke
    asyncio.run(bench_network(5 if smoke else 200, 2 if smoke else 12))


if __name__ == "__main__":
    main()
