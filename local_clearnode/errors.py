"""Errors whose text the server sends to the client (Go's RPCError)."""

from __future__ import annotations


class RPCError(Exception):
    """A client-safe error; its message is sent verbatim in an "error" response."""

    def __init__(self, message: str) -> None:
        """Keep the exact message the real server would send."""
        super().__init__(message)
        self.message = message


class ParamsError(Exception):
    """Parameters could not be decoded into the Go struct of the method."""
