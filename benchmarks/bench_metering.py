"""A metered preset paying as its meter grows, inside a real Home Assistant.

A meter updates 10 times a second (a minute; --smoke: 3 seconds) by random amounts; the
preset pays 0.05 usdc per kWh every 0.01 kWh to the local ClearNode (its own thread).
Printed: payments made, event-loop lag, and whether the sum paid is exactly the price of
the metered advance rounded down to whole steps (nothing lost, nothing paid twice).
Usage: python -m benchmarks.bench_metering [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal
import random
import time
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

from benchmarks.bench_homeassistant import (
    FUNDS,
    ServerThread,
    Table,
    clearnode,
    home_assistant,
    loop_lag,
    new_entry,
    set_up,
)
from benchmarks.measure import percentile
from custom_components.nitrolite.clearnode import format_amount
from custom_components.nitrolite.const import DOMAIN
from local_clearnode import DEMO_COUNTERPARTY_ADDRESS as COUNTERPARTY, LocalClearNode

METER = "sensor.charger_energy"
PLUGGED = "binary_sensor.charger_plugged_in"
UPDATES_PER_SECOND = 10
PRICE = Decimal("0.05")  # usdc per kWh
STEP = Decimal("0.01")  # kWh per payment step
KWH = {"unit_of_measurement": "kWh", "state_class": "total_increasing"}


def metered_entry(node: LocalClearNode) -> MockConfigEntry:
    """Return the demo wallet's entry with one metered preset."""
    entry = new_entry(node)
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=entry.data,
        subentries_data=[
            {
                "subentry_type": "preset",
                "title": "EV charger",
                "unique_id": "ev_charger",
                "data": {
                    "name": "EV charger",
                    "counterparty": COUNTERPARTY,
                    "asset": "usdc",
                    "deposit": "1000",
                    "unit_price": str(PRICE),
                    "protocol": "NitroRPC/0.4",
                    "own_weight": 100,
                    "counterparty_weight": 0,
                    "quorum": 100,
                    "challenge": 0,
                    "application": "home-assistant",
                    "meter": {
                        "meter_entity": METER,
                        "meter_units": "1",
                        "pay_every": str(STEP),
                        "session_follows": PLUGGED,
                        "when_deposit_runs_out": "stop",
                        "max_session_deposit": None,
                    },
                },
            }
        ],
    )


async def wait_until(
    hass: HomeAssistant, condition: Callable[[], bool], seconds: float
) -> bool:
    """Poll ``condition()`` while the loop runs; return whether it held in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await hass.async_block_till_done()
        if condition():
            return True
        await asyncio.sleep(0.05)
    return False


async def meter_updates(hass: HomeAssistant, seconds: float) -> None:
    """Raise the meter from 100 kWh by random amounts 10 times a second."""
    rng = random.Random(7)  # noqa: S311 - a repeatable load, not a secret
    reading = Decimal(100)
    start = time.perf_counter()
    for update in range(int(seconds * UPDATES_PER_SECOND)):
        reading += Decimal(rng.randint(0, 40)) * Decimal("0.001")
        hass.states.async_set(METER, str(reading), KWH)
        due = start + (update + 1) / UPDATES_PER_SECOND
        await asyncio.sleep(max(0.0, due - time.perf_counter()))


async def bench_metering(table: Table, seconds: float) -> bool:
    """Meter for ``seconds``; return whether the sum paid is the metered advance's."""
    server = ServerThread()
    async with clearnode(server, fund=FUNDS) as node, home_assistant() as hass:
        hass.states.async_set(METER, "100", KWH)
        hass.states.async_set(PLUGGED, "off")
        entry = metered_entry(node)
        await set_up(hass, entry)
        payments: list[Mapping[str, Any]] = []
        hass.bus.async_listen(
            f"{DOMAIN}_metered_payment", lambda event: payments.append(event.data)
        )
        hass.states.async_set(PLUGGED, "on")
        opened = await wait_until(
            hass,
            lambda: (
                (meter := hass.states.get("sensor.ev_charger_metered_units_paid"))
                is not None
                and meter.attributes.get("meter_reading") == "100"
            ),
            30,
        )
        metering = asyncio.ensure_future(meter_updates(hass, seconds))
        lags = await loop_lag(hass, metering)
        final = hass.states.get(METER)
        assert final is not None  # noqa: S101
        advance = Decimal(final.state) - 100
        expected = PRICE * (advance // STEP) * STEP
        session_id = next(iter(node.app_sessions), "")
        settled = await wait_until(
            hass,
            lambda: node.allocation(session_id, COUNTERPARTY, "usdc") == expected,
            30,
        )
        received = node.allocation(session_id, COUNTERPARTY, "usdc")
        announced = sum((Decimal(p["amount"]) for p in payments), Decimal(0))
    exact = opened and settled and received == announced == expected
    table.add(
        f"metered preset, meter at {UPDATES_PER_SECOND}/s for {seconds:g} s: "
        "meter updates / payments",
        f"{int(seconds * UPDATES_PER_SECOND)} / {len(payments)}",
    )
    table.add(
        "sum paid == price × advance rounded down to the step (node, events)",
        f"{format_amount(received)} / {format_amount(announced)} usdc, "
        f"expected {format_amount(expected)}",
        "exact",
        met=exact,
    )
    table.add(
        "event-loop lag while metering, p99 / max",
        f"{percentile(lags, 0.99):.1f} / {max(lags):.1f} ms",
        "p99 < 20 ms",
        met=percentile(lags, 0.99) < 20,
    )
    return exact


async def run(smoke: bool) -> None:  # noqa: FBT001
    """Run the figure and print the table; fail if a payment was lost or doubled."""
    table = Table()
    exact = await bench_metering(table, 3.0 if smoke else 60.0)
    table.print()
    if not exact:
        raise SystemExit("metering paid a different sum than the meter shows")


def main() -> None:
    """Parse --smoke and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run for CI")
    asyncio.run(run(parser.parse_args().smoke))


if __name__ == "__main__":
    main()
