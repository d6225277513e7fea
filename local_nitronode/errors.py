"""Errors whose text the server sends to the client (Go's rpc.Errorf)."""

from __future__ import annotations


class RPCError(Exception):
    """A client-safe error; its message is sent verbatim in an error frame."""

    def __init__(self, message: str) -> None:
        """Keep the exact message the real server would send."""
        super().__init__(message)
        self.message = message


class ParamsError(Exception):
    """A payload value does not fit the Go type of its field."""
