"""Access to the v0.5 SDK vectors kept in tests/data/v05/sdk_vectors.json."""

from functools import cache
import json
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).parents[1] / "data" / "v05" / "sdk_vectors.json"


@cache
def vectors() -> dict[str, Any]:
    """Return the parsed vector file."""
    return json.loads(VECTORS_PATH.read_text())


def keys() -> dict[str, dict[str, str]]:
    """Return the named test keys of the vectors."""
    return vectors()["meta"]["keys"]


def key_for_address(address: str) -> str:
    """Return the private key of a vector address."""
    return next(k["private_key"] for k in keys().values() if k["address"] == address)


def emitted_with_bytes() -> list[tuple[str, dict[str, Any]]]:
    """Return the SDK-emitted messages that carry their signed bytes."""
    return [
        (name, case)
        for name, case in vectors()["sdk_emitted"].items()
        if "signed_bytes_utf8" in case
    ]


def emitted_signatures() -> list[tuple[str, str, str]]:
    """Return (signed bytes, signer address, signature) of every SDK signature."""
    return [
        (case["signed_bytes_utf8"], sig["recovered_raw_keccak"], sig["signature"])
        for _, case in emitted_with_bytes()
        for sig in case["signatures"]
    ]
