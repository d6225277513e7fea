"""The integration inside a real Home Assistant, against the local ClearNode on loopback.

The ClearNode runs in its own thread and event loop (pushes are injected there), so
Home Assistant's loop carries only the integration's work; both share one GIL.
Usage: python -m benchmarks.bench_homeassistant [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Awaitable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
import json
from pathlib import Path
import statistics
import tempfile
import threading
import time
import tracemalloc
from typing import Any

from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    frame as report_frame,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
)

from benchmarks.measure import percentile, timed
import custom_components.nitrolite  # noqa: F401 - found before the harness's own
from custom_components.nitrolite.clearnode import Signer
from custom_components.nitrolite.clearnode.v05 import (
    app_session_id,
    encode_response,
    frame_response,
    keccak256,
)
from custom_components.nitrolite.const import DOMAIN
from local_clearnode import (
    DEMO_BROKER_KEY,
    DEMO_COUNTERPARTY_ADDRESS as COUNTERPARTY,
    DEMO_WALLET_ADDRESS as WALLET,
    DEMO_WALLET_KEY,
    LocalClearNode,
)

FUNDS = {WALLET: {"usdc": Decimal(10**9)}}
PUSH_RATE = 1000  # per second
DAY = 86400.0


@dataclass
class Row:
    """One line of the table."""

    figure: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Table:
    """What the run prints."""

    rows: list[Row] = field(default_factory=list)

    def add(
        self, figure: str, value: str, target: str = "", *, met: bool | None = None
    ) -> None:
        """Add a row; ``met`` None means no target."""
        self.rows.append(Row(figure, value, target, met))

    def print(self) -> None:
        """Print a Markdown table with PASS/MISS beside targets."""
        print("| figure | value | target | |")
        print("|---|---|---|---|")
        for row in self.rows:
            verdict = "" if row.met is None else ("PASS" if row.met else "MISS")
            print(f"| {row.figure} | {row.value} | {row.target} | {verdict} |")


class ServerThread:
    """A LocalClearNode on its own event loop in a daemon thread."""

    def __init__(self) -> None:
        """Start the loop."""
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run[T](self, coroutine: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run a coroutine on the server's loop; await the result from another loop."""
        return asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        )


@asynccontextmanager
async def clearnode(
    server: ServerThread, **kwargs: Any
) -> AsyncIterator[LocalClearNode]:
    """Run a LocalClearNode in the server thread."""

    async def start() -> LocalClearNode:
        node = LocalClearNode(broker_key=DEMO_BROKER_KEY, **kwargs)
        await node.start()
        return node

    node = await server.run(start())
    try:
        yield node
    finally:
        await server.run(node.stop())


@asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """Run a Home Assistant that loads this repository's custom components."""
    async with async_test_home_assistant() as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
        report_frame.async_setup(hass)
        await async_setup_component(hass, "network", {})
        yield hass
        await hass.async_stop(force=True)


def new_entry(node: LocalClearNode) -> MockConfigEntry:
    """Return an entry for the demo wallet with a generous spending cap."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{node.broker_address}".lower(),
        data={
            "endpoint": node.url,
            "private_key": DEMO_WALLET_KEY,
            "application": "home-assistant",
            "allowances": {"usdc": "1000000000"},
            "session_key_lifetime": 24,
        },
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Set the entry up; return the seconds it took."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    start = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)  # noqa: S101
    await hass.async_block_till_done()
    return time.perf_counter() - start


async def service(hass: HomeAssistant, name: str, **data: Any) -> Any:
    """Call an action with response, as automations do."""
    return await hass.services.async_call(
        DOMAIN, name, data, blocking=True, return_response=True
    )


async def bench_setup_and_services(table: Table, count: int, setups: int) -> None:
    """Items 3 and 6: set-up time and action round trips."""
    server = ServerThread()
    async with clearnode(server, fund=FUNDS) as node, home_assistant() as hass:
        entry = new_entry(node)
        times = []
        for _ in range(setups):
            times.append(await set_up(hass, entry))
            await hass.config_entries.async_unload(entry.entry_id)
        median = statistics.median(times[1:] or times)
        table.add(
            "config entry set-up (connect+login+first state), median",
            f"{median * 1e3:.0f} ms (first {times[0] * 1e3:.0f} ms)",
            "< 2 s",
            met=max(times) < 2,
        )
        await set_up(hass, entry)
        opened = await timed(
            lambda: service(
                hass,
                "create_app_session",
                counterparty=COUNTERPARTY,
                asset="usdc",
                amount="1",
            ),
            count,
        )
        session = await service(
            hass,
            "create_app_session",
            counterparty=COUNTERPARTY,
            asset="usdc",
            amount=str(count),
        )
        paid = await timed(
            lambda: service(
                hass,
                "pay_in_session",
                app_session_id=session["app_session_id"],
                amount="0.001",
            ),
            count,
        )
        for name, samples in (("create_app_session", opened), ("pay_in_session", paid)):
            table.add(
                f"{name} via service call, p50 / p99 (n={count})",
                f"{percentile(samples, 0.5):.1f} / {percentile(samples, 0.99):.1f} ms",
            )


def balance_frames(count: int) -> list[str]:
    """Broker-signed bu pushes with changing balances."""
    broker = Signer.from_key(DEMO_BROKER_KEY)
    frames = []
    for n in range(count):
        res = encode_response(
            0, "bu", {"balance_updates": [{"asset": "usdc", "amount": str(n)}]}, 1
        )
        frames.append(
            frame_response(res, [broker.sign_digest(keccak256(res.encode()))])
        )
    return frames


async def push_at_rate(node: LocalClearNode, frames: list[str]) -> None:
    """Send frames at PUSH_RATE per second, in 10 ms slices (server loop)."""
    per_slice = PUSH_RATE // 100
    start = time.perf_counter()
    for index in range(0, len(frames), per_slice):
        for frame in frames[index : index + per_slice]:
            await node.faults.send_raw(frame)
        due = start + (index + per_slice) / PUSH_RATE
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def loop_lag(hass: HomeAssistant, until: asyncio.Future[None]) -> list[float]:
    """Lateness of a 5 ms ticker on Home Assistant's loop, in milliseconds."""
    lags = []
    while not until.done():
        start = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append((time.perf_counter() - start - 0.005) * 1e3)
    return lags


