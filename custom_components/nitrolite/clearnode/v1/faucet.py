"""The sandbox faucet: ``POST …/v1/faucet-app/requestTokens {"userAddress": "0x…"}``.

The Yellow sandbox sends 10 ``yusd`` to a wallet by an off-chain transfer, once per
wallet per 24 hours (PROTOCOL_V1 §1.1). It is plain HTTP beside the node's WebSocket,
so it neither takes frames of the node's budget nor needs the connection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..errors import (
    ClearNodeConnectionError,
    ClearNodeConnectionLostError,
    ClearNodeFaucetError,
    ClearNodeFaucetLimitError,
    ClearNodeInvalidAnswerError,
    ClearNodeNoAnswerError,
    ClearNodeProtocolError,
)
from ..frames import MAX_REASON_CHARS
from ..models import Balance
from . import wire

SANDBOX_HOST = "nitronode-sandbox.yellow.org"
FAUCET_PATH = "/v1/faucet-app/requestTokens"
SANDBOX_FAUCET_URL = f"https://{SANDBOX_HOST}{FAUCET_PATH}"
# The faucet answers a few hundred bytes; anything longer is not read.
MAX_ANSWER_BYTES = 4096
HTTP_OK = 200
HTTP_TOO_MANY_REQUESTS = 429
_HTTP_SCHEMES = {"ws": "http", "wss": "https"}


def faucet_url_for(endpoint: str, *, local: bool = False) -> str | None:
    """Return the faucet of a node's WebSocket ``endpoint``, None where none is known.

    The Yellow sandbox has one. Any other endpoint (the local Nitronode, a node of
    one's own) gets ``http(s)://host:port/v1/faucet-app/requestTokens`` only with
    ``local``: a production node has no faucet.
    """
    parts = urlsplit(endpoint)
    if parts.hostname == SANDBOX_HOST:
        return SANDBOX_FAUCET_URL
    scheme = _HTTP_SCHEMES.get(parts.scheme)
    if not local or scheme is None or not parts.netloc:
        return None
    return f"{scheme}://{parts.netloc}{FAUCET_PATH}"


async def request_tokens(
    session: aiohttp.ClientSession, url: str, wallet: str, timeout: float
) -> Balance:
    """Ask the faucet at ``url`` for test tokens for ``wallet``; return what it sent.

    A refusal raises ClearNodeFaucetError (ClearNodeFaucetLimitError for the
    once-per-period limit). No answer in time, or a connection that broke after the
    request left, raises the outcome-unknown family: the tokens may have been sent.
    """
    status, body = await _post(session, url, {"userAddress": wallet}, timeout)
    answer = _json_object(body)
    if status == HTTP_OK:
        return _sent(answer)
    reason = _reason(answer, status)
    if status == HTTP_TOO_MANY_REQUESTS:
        raise ClearNodeFaucetLimitError(reason)
    raise ClearNodeFaucetError(reason)


async def _post(
    session: aiohttp.ClientSession, url: str, body: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    try:
        async with (
            asyncio.timeout(timeout),
            session.post(url, json=body, allow_redirects=False) as response,
        ):
            return response.status, await response.content.read(MAX_ANSWER_BYTES)
    except TimeoutError:
        msg = f"no answer from the faucet within {timeout:g} s"
        raise ClearNodeNoAnswerError(msg) from None
    except aiohttp.ClientConnectorError as err:
        msg = f"cannot connect to the faucet ({type(err).__name__})"
        raise ClearNodeConnectionError(msg) from None
    except (aiohttp.ClientError, OSError) as err:
        msg = f"the connection to the faucet broke ({type(err).__name__})"
        raise ClearNodeConnectionLostError(msg) from None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError, RecursionError:
        value = None
    return value if isinstance(value, dict) else {}


def _reason(answer: dict[str, Any], status: int) -> str:
    error = answer.get("error")
    text = error if isinstance(error, str) and error else f"HTTP {status}"
    return text[:MAX_REASON_CHARS]


def _sent(answer: dict[str, Any]) -> Balance:
    try:
        return Balance(wire.text(answer, "asset", 256), wire.amount(answer, "amount"))
    except ClearNodeProtocolError as err:
        msg = f"the faucet's answer is not understood: {err}"
        raise ClearNodeInvalidAnswerError(msg) from None
