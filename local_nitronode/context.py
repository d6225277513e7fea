"""What a method handler works with: the request, the node's parts, the clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from custom_components.nitrolite.clearnode import Signer

from .config import NodeConfig
from .errors import ParamsError, RPCError
from .faults import Faults
from .gotypes import struct
from .store import NodeStore
from .wire import Request

type Clock = Callable[[], float]
PARSE_FAILURE = "failed to parse parameters"


@dataclass(slots=True)
class Node:
    """The node's shared parts: configuration, database, signing key, clock, faults.

    ``clock`` returns Unix seconds; tests replace it to move time (faucet cooldown,
    key expiry). ``open_channels`` marks new home channels ``open`` as if they had been
    seen on chain, so that node-issued states get co-signed.
    """

    config: NodeConfig
    store: NodeStore
    signer: Signer
    impostor: Signer
    faults: Faults
    clock: Clock
    open_channels: bool = False

    @property
    def address(self) -> str:
        """The node's address, lowercase, as get_config reports it."""
        return self.signer.address.lower()

    @property
    def channel_signer(self) -> Signer:
        """The key that co-signs channel states (another one under the fault switch)."""
        return self.impostor if self.faults.corrupt_node_signatures else self.signer


@dataclass(slots=True)
class Call:
    """One request being handled."""

    request: Request
    node: Node
    app_id: str
    changed: bool = False

    def decode[T](
        self,
        decoder: Callable[[Mapping[str, Any]], T],
        fallback: str = PARSE_FAILURE,
    ) -> T:
        """Type the payload as the method's Go struct; a mismatch fails with ``fallback``."""
        try:
            return decoder(struct(self.request.payload))
        except ParamsError:
            raise RPCError(fallback) from None
