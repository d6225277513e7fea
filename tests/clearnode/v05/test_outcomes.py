"""Every failed request tells whether it may have been applied, from the exception alone.

Against the local ClearNode: "certainly not applied" errors come with a server that
never received the request (or refused it); "may have been applied" errors come once
the request has left, and the server may indeed have applied it.
"""

import asyncio
import contextlib
from decimal import Decimal
import itertools

import pytest

from custom_components.nitrolite.clearnode import (
    Allocation,
    AppDefinition,
    ClearNodeAllowanceError,
    ClearNodeConnectionError,
    ClearNodeConnectionLostError,
    ClearNodeInvalidAnswerError,
    ClearNodeNoAnswerError,
    ClearNodeOutcomeUnknownError,
    ClearNodeProtocolError,
    ClearNodeTimeoutError,
)
from local_clearnode import (
    DEMO_COUNTERPARTY_ADDRESS,
    DEMO_WALLET_ADDRESS,
    DEMO_WALLET_KEY,
    LocalClearNode,
)
from tests.clearnode.conftest import ClientFactory, eventually

WALLET, PEER = DEMO_WALLET_ADDRESS, DEMO_COUNTERPARTY_ADDRESS
_NONCES = itertools.count(1_800_000_000_000)


def definition() -> AppDefinition:
    """Return a fresh two-party definition in which only our wallet votes."""
    return AppDefinition(
        application="home-assistant",
        protocol="NitroRPC/0.4",
        participants=(WALLET, PEER),
        weights=(100, 0),
        quorum=100,
        challenge=0,
        nonce=next(_NONCES),
    )


DEPOSIT = [Allocation(WALLET, "usdc", Decimal(5)), Allocation(PEER, "usdc", Decimal(0))]


def assert_certainly_not_applied(err: BaseException, code: str) -> None:
    """Check that the error says nothing was applied, under its stable code."""
    assert not isinstance(err, ClearNodeOutcomeUnknownError)
    assert err.outcome_unknown is False
    assert err.code == code


def assert_may_have_been_applied(err: BaseException, code: str) -> None:
    """Check that the error says the request may have been applied, under ``code``."""
    assert isinstance(err, ClearNodeOutcomeUnknownError)
    assert err.outcome_unknown is True
    assert err.code == code


async def test_a_client_that_never_connected_sends_nothing(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """Not connected: a connection error that certainly applied nothing."""
    client = make_client(DEMO_WALLET_KEY)
    with pytest.raises(ClearNodeConnectionError) as caught:
        await client.create_app_session(definition(), DEPOSIT)
    assert_certainly_not_applied(caught.value, "connection")
    assert node.faults.received["create_app_session"] == 0
    assert node.app_sessions == {}


async def test_a_closed_client_sends_nothing(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """After close(): a connection error that certainly applied nothing."""
    client = make_client(DEMO_WALLET_KEY)
    await client.connect()
    await client.close()
    with pytest.raises(ClearNodeConnectionError) as caught:
        await client.transfer(PEER, [("usdc", Decimal(1))])
    assert_certainly_not_applied(caught.value, "connection")
    assert node.faults.received["transfer"] == 0


async def test_a_drop_while_the_request_is_in_flight_may_have_applied_it(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """The socket closes after the request arrived: still a connection error, but lost."""
    client = make_client(DEMO_WALLET_KEY)
    await client.connect()
    node.faults.close_on_methods.add("create_app_session")
    with pytest.raises(ClearNodeConnectionError) as caught:
        await client.create_app_session(definition(), DEPOSIT)
    assert isinstance(caught.value, ClearNodeConnectionLostError)
    assert_may_have_been_applied(caught.value, "connection_lost")
    assert node.faults.received["create_app_session"] == 1


async def test_no_answer_in_time_may_have_applied_it(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """The server applies the request but never answers: a timeout that may have applied."""
    client = make_client(DEMO_WALLET_KEY, request_timeout=0.5)
    await client.connect()
    node.faults.silent_methods.add("create_app_session")
    created = definition()
    with pytest.raises(ClearNodeTimeoutError) as caught:
        await client.create_app_session(created, DEPOSIT)
    assert isinstance(caught.value, ClearNodeNoAnswerError)
    assert_may_have_been_applied(caught.value, "no_answer")
    assert client.app_session_id(created) in node.app_sessions


async def test_a_request_that_never_found_a_free_slot_never_left(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """Waiting for a request slot until the timeout: a timeout that applied nothing."""
    client = make_client(DEMO_WALLET_KEY, max_in_flight=1, request_timeout=60)
    await client.connect()
    node.faults.silent_methods.add("get_assets")
    holding_the_slot = asyncio.create_task(client.get_assets())
    await eventually(lambda: node.faults.received["get_assets"] == 1)
    client._request_timeout = 0.2  # the waiting request gives up long before
    with pytest.raises(ClearNodeTimeoutError) as caught:
        await client.transfer(PEER, [("usdc", Decimal(1))])
    assert_certainly_not_applied(caught.value, "timeout")
    assert node.faults.received["transfer"] == 0
    holding_the_slot.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await holding_the_slot


async def test_an_answer_not_signed_by_the_broker_may_hide_an_applied_request(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """The server applies the request; its answer fails the broker check: may have applied."""
    client = make_client(DEMO_WALLET_KEY)
    await client.connect()
    node.faults.corrupt_signatures = True
    created = definition()
    with pytest.raises(ClearNodeProtocolError) as caught:
        await client.create_app_session(created, DEPOSIT)
    assert isinstance(caught.value, ClearNodeInvalidAnswerError)
    assert_may_have_been_applied(caught.value, "invalid_answer")
    assert client.app_session_id(created) in node.app_sessions


async def test_a_refusal_applied_nothing(
    make_client: ClientFactory, node: LocalClearNode
) -> None:
    """The server refuses (spending cap): a rejection that certainly applied nothing."""
    client = make_client(DEMO_WALLET_KEY, allowances={"usdc": Decimal(1)})
    await client.connect()
    with pytest.raises(ClearNodeAllowanceError) as caught:
        await client.create_app_session(definition(), DEPOSIT)
    assert_certainly_not_applied(caught.value, "allowance")
    assert node.faults.received["create_app_session"] == 1
    assert node.app_sessions == {}
