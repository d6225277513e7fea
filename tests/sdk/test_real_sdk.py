"""The real SDK (@erc7824/nitrolite 0.5.3, pinned in package.json) against the local ClearNode.

drive_sdk.mjs builds every frame with the SDK's own builders and checks the broker signature
of every answer and push by recovering it with viem from the raw res text.
"""

import asyncio
from decimal import Decimal
import json
import os
from pathlib import Path
import shutil
from typing import Any

import pytest

from local_clearnode import (
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
    LocalClearNode,
)

HERE = Path(__file__).parent
TIMEOUT = 120


def node_tools() -> tuple[str, str]:
    """Return node and npm, failing under CI and skipping elsewhere when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = (
            "node and npm are needed to run the real SDK against the local ClearNode"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return node, npm


async def run(*command: str) -> tuple[int, str, str]:
    """Run a command in tests/sdk and return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def drive_sdk(url: str) -> dict[str, Any]:
    """Install the pinned SDK if needed, run the driver, return its summary."""
    node, npm = node_tools()
    if not (HERE / "node_modules" / "@erc7824" / "nitrolite").is_dir():
        code, _, stderr = await run(npm, "ci", "--no-audit", "--no-fund")
        assert code == 0, f"npm ci failed: {stderr}"
    code, stdout, stderr = await run(
        node, "drive_sdk.mjs", url, DEMO_WALLET_KEY, DEMO_COUNTERPARTY_ADDRESS
    )
    assert code == 0, f"the SDK driver failed: {stderr}"
    summary: dict[str, Any] = json.loads(stdout)
    return summary


def zero_valued_result(session_id: str, version: int, status: str) -> dict[str, Any]:
    """Return what the Go server answers to create/submit/close."""
    return {
        "app_session_id": session_id,
        "application": "",
        "status": status,
        "participants": None,
        "protocol": "",
        "challenge": 0,
        "weights": None,
        "quorum": 0,
        "version": version,
        "nonce": 0,
        "created_at": "",
        "updated_at": "",
    }


async def test_the_real_sdk_logs_in_and_runs_an_app_session() -> None:
    """SDK builders: login, balances, create, submit, close, all answers broker-signed."""
    async with LocalClearNode(
        fund={DEMO_WALLET_ADDRESS: {"usdc": Decimal(100)}}
    ) as node:
        summary = await drive_sdk(node.url)
        balance_after = node.balance(DEMO_WALLET_ADDRESS, "usdc")
        counterparty_after = node.balance(DEMO_COUNTERPARTY_ADDRESS, "usdc")

    session_id = summary["created"]["app_session_id"]
    assert summary["broker"] == node.broker_address
    assert summary["badSignatures"] == 0
    assert summary["framesChecked"] >= 15
    assert summary["verified"]["address"] == DEMO_WALLET_ADDRESS
    assert summary["verified"]["session_key"] == summary["sessionKey"]
    assert summary["jwtLogin"] == {
        "address": DEMO_WALLET_ADDRESS,
        "session_key": summary["sessionKey"],
        "success": True,
    }
    assert summary["before"] == {
        "ledger_balances": [{"asset": "usdc", "amount": "100"}]
    }
    assert summary["created"] == zero_valued_result(session_id, 1, "open")
    assert summary["share"] == {"ledger_balances": [{"asset": "usdc", "amount": "25"}]}
    assert summary["submitted"] == zero_valued_result(session_id, 2, "open")
    assert summary["overspent"]["error"].endswith(
        "insufficient session key allowance: 16 required, 15 available"
    )
    assert summary["closed"] == zero_valued_result(session_id, 3, "closed")
    assert summary["after"] == {"ledger_balances": [{"asset": "usdc", "amount": "90"}]}
    assert summary["pushes"][:3] == ["assets", "channels", "bu"]
    assert summary["appStatePush"]["participant_allocations"] == [
        {"participant": DEMO_WALLET_ADDRESS, "asset": "usdc", "amount": "15"},
        {"participant": DEMO_COUNTERPARTY_ADDRESS, "asset": "usdc", "amount": "10"},
    ]
    assert (balance_after, counterparty_after) == (Decimal(90), Decimal(10))
