"""The aiohttp server and the Python API tests use (LocalClearNode)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Context, Decimal, localcontext
import logging
from pathlib import Path
import secrets
import time
from types import MappingProxyType
from typing import Any

from aiohttp import WSMsgType, web

from custom_components.nitrolite.clearnode import Signer
from custom_components.nitrolite.clearnode.v05 import (
    encode_response,
    frame_response,
    keccak256,
)
from local_nodes import json_file
from local_nodes.server import LoopbackServer, fund_each

from . import state as state_file
from .app_sessions import AppSession
from .auth import Tokens
from .connection import Connection
from .constants import DEFAULT_ASSETS, MAX_CONNECTIONS, MAX_MESSAGE_BYTES, AssetInfo
from .context import Push, Services, asset_rows, balance_rows
from .faults import Faults
from .router import Outcome, dispatch
from .state import NodeState
from .wire import FrameError, parse_request

_LOGGER = logging.getLogger(__name__)
CLOSE_TIMEOUT_SECONDS = 2.0
# shopspring/decimal adds and subtracts exactly; the default context would round the
# ledger to 28 significant digits.
_GO_DECIMAL = Context(prec=1000)


class LocalClearNode(LoopbackServer[Connection]):
    """A ClearNode v0.5 on loopback with an in-memory (optionally persisted) ledger."""

    def __init__(  # noqa: PLR0913 - the documented test API
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fund: Mapping[str, Mapping[str, Decimal]] | None = None,
        broker_key: str | None = None,
        state_file: str | Path | None = None,
        assets: tuple[AssetInfo, ...] = DEFAULT_ASSETS,
    ) -> None:
        """Load the state file if it exists; `fund` only credits a fresh ledger."""
        super().__init__(host, port, MAX_CONNECTIONS)
        self._state_path = Path(state_file) if state_file is not None else None
        document = state_file_document(self._state_path)
        node_state = NodeState.from_json(document) if document else NodeState()
        stored_key = document.get("broker_key") if document else None
        self._broker_key = broker_key or stored_key or "0x" + secrets.token_hex(32)
        self._broker = Signer.from_key(self._broker_key)
        self._impostor = Signer.generate()
        self.faults = Faults(send_raw=self._send_raw)
        self._services = Services(
            node_state, assets, self._broker.address, Tokens(self._broker), self.faults
        )
        self.handshakes = 0  # WebSocket upgrade requests received
        if document is None:
            fund_each(fund, self.fund)

    @property
    def url(self) -> str:
        """The WebSocket endpoint."""
        return f"ws://{self._host}:{self._port}/ws"

    @property
    def broker_address(self) -> str:
        """The address that signs every answer (get_config.broker_address)."""
        return self._broker.address

    @property
    def app_sessions(self) -> Mapping[str, AppSession]:
        """Server-side session records by id (read-only view)."""
        return MappingProxyType(self._services.state.app_sessions.sessions)

    def fund(self, address: str, asset: str, amount: Decimal) -> None:
        """Credit a wallet's unified balance, as an on-chain deposit would."""
        self._services.state.ledger.record(address, address, asset, Decimal(amount))
        self._persist()
        self._notify(
            Push(
                address,
                "bu",
                {
                    "balance_updates": balance_rows(
                        self._services.state, address, address
                    )
                },
            )
        )

    def balance(self, address: str, asset: str) -> Decimal:
        """Return a wallet's unified balance in one asset."""
        return self._services.state.ledger.balance(address, address, asset)

    def allocation(self, app_session_id: str, participant: str, asset: str) -> Decimal:
        """Return a participant's share of one asset in an app session."""
        return self._services.state.ledger.balance(app_session_id, participant, asset)

    @property
    def live_connections(self) -> int:
        """The number of open WebSockets, logged in or not."""
        return len(self._connections)

    def expire_session_key(self, address: str) -> None:
        """End a session key's lifetime now; JWTs issued with it stay valid."""
        self._services.state.keys.revoke(address)
        self._persist()

    def active_session_keys(self, wallet: str) -> list[str]:
        """Return the addresses of a wallet's unexpired session keys, newest first."""
        keys = self._services.state.keys.active_of_wallet(wallet)
        return [key.address for key in keys]

    async def stop(self) -> None:
        """Drop every socket and stop listening; in-memory logins are forgotten."""
        await super().stop()
        self._services.forget_connections()

    def _application(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/ws", self._accept)
        return app

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        self.handshakes += 1
        self._refuse_when_full()
        if self.faults.handshake_gate is not None:
            await self.faults.handshake_gate.wait()
        ws = web.WebSocketResponse(
            max_msg_size=MAX_MESSAGE_BYTES, timeout=CLOSE_TIMEOUT_SECONDS
        )
        await ws.prepare(request)
        connection = Connection(ws)
        self._connections.add(connection)
        connection.send(
            self._frame(0, "assets", {"assets": asset_rows(self._services.assets)})
        )
        try:
            async for message in ws:
                if message.type in {WSMsgType.TEXT, WSMsgType.BINARY}:
                    text = (
                        message.data
                        if message.type is WSMsgType.TEXT
                        else message.data.decode(errors="replace")
                    )
                    await self._on_frame(connection, text)
        finally:
            self._connections.discard(connection)
            await connection.close()
        return ws

    async def _on_frame(self, connection: Connection, text: str) -> None:
        try:
            request = parse_request(text)
        except FrameError as err:
            connection.send(self._frame(_now_ms(), "error", {"error": err.message}))
            return
        self.faults.received[request.method] += 1
        if request.method in self.faults.close_on_methods:
            await connection.close()
            return
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        with localcontext(_GO_DECIMAL):
            outcome = dispatch(request, connection.login, self._services)
        self._deliver(connection, request.request_id, request.method, outcome)

    def _deliver(
        self, connection: Connection, request_id: int, method: str, outcome: Outcome
    ) -> None:
        """Pushes caused by the handler go out first, as the Go server queues them."""
        if outcome.changed_state:
            self._persist()
        for push in outcome.pushes:
            self._notify(push)
        if method not in self.faults.silent_methods:
            connection.send(self._frame(request_id, outcome.method, outcome.result))
        if outcome.logged_in_as_new_user:
            wallet = connection.login.user_id
            connection.send(self._frame(0, "channels", {"channels": []}))
            balances = balance_rows(self._services.state, wallet, wallet)
            connection.send(self._frame(0, "bu", {"balance_updates": balances}))

    def _notify(self, push: Push) -> None:
        frame = self._frame(0, push.method, push.result)
        for connection in self._connections:
            if connection.login.user_id == push.wallet:
                connection.send(frame)

    def _frame(self, request_id: int, method: str, result: Any) -> str:
        res = encode_response(request_id, method, result, _now_ms())
        signer = self._impostor if self.faults.corrupt_signatures else self._broker
        return frame_response(res, [signer.sign_digest(keccak256(res.encode()))])

    def _persist(self) -> None:
        if self._state_path is None:
            return
        document = self._services.state.to_json() | {"broker_key": self._broker_key}
        json_file.write_atomically(self._state_path, document)


def state_file_document(path: Path | None) -> dict[str, Any] | None:
    """Return the stored state, if there is a file."""
    return state_file.load(path) if path is not None else None


def _now_ms() -> int:
    return int(time.time() * 1000)
