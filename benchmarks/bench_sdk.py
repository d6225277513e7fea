"""Throughput on one connection, 50 concurrent signed requests: ours vs the real SDK.

Both clients run side by side against the same local ClearNode (its own process),
alternating, so the ratio is measured under the same machine noise. The SDK is
@erc7824/nitrolite 0.5.3 in tests/sdk/node_modules (run `npm install` there).
Usage: python -m benchmarks.bench_sdk [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import shutil
import statistics

import aiohttp

from benchmarks.bench_client import local_clearnode, requests_per_second
from benchmarks.measure import ROOT
from custom_components.nitrolite.clearnode import ClearNodeClient
from local_clearnode import DEMO_WALLET_KEY

SCRIPT = Path(__file__).with_name("sdk_throughput.mjs")
SDK = ROOT / "tests" / "sdk" / "node_modules" / "@erc7824" / "nitrolite"


async def ours(url: str, total: int) -> float:
    """Return our client's requests per second."""
    async with aiohttp.ClientSession() as http:
        client = ClearNodeClient(
            http, url, DEMO_WALLET_KEY, application="bench", allowances={}
        )
        await client.connect()
        rate = await requests_per_second(client, total)
        await client.close()
    return rate


async def theirs(url: str, total: int) -> float:
    """Return the SDK's requests per second (node process)."""
    process = await asyncio.create_subprocess_exec(
        "node",
        str(SCRIPT),
        url,
        DEMO_WALLET_KEY,
        str(total),
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await process.communicate()
    if process.returncode:
        msg = "the SDK script failed"
        raise RuntimeError(msg)
    result = json.loads(output)
    return float(result["requests"] / result["seconds"])


async def compare(runs: int, total: int) -> None:
    """Print the median throughput of each and the median of per-run ratios."""
    ours_rps, theirs_rps = [], []
    async with local_clearnode() as url:
        await ours(url, total // 4)  # warm-up: imports, first connections
        for _ in range(runs):
            ours_rps.append(await ours(url, total))
            theirs_rps.append(await theirs(url, total))
    ratios = [a / b for a, b in zip(ours_rps, theirs_rps, strict=True)]
    print(f"| measure ({runs} runs x {total} requests) | median |")
    print("|---|---|")
    print(f"| ours, requests/s | {statistics.median(ours_rps):.0f} |")
    print(f"| SDK 0.5.3 (node), requests/s | {statistics.median(theirs_rps):.0f} |")
    print(f"| ratio ours/SDK | {statistics.median(ratios):.2f} |")


def main() -> None:
    """Run the comparison; --smoke makes it a few seconds long."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run for CI")
    smoke = parser.parse_args().smoke
    if shutil.which("node") is None or not SDK.is_dir():
        print("skipped: needs node and `npm install` in tests/sdk")
        return
    asyncio.run(compare(1 if smoke else 5, 200 if smoke else 3000))


if __name__ == "__main__":
    main()
