"""Exception tree of the ClearNode client.

Messages never contain keys, JWTs or raw signed frames.
"""

from __future__ import annotations


class ClearNodeError(Exception):
    """Base class of every error raised by this library."""


class ClearNodeConnectionError(ClearNodeError):
    """Cannot connect, the socket dropped, or the client is closed."""


class ClearNodeTimeoutError(ClearNodeError):
    """No answer within the request timeout."""


class ClearNodeAuthenticationError(ClearNodeError):
    """Login refused (challenge, signature or JWT)."""


class ClearNodeSessionKeyError(ClearNodeAuthenticationError):
    """The session key cannot be registered again, or the ClearNode keeps refusing it."""


class ClearNodeBrokerChangedError(ClearNodeError):
    """``get_config`` names another broker than the one the client is pinned to.

    Either the endpoint now reaches a different ClearNode, or its operator replaced the
    broker key. Nothing signed by the new broker is trusted and no login is attempted.
    """

    def __init__(self, expected: str, actual: str) -> None:
        """Keep both broker addresses (EIP-55)."""
        super().__init__(f"the ClearNode's broker is {actual}, expected {expected}")
        self.expected = expected
        self.actual = actual


class ClearNodeProtocolError(ClearNodeError):
    """Malformed frame, bad broker signature or mismatching answer."""


class ClearNodeRejectedError(ClearNodeError):
    """The server answered a request with method "error"."""

    def __init__(self, method: str, reason: str) -> None:
        """Keep the request method and the server's reason text."""
        super().__init__(f"{method} rejected by the ClearNode: {reason}")
        self.method = method
        self.reason = reason


class ClearNodeClockSkewError(ClearNodeRejectedError):
    """The server refused our timestamp ("invalid message timestamp")."""


class ClearNodeAllowanceError(ClearNodeRejectedError):
    """The session key's spending cap does not cover the operation."""


class ClearNodeValidationError(ClearNodeError, ValueError):
    """Bad input caught client-side; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        """Keep the name of the offending field."""
        super().__init__(f"{field}: {message}")
        self.field = field


def rejected_error(method: str, reason: str) -> ClearNodeRejectedError:
    """Map a server error text to the most specific rejection class."""
    if reason == "invalid message timestamp":
        return ClearNodeClockSkewError(method, reason)
    if "allowance" in reason:
        return ClearNodeAllowanceError(method, reason)
    return ClearNodeRejectedError(method, reason)


class ClearNodeVersionConflictError(ClearNodeRejectedError):
    """The app session moved on: ``invalid app session version: expected N, got M``."""

    def __init__(self, method: str, reason: str, expected: int, got: int) -> None:
        """Keep the version the node expected and the one we sent."""
        super().__init__(method, reason)
        self.expected = expected
        self.got = got


class ClearNodeRateLimitedError(ClearNodeRejectedError):
    """The node refused a request for exceeding its rate limit (v1.2–v1.3 text)."""


class ClearNodeUnsupportedNodeError(ClearNodeError):
    """The node runs a protocol version this library does not speak."""

    def __init__(self, node_version: str) -> None:
        """Keep the version text the node reported (empty when it reported none)."""
        super().__init__(f"unsupported node version: {node_version or 'unknown'}")
        self.node_version = node_version


class ClearNodeStateTransitionError(ClearNodeValidationError):
    """A channel state is not a valid advancement of the previous one.

    ``reason`` is worded as the node words it, so that a server built on this library
    answers with the node's text.
    """

    def __init__(self, reason: str) -> None:
        """Keep the reason text."""
        super().__init__(field="state", message=reason)
        self.reason = reason
