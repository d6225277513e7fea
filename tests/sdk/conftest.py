"""Loopback sockets for the SDK test."""

import pytest
import pytest_socket


@pytest.fixture(autouse=True)
def allow_loopback() -> None:
    """Let the test's server listen on 127.0.0.1 (and nowhere else)."""
    pytest_socket.enable_socket()
    pytest_socket.socket_allow_hosts(["127.0.0.1"])
