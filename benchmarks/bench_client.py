"""Benchmark the ClearNode client library against the local ClearNode on loopback.

The server runs in its own process (python -m local_clearnode), so the numbers are
the client's. Usage: python benchmarks/bench_client.py [--smoke]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
import secrets
import statistics
import sys
import time
from typing import TYPE_CHECKING

import aiohttp
from eth_account import Account
from eth_account.messages import encode_typed_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import child_node, report, time_calls, timed  # noqa: E402
from custom_components.nitrolite.clearnode import (  # noqa: E402
    Allocation,
    AppDefinition,
    ClearNodeClient,
    Signer,
)
from custom_components.nitrolite.clearnode.v05 import (  # noqa: E402
    SignatureVerifier,
    decode_frame,
    eip712_auth_digest,
    encode_request,
    encode_response,
    frame_request,
    frame_response,
    keccak256,
)
from local_clearnode import (  # noqa: E402
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
)

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager


def bench_signing(count: int) -> None:
    """Print sign, verify and EIP-712 costs: ours against eth-account."""
    key = "0x" + secrets.token_hex(32)
    digest = keccak256(b"benchmark")
    ours = Signer.from_key(key)
    theirs = Account.from_key(key)
    ours_us = statistics.median(time_calls(lambda: ours.sign_digest(digest), count))
    theirs_us = statistics.median(
        time_calls(lambda: theirs.unsafe_sign_hash(digest), max(count // 10, 5))
    )
    print(
        f"sign p50: ours {ours_us:.0f} us, eth-account {theirs_us:.0f} us, "
        f"ratio {theirs_us / ours_us:.1f}x"
    )
    res = encode_response(7, "get_assets", {"assets": []}, 1)
    verifier = SignatureVerifier(ours.address)
    signature = [ours.sign_message(res)]
    verify_us = statistics.median(
        time_calls(lambda: verifier.verify(res, signature), count)
    )
    print(f"broker signature verification p50: {verify_us:.0f} us")
    bench_eip712(count)


def bench_eip712(count: int) -> None:
    """Print the cost of the login digest: direct encoder against eth-account."""
    wallet, session = DEMO_WALLET_ADDRESS, DEMO_COUNTERPARTY_ADDRESS
    challenge = "550e8400-e29b-41d4-a716-446655440000"
    message = {
        "challenge": challenge,
        "scope": "app.create",
        "wallet": wallet,
        "session_key": session,
        "expires_at": 1700086400,
        "allowances": [{"asset": "usdc", "amount": "1000"}],
    }
    typed = {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}],
            "Policy": [
                {"name": "challenge", "type": "string"},
                {"name": "scope", "type": "string"},
                {"name": "wallet", "type": "address"},
                {"name": "session_key", "type": "address"},
                {"name": "expires_at", "type": "uint64"},
                {"name": "allowances", "type": "Allowance[]"},
            ],
            "Allowance": [
                {"name": "asset", "type": "string"},
                {"name": "amount", "type": "string"},
            ],
        },
        "primaryType": "Policy",
        "domain": {"name": "home-assistant"},
        "message": message,
    }
    ours_us = statistics.median(
        time_calls(
            lambda: eip712_auth_digest(
                "home-assistant",
                challenge,
                "app.create",
                wallet,
                session,
                1700086400,
                [("usdc", "1000")],
            ),
            count,
        )
    )
    theirs_us = statistics.median(
        time_calls(lambda: encode_typed_data(full_message=typed), count)
    )
    print(
        f"EIP-712 login digest p50: ours {ours_us:.0f} us, "
        f"eth-account encode_typed_data {theirs_us:.0f} us"
    )


def bench_codec(count: int) -> None:
    """Print the client's CPU cost per signed request, without the network."""
    key = Signer.generate()
    broker = Signer.generate()
    verifier = SignatureVerifier(broker.address)
    params = {"allocations": [{"asset": "usdc", "amount": "1"}]}
    res = encode_response(1, "transfer", {"transactions": []}, 1)
    answer = frame_response(res, [broker.sign_message(res)])

    def one_request() -> None:
        req = encode_request(1, "transfer", params, 1)
        frame_request(req, [key.sign_message(req)])
        frame = decode_frame(answer)
        verifier.verify(frame.signed_text, frame.signatures)

    cost = statistics.median(time_calls(one_request, count))
    print(
        f"client CPU per signed request (encode+sign+decode+verify) p50: {cost:.0f} us"
    )


