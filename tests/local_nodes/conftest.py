"""Fixtures: real sockets, to loopback only."""

import pytest
import pytest_socket


@pytest.fixture(autouse=True)
def allow_loopback() -> None:
    """Let these tests open real sockets, to 127.0.0.1 only."""
    pytest_socket.enable_socket()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])