async def bench_push_pressure(table: Table, seconds: float) -> None:
    """Item 5: event-loop lag while 1,000 pushes per second arrive."""
    server = ServerThread()
    frames = balance_frames(int(PUSH_RATE * seconds))
    async with clearnode(server, fund=FUNDS) as node, home_assistant() as hass:
        await set_up(hass, new_entry(node))
        pushing = server.run(push_at_rate(node, frames))
        lags = await loop_lag(hass, asyncio.ensure_future(pushing))
        state = hass.states.get("sensor.wallet_0x2c75_5c23_usdc_balance")
    p99, worst = percentile(lags, 0.99), max(lags)
    table.add(
        f"event-loop lag at {PUSH_RATE} pushes/s for {seconds:g} s, p99 / max",
        f"{p99:.1f} / {worst:.1f} ms (final balance {state.state if state else '?'})",
        "p99 < 20 ms",
        met=p99 < 20,
    )


def seeded_state(path: Path, total: int, open_count: int, recent: int) -> None:
    """Write a ClearNode state file with ``total`` sessions of our wallet."""
    now = time.time()
    sessions, balances = [], [[WALLET, WALLET, "usdc", "1000"]]
    for nonce in range(1, total + 1):
        definition = {
            "application": "home-assistant",
            "protocol": "NitroRPC/0.4",
            "participants": [WALLET, COUNTERPARTY],
            "weights": [100, 0],
            "quorum": 100,
            "challenge": 86400,
            "nonce": nonce,
        }
        session_id = app_session_id(definition)
        is_open = nonce <= open_count
        age = 60.0 if is_open or nonce <= open_count + recent else 7 * DAY
        sessions.append(
            {
                "session_id": session_id,
                **definition,
                "status": "open" if is_open else "closed",
                "version": 3,
                "session_data": "",
                "created_at": now - age - 60,
                "updated_at": now - age,
            }
        )
        if is_open:
            balances.append([session_id, WALLET, "usdc", "1"])
    document = {
        "version": 1,
        "balances": balances,
        "spent": {},
        "session_keys": [],
        "app_sessions": sessions,
        "user_tags": {},
        "next_transaction_id": 1,
        "broker_key": DEMO_BROKER_KEY,
    }
    path.write_text(json.dumps(document), encoding="utf-8")


async def bench_history(table: Table, total: int) -> None:
    """Item 7: start-up with a long history of app sessions, 10 of them open."""
    server = ServerThread()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "state.json"
        seeded_state(path, total, open_count=10, recent=5)
        async with clearnode(server, state_file=path) as node, home_assistant() as hass:
            entry = new_entry(node)
            seconds = await set_up(hass, entry)
            await hass.config_entries.async_unload(entry.entry_id)
            tracemalloc.start()
            await set_up(hass, entry)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            devices = len(
                dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
            )
            entities = len(
                er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
            )
    table.add(
        f"start-up with {total} sessions (10 open, 5 closed < 24 h)",
        f"{seconds * 1e3:.0f} ms, peak {peak / 2**20:.1f} MiB (tracemalloc)",
    )
    table.add(
        "devices / entities created",
        f"{devices} / {entities}",
        "1 wallet + 15 session devices",
        met=devices == 16,
    )


async def run(smoke: bool) -> None:  # noqa: FBT001
    """Run every figure and print the table."""
    table = Table()
    await bench_setup_and_services(table, 20 if smoke else 300, 2 if smoke else 7)
    await bench_push_pressure(table, 1.0 if smoke else 10.0)
    await bench_history(table, 1000)
    table.print()


def main() -> None:
    """Parse --smoke and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run for CI")
    asyncio.run(run(parser.parse_args().smoke))


if __name__ == "__main__":
    main()