def local_clearnode() -> AbstractAsyncContextManager[str]:
    """Run the local ClearNode in a child process; yield its URL."""
    return child_node(
        "local_clearnode", "/ws", f"{DEMO_WALLET_ADDRESS}:usdc:1000000000"
    )


async def raw_ping(http: aiohttp.ClientSession, url: str, count: int) -> list[float]:
    """Round-trip pre-built ping frames on a bare WebSocket (no client library)."""
    async with http.ws_connect(url) as websocket:
        await websocket.receive()  # the assets push
        frame = frame_request(encode_request(1, "ping", {}, 1), [])

        async def ping() -> None:
            await websocket.send_str(frame)
            await websocket.receive()

        return await timed(ping, count)


async def bench_network(count: int, concurrent_total: int) -> None:
    """Print round trips and throughput against the local ClearNode."""
    async with local_clearnode() as url, aiohttp.ClientSession() as http:
        client = ClearNodeClient(
            http,
            url,
            DEMO_WALLET_KEY,
            application="bench",
            allowances={"usdc": Decimal(10**9)},
            max_in_flight=64,
        )
        await client.connect()
        raw = await raw_ping(http, url, count)
        ours = await timed(client.ping, count)
        overhead = statistics.median(ours) - statistics.median(raw)
        print(
            f"ping round trip p50: client {statistics.median(ours):.3f} ms, "
            f"bare WebSocket {statistics.median(raw):.3f} ms, "
            f"client overhead {overhead * 1e3:.0f} us per request"
        )
        await bench_app_sessions(client, count)
        await bench_throughput(client, concurrent_total)
        await client.close()


async def bench_app_sessions(client: ClearNodeClient, count: int) -> None:
    """Print create_app_session and submit_app_state round trips."""
    nonce = time.time_ns() // 1000
    sessions = []

    async def create() -> None:
        nonlocal nonce
        nonce += 1
        definition = AppDefinition(
            "bench",
            "NitroRPC/0.4",
            (DEMO_WALLET_ADDRESS, DEMO_COUNTERPARTY_ADDRESS),
            (100, 0),
            100,
            0,
            nonce,
        )
        allocations = [
            Allocation(DEMO_WALLET_ADDRESS, "usdc", Decimal(1)),
            Allocation(DEMO_COUNTERPARTY_ADDRESS, "usdc", Decimal(0)),
        ]
        sessions.append(await client.create_app_session(definition, allocations))

    report("create_app_session round trip", await timed(create, count))
    session = await anext(
        client.iter_app_sessions(participant=DEMO_WALLET_ADDRESS, status="open")
    )
    share = Decimal(0)

    async def submit() -> None:
        nonlocal session, share
        share = Decimal(1) - share
        allocations = [
            Allocation(DEMO_WALLET_ADDRESS, "usdc", Decimal(1) - share),
            Allocation(DEMO_COUNTERPARTY_ADDRESS, "usdc", share),
        ]
        result = await client.submit_app_state(session, allocations)
        session = replace(
            session, version=result.version, allocations=tuple(allocations)
        )

    report("submit_app_state round trip", await timed(submit, count))


CONCURRENCY = 50


async def requests_per_second(client: ClearNodeClient, total: int) -> float:
    """Send ``total`` signed get_ledger_balances, CONCURRENCY at a time; return the rate."""
    remaining = total

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await client.get_ledger_balances()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return total / (time.perf_counter() - start)


async def bench_throughput(client: ClearNodeClient, total: int) -> None:
    """Print requests per second with 50 concurrent requests on one connection."""
    rate = await requests_per_second(client, total)
    print(
        f"throughput, {CONCURRENCY} concurrent signed get_ledger_balances on one "
        f"connection: {rate:.0f} requests/s ({total} requests)"
    )


def main() -> None:
    """Run every benchmark; --smoke makes it a few seconds long."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run for CI")
    smoke = parser.parse_args().smoke
    bench_signing(50 if smoke else 1000)
    bench_codec(50 if smoke else 1000)
    asyncio.run(bench_network(20 if smoke else 300, 200 if smoke else 5000))


if __name__ == "__main__":
    main()
