"""Access to the v1 vectors kept in tests/data/v1 (rebuilt by the v1 TypeScript SDK)."""

from functools import cache
import json
from pathlib import Path
from typing import Any

from custom_components.nitrolite.clearnode.signing import Signer

DATA = Path(__file__).parents[2] / "data" / "v1"


@cache
def load(name: str) -> Any:
    """Return the parsed ``tests/data/v1/<name>.json``."""
    return json.loads((DATA / f"{name}.json").read_text())


def two_party() -> dict[str, Any]:
    """Return the two-party set: keys, create, updates, key states, channel states."""
    return load("vectors_py")


def signer(role: str) -> Signer:
    """Return the signer of a vector role: user, peer, session_key or node."""
    return Signer.from_key(two_party()["keys"][role])


def address(role: str) -> str:
    """Return the lowercase address of a vector role."""
    return two_party()["addresses"][role]


def frames() -> dict[str, str]:
    """Return the 14 request frames, by name."""
    return load("frames")
