"""The aiohttp server and the Python API tests use (LocalNitronode)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal, localcontext
import json
import logging
from pathlib import Path
import secrets
import time
from typing import Any

from aiohttp import web

from custom_components.nitrolite.clearnode import EXACT, Allocation, Signer
from custom_components.nitrolite.clearnode.v1 import (
    AppIntent,
    AppStateUpdate,
    ChannelState,
    app_state_update_hash,
    quorum_signature,
)
from local_nodes import json_file
from local_nodes.server import LoopbackServer, fund_each

from . import persistence
from .config import NodeConfig
from .connection import Connection, Keepalive
from .constants import (
    APPLICATION_ID,
    APPLICATION_ID_PATTERN,
    FAUCET_ADDRESS,
    FAUCET_AMOUNT,
    FAUCET_COOLDOWN_SECONDS,
    MAX_CONNECTIONS,
    MAX_FRAME_BYTES,
    PING_INTERVAL_SECONDS,
    PONG_TIMEOUT_SECONDS,
    RATE_LIMIT_BURST,
    RATE_LIMIT_PER_SECOND,
)
from .context import Call, Clock, Node
from .faucet import Faucet, FaucetSettings
from .faults import Faults, RateLimit
from .gotypes import load_json
from .ratelimit import FrameBucket
from .router import DEFAULT_ERROR, answer, run
from .states import credit_from
from .store import AppSession, NodeStore
from .wire import FrameError, Request, encode_error, parse_request

_LOGGER = logging.getLogger(__name__)
CLOSE_TIMEOUT_SECONDS = 2.0


class LocalNitronode(LoopbackServer[Connection]):
    """A Nitronode v1 on loopback with an in-memory (optionally persisted) database.

    ``clock`` (Unix seconds) drives the faucet cooldown and key expiry;
    ``frame_clock`` drives the per-connection frame budget (freeze it in tests to make
    the budget exact). ``fund`` credits wallets of a new database only.
    """

    def __init__(  # noqa: PLR0913 - the documented test API
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fund: Mapping[str, Mapping[str, Decimal]] | None = None,
        node_key: str | None = None,
        state_file: str | Path | None = None,
        config: NodeConfig | None = None,
        clock: Clock = time.time,
        frame_clock: Clock = time.monotonic,
        keepalive: Keepalive | None = None,
        open_channels: bool = False,
        faucet: FaucetSettings | None = None,
    ) -> None:
        """Load the state file if it exists (its node key wins over ``node_key``)."""
        super().__init__(host, port, MAX_CONNECTIONS)
        self._state_path = Path(state_file) if state_file is not None else None
        document = persistence.load(self._state_path) if self._state_path else None
        stored_key = document["node_key"] if document else None
        self._node_key = stored_key or node_key or "0x" + secrets.token_hex(32)
        self.faults = Faults(send_raw=self._send_raw)
        self._node = Node(
            config=config or NodeConfig(),
            store=persistence.from_json(document) if document else NodeStore(),
            signer=Signer.from_key(self._node_key),
            impostor=Signer.generate(),
            faults=self.faults,
            clock=clock,
            open_channels=open_channels,
        )
        self._frame_clock = frame_clock
        self._keepalive = keepalive or Keepalive(
            PING_INTERVAL_SECONDS, PONG_TIMEOUT_SECONDS
        )
        self._faucet = Faucet(
            self._node,
            faucet or FaucetSettings(FAUCET_AMOUNT, FAUCET_COOLDOWN_SECONDS),
            self._persist,
        )
        if document is None:
            fund_each(fund, self.fund)

    @property
    def url(self) -> str:
        """The WebSocket endpoint as the hosted nodes publish it (``/v1/ws``)."""
        return f"ws://{self._host}:{self._port}/v1/ws"

    @property
    def faucet_url(self) -> str:
        """The faucet's ``requestTokens`` endpoint."""
        return f"http://{self._host}:{self._port}/v1/faucet-app/requestTokens"

    @property
    def node_address(self) -> str:
        """The node's address (lowercase), which co-signs channel states."""
        return self._node.address

    @property
    def config(self) -> NodeConfig:
        """What the node serves."""
        return self._node.config

    def fund(
        self, address: str, asset: str, amount: Decimal, *, sender: str = FAUCET_ADDRESS
    ) -> str:
        """Transfer ``amount`` in off-chain, as the faucet does; returns the tx id."""
        with localcontext(EXACT):
            tx_id = credit_from(
                self._node, sender.lower(), address.lower(), asset, Decimal(amount)
            )
        self._persist()
        return tx_id

    def balance(self, address: str, asset: str) -> Decimal:
        """Return a wallet's off-chain balance (what get_balances reports)."""
        return self._node.store.balances(address.lower()).get(asset, Decimal(0))

    def latest_state(self, address: str, asset: str) -> ChannelState | None:
        """Return a wallet's newest channel state."""
        return self._node.store.last_state(address.lower(), asset)

    def app_session(self, app_session_id: str) -> AppSession:
        """Return the node's record of an app session (KeyError if unknown)."""
        return self._node.store.app_sessions[app_session_id]

    def allocations(self, app_session_id: str) -> dict[tuple[str, str], Decimal]:
        """Return a session's allocations by (participant, asset), zero rows included."""
        return dict(self._node.store.allocations.get(app_session_id, {}))

    def peer_submit(
        self,
        app_session_id: str,
        allocations: Sequence[Allocation],
        signer: Signer,
        *,
        session_data: str = "",
    ) -> int:
        """Submit an operate state signed by ``signer`` alone, as a counterparty would.

        Goes through the same handler as a request (RPCError with the node's text if
        refused); returns the session's new version.
        """
        return self._peer_update(
            app_session_id, AppIntent.OPERATE, allocations, signer, session_data
        )

    def close_by_peer(self, app_session_id: str, signer: Signer) -> int:
        """Close a session at its current allocations, signed by ``signer`` alone."""
        current = [
            Allocation(participant, asset, amount)
            for (participant, asset), amount in self.allocations(app_session_id).items()
            if amount
        ]
        return self._peer_update(app_session_id, AppIntent.CLOSE, current, signer, "")

    def _peer_update(
        self,
        app_session_id: str,
        intent: AppIntent,
        allocations: Sequence[Allocation],
        signer: Signer,
        session_data: str,
    ) -> int:
        session = self.app_session(app_session_id)
        update = AppStateUpdate(
            app_session_id=app_session_id,
            intent=intent,
            version=session.version + 1,
            allocations=tuple(
                Allocation(a.participant.lower(), a.asset, a.amount)
                for a in allocations
            ),
            session_data=session_data,
        )
        payload = {
            "app_state_update": update.to_wire(),
            "quorum_sigs": [quorum_signature(signer, app_state_update_hash(update))],
        }
        self._call("app_sessions.v1.submit_app_state", payload)
        return self.app_session(app_session_id).version

    def _call(self, method: str, payload: dict[str, Any]) -> Mapping[str, Any]:
        """Run a method in-process, exactly as a request of a socket would."""
        request = Request(0, method, load_json(json.dumps(payload)))
        call = Call(request, self._node, "")
        result = run(call)
        if call.changed:
            self._persist()
        return result

    def _application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_FRAME_BYTES)
        app.router.add_get("/ws", self._accept)
        app.router.add_get("/v1/ws", self._accept)
        app.router.add_post("/v1/faucet-app/requestTokens", self._faucet.request_tokens)
        return app

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        app_id = request.query.get("app_id", "")
        if app_id and not APPLICATION_ID.fullmatch(app_id):
            raise web.HTTPBadRequest(
                text=f"invalid app_id: must match {APPLICATION_ID_PATTERN}\n"
            )
        self._refuse_when_full()
        ws = web.WebSocketResponse(
            # aiohttp refuses a message of max_msg_size bytes; the node reads one.
            max_msg_size=MAX_FRAME_BYTES + 1,
            autoping=False,
            timeout=CLOSE_TIMEOUT_SECONDS,
        )
        await ws.prepare(request)
        limit = self.faults.rate_limit or RateLimit(
            RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST
        )
        connection = Connection(
            ws,
            request,
            bucket=FrameBucket(limit.per_second, limit.burst, self._frame_clock),
            answers_rate_limit=self._node.config.answers_rate_limit,
            keepalive=self._keepalive,
            faults=self.faults,
        )
        self._connections.add(connection)
        try:
            await connection.serve(self._process)
        finally:
            self._connections.discard(connection)
        return ws

    async def _process(self, connection: Connection, text: str, limited: bool) -> None:
        try:
            request = parse_request(text)
        except FrameError as err:
            connection.send(encode_error(err.request_id, "", str(err)))
            return
        method = request.method
        self.faults.received[method] += 1
        if method in self.faults.close_on_methods:
            connection.abort()
            return
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        frame = self._answer(connection, request, limited)
        if method not in self.faults.silent_methods:
            connection.send(frame)

    def _answer(self, connection: Connection, request: Request, limited: bool) -> str:
        if limited:
            return encode_error(
                request.request_id, request.method, "rate limit exceeded"
            )
        if self.faults.refuse_next > 0:
            self.faults.refuse_next -= 1
            return encode_error(request.request_id, request.method, DEFAULT_ERROR)
        frame, changed = answer(request, self._node, connection.app_id)
        if changed:
            self._persist()
        return frame

    def _persist(self) -> None:
        if self._state_path is None:
            return
        document = persistence.to_json(self._node.store, self._node_key)
        json_file.write_atomically(self._state_path, document)
