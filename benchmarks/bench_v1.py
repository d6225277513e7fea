"""CPU cost of the Nitronode v1 signatures, ours against eth-account and eth-abi.

Each pair is timed alternately, call after call, so that both see the same machine
noise. Usage: python -m benchmarks.bench_v1 [--smoke]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from decimal import Decimal
import secrets
import statistics

from eth_abi.abi import encode as eth_abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct

from benchmarks.measure import time_calls
from custom_components.nitrolite.clearnode import Allocation, Signer
from custom_components.nitrolite.clearnode.v1 import (
    AppIntent,
    AppStateUpdate,
    ChannelState,
    Ledger,
    Transition,
    TransitionType,
    app_state_update_hash,
    channel_signature,
    decode_frame,
    encode_request,
    keccak256,
    pack_state,
    quorum_signature,
)

WALLET = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
COUNTERPARTY = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
SESSION_ID = "0x" + "b4" * 32
UPDATE = AppStateUpdate(
    SESSION_ID,
    AppIntent.OPERATE,
    3,
    (
        Allocation(WALLET, "usdc", Decimal("19.7")),
        Allocation(COUNTERPARTY, "usdc", Decimal("0.3")),
    ),
    "",
)
STATE = ChannelState(
    id="0x" + "27" * 32,
    transition=Transition(
        TransitionType.COMMIT, "0x" + "b3" * 32, SESSION_ID, Decimal(5)
    ),
    asset="usdc",
    user_wallet=WALLET,
    epoch=0,
    version=3,
    home_channel_id="0x01" + "57" * 31,
    home_ledger=Ledger(
        "0x" + "67" * 20, 11155111, Decimal(5), Decimal(0), Decimal(0), Decimal(5)
    ),
)


def alternately(
    ours: Callable[[], object], theirs: Callable[[], object], count: int
) -> tuple[float, float]:
    """Return the medians (us) of ``count`` calls of each, timed in alternation."""
    ours_samples: list[float] = []
    theirs_samples: list[float] = []
    for _ in range(count):
        ours_samples += time_calls(ours, 1)
        theirs_samples += time_calls(theirs, 1)
    return statistics.median(ours_samples), statistics.median(theirs_samples)


def eth_abi_update_hash() -> bytes:
    """Return the update hash the way eth-abi would build it."""
    allocations = [
        (a.participant, a.asset, format(a.amount, "f")) for a in UPDATE.allocations
    ]
    return keccak256(
        eth_abi_encode(
            ["bytes32", "uint8", "uint64", "(address,string,string)[]", "string"],
            [bytes.fromhex(SESSION_ID[2:]), 0, 3, allocations, ""],
        )
    )


def bench_quorum_signature(count: int) -> None:
    """Print the v1 quorum signature of a hash: ours against eth-account."""
    key = "0x" + secrets.token_hex(32)
    ours, theirs = Signer.from_key(key), Account.from_key(key)
    digest = app_state_update_hash(UPDATE)
    ours_us, theirs_us = alternately(
        lambda: quorum_signature(ours, digest),
        lambda: theirs.sign_message(encode_defunct(primitive=digest)),
        count,
    )
    print(
        f"v1 quorum signature (EIP-191 over an ABI hash) p50: ours {ours_us:.0f} us, "
        f"eth-account sign_message {theirs_us:.0f} us, ratio {theirs_us / ours_us:.1f}x"
    )
    encode_us, eth_abi_us = alternately(
        lambda: app_state_update_hash(UPDATE), eth_abi_update_hash, count
    )
    print(
        f"v1 app state update ABI encoding + hash p50: ours {encode_us:.0f} us, "
        f"eth-abi {eth_abi_us:.0f} us"
    )


def bench_channel_state(count: int) -> None:
    """Print the cost of packing a channel state (640 bytes) and signing it 0x00."""
    signer = Signer.generate()
    samples = time_calls(lambda: channel_signature(signer, pack_state(STATE, 6)), count)
    print(f"v1 channel state pack + sign p50: {statistics.median(samples):.0f} us")


def bench_payment(count: int) -> None:
    """Print the client's CPU per payment without the network (as figure 2 for v0.5).

    Build the next state, hash it, sign it, encode the request, decode the answer.
    """
    signer = Signer.generate()
    method = "app_sessions.v1.submit_app_state"
    answer = f'[2,1,"{method}",{{}},1764201600000]'

    def one_payment() -> None:
        update = AppStateUpdate(
            SESSION_ID, AppIntent.OPERATE, 3, UPDATE.allocations, ""
        )
        signature = quorum_signature(signer, app_state_update_hash(update))
        payload = {"app_state_update": update.to_wire(), "quorum_sigs": [signature]}
        encode_request(1, method, payload, 1764201600000)
        decode_frame(answer)

    cost = statistics.median(time_calls(one_payment, count))
    print(
        f"v1 client CPU per payment (build+hash+sign+encode+decode) p50: {cost:.0f} us"
    )


def main() -> None:
    """Run every v1 benchmark; --smoke makes it a second long."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="quick run for CI")
    count = 50 if parser.parse_args().smoke else 1000
    bench_quorum_signature(count)
    bench_channel_state(count)
    bench_payment(count)


if __name__ == "__main__":
    main()
