"""One way to build a client for either dialect: options objects and create_client().

An application keeps what it needs per dialect in the options object of that dialect
and hands it to :func:`create_client`, which returns a :class:`~.base.WalletClient`.
Where it needs to know what the client can do, it asks ``client.features``; it never
imports a client class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import aiohttp

from .base import Dialect, WalletClient
from .v05.client import ClearNodeClient
from .v1.client import DEFAULT_POLL_INTERVAL, NitronodeClient


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    """What every dialect's client takes.

    ``node_address`` pins the node (the v0.5 broker): another address is refused
    with ClearNodeBrokerChangedError before anything is signed.
    """

    node_address: str | None = None
    request_timeout: float = 10.0
    reconnect_min_delay: float = 1.0
    reconnect_max_delay: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClearNodeOptions(ClientOptions):
    """A ClearNode v0.5 client: the session key's application, caps and lifetime."""

    application: str = "home-assistant"
    allowances: Mapping[str, Decimal] = field(default_factory=dict)
    session_key_lifetime: float = 86400.0

    @property
    def dialect(self) -> Dialect:
        """ClearNode v0.5."""
        return Dialect.V05


@dataclass(frozen=True, slots=True, kw_only=True)
class NitronodeOptions(ClientOptions):
    """A Nitronode v1 client: how often to poll (1–300 s) and the faucet, if any.

    ``faucet_url``: see :func:`~.v1.faucet.faucet_url_for`; None offers no faucet.
    """

    poll_interval: float = DEFAULT_POLL_INTERVAL
    faucet_url: str | None = None

    @property
    def dialect(self) -> Dialect:
        """Nitronode v1."""
        return Dialect.V1


def create_client(
    session: aiohttp.ClientSession,
    url: str,
    wallet_key: str,
    options: ClearNodeOptions | NitronodeOptions,
) -> WalletClient:
    """Return the client for the dialect of ``options``; nothing is sent yet."""
    if isinstance(options, NitronodeOptions):
        return NitronodeClient(
            session,
            url,
            wallet_key,
            node_address=options.node_address,
            faucet_url=options.faucet_url,
            poll_interval=options.poll_interval,
            request_timeout=options.request_timeout,
            reconnect_min_delay=options.reconnect_min_delay,
            reconnect_max_delay=options.reconnect_max_delay,
        )
    return ClearNodeClient(
        session,
        url,
        wallet_key,
        application=options.application,
        allowances=options.allowances,
        session_key_lifetime=options.session_key_lifetime,
        node_address=options.node_address,
        request_timeout=options.request_timeout,
        reconnect_min_delay=options.reconnect_min_delay,
        reconnect_max_delay=options.reconnect_max_delay,
    )
