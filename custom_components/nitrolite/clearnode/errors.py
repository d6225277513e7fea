"""Exception tree of the library: every class has a stable ``code``.

An application maps ``code`` to its own messages in one table; a code never changes
meaning. ``outcome_unknown`` tells, from the exception alone, whether a request that
changes state may have been applied: True only once the request has left and its
answer is missing or cannot be trusted (the :class:`ClearNodeOutcomeUnknownError`
family). Re-read the state before repeating such a request.

| code | class | raised when | may have been applied |
|---|---|---|---|
| ``error`` | ClearNodeError | (base class) | |
| ``connection`` | ClearNodeConnectionError | cannot connect, not connected, closed, the send failed | no |
| ``connection_lost`` | ClearNodeConnectionLostError | the connection ended while the request awaited its answer | yes |
| ``timeout`` | ClearNodeTimeoutError | the request found no free slot or frame budget in time and never left | no |
| ``no_answer`` | ClearNodeNoAnswerError | the request left; no answer within the timeout | yes |
| ``protocol`` | ClearNodeProtocolError | a frame or value breaks the protocol | no |
| ``invalid_answer`` | ClearNodeInvalidAnswerError | the request left; its answer is unsigned, malformed or for something else | yes |
| ``outcome_unknown`` | ClearNodeOutcomeUnknownError | (base of the three "yes" classes) | yes |
| ``authentication`` | ClearNodeAuthenticationError | the login was refused | no |
| ``session_key`` | ClearNodeSessionKeyError | the session key cannot be registered, or keeps being refused | no |
| ``broker_changed`` | ClearNodeBrokerChangedError | the node names another broker than the pinned one | no |
| ``rejected`` | ClearNodeRejectedError | the node refused the request | no |
| ``clock_skew`` | ClearNodeClockSkewError | the node refused our timestamp | no |
| ``allowance`` | ClearNodeAllowanceError | the session key's spending cap does not cover it | no |
| ``version_conflict`` | ClearNodeVersionConflictError | the app session moved on to another version | no |
| ``rate_limited`` | ClearNodeRateLimitedError | the node refused it for its rate limit | no |
| ``unsupported_node`` | ClearNodeUnsupportedNodeError | the node speaks a protocol version we do not | no |
| ``validation`` | ClearNodeValidationError | bad input, caught before anything was sent | no |
| ``state_transition`` | ClearNodeStateTransitionError | a channel state does not follow from the previous one | no |
| ``faucet`` | ClearNodeFaucetError | the node has no faucet, or its faucet refused the request | no |
| ``faucet_limit`` | ClearNodeFaucetLimitError | the faucet already served this wallet within its period (24 h) | no |

Messages never contain keys, JWTs or raw signed frames.
"""

from __future__ import annotations

from typing import ClassVar


class ClearNodeError(Exception):
    """Base class of every error raised by this library."""

    code: ClassVar[str] = "error"
    outcome_unknown: ClassVar[bool] = False


class ClearNodeOutcomeUnknownError(ClearNodeError):
    """The request left but no trustworthy answer came: it may have been applied."""

    code = "outcome_unknown"
    outcome_unknown = True


class ClearNodeConnectionError(ClearNodeError):
    """Cannot connect, not connected, the client is closed, or the send failed."""

    code = "connection"


class ClearNodeConnectionLostError(
    ClearNodeConnectionError, ClearNodeOutcomeUnknownError
):
    """The connection ended while the request was waiting for its answer."""

    code = "connection_lost"


class ClearNodeTimeoutError(ClearNodeError):
    """No answer within the request timeout.

    Raised as this class itself only when the request never left (it found no free
    request slot, or no token of the frame budget, in time); see
    :class:`ClearNodeNoAnswerError`.
    """

    code = "timeout"


class ClearNodeNoAnswerError(ClearNodeTimeoutError, ClearNodeOutcomeUnknownError):
    """The request left and no answer came within the request timeout."""

    code = "no_answer"


class ClearNodeProtocolError(ClearNodeError):
    """Malformed frame, bad broker signature or mismatching data."""

    code = "protocol"


class ClearNodeInvalidAnswerError(ClearNodeProtocolError, ClearNodeOutcomeUnknownError):
    """The request left; its answer is unsigned, malformed or answers something else."""

    code = "invalid_answer"


class ClearNodeAuthenticationError(ClearNodeError):
    """Login refused (challenge, signature or JWT)."""

    code = "authentication"


class ClearNodeSessionKeyError(ClearNodeAuthenticationError):
    """The session key cannot be registered again, or the ClearNode keeps refusing it."""

    code = "session_key"


class ClearNodeBrokerChangedError(ClearNodeError):
    """``get_config`` names another broker than the one the client is pinned to.

    Either the endpoint now reaches a different ClearNode, or its operator replaced the
    broker key. Nothing signed by the new broker is trusted and no login is attempted.
    """

    code = "broker_changed"

    def __init__(self, expected: str, actual: str) -> None:
        """Keep both broker addresses (EIP-55)."""
        super().__init__(f"the ClearNode's broker is {actual}, expected {expected}")
        self.expected = expected
        self.actual = actual


class ClearNodeRejectedError(ClearNodeError):
    """The node refused a request; nothing was applied."""

    code = "rejected"

    def __init__(self, method: str, reason: str) -> None:
        """Keep the request method and the server's reason text."""
        super().__init__(f"{method} rejected by the ClearNode: {reason}")
        self.method = method
        self.reason = reason


class ClearNodeClockSkewError(ClearNodeRejectedError):
    """The server refused our timestamp ("invalid message timestamp")."""

    code = "clock_skew"


class ClearNodeAllowanceError(ClearNodeRejectedError):
    """The session key's spending cap does not cover the operation."""

    code = "allowance"


class ClearNodeVersionConflictError(ClearNodeRejectedError):
    """The app session moved on: ``invalid app session version: expected N, got M``."""

    code = "version_conflict"

    def __init__(self, method: str, reason: str, expected: int, got: int) -> None:
        """Keep the version the node expected and the one we sent."""
        super().__init__(method, reason)
        self.expected = expected
        self.got = got


class ClearNodeRateLimitedError(ClearNodeRejectedError):
    """The node refused a request for exceeding its rate limit (v1.2–v1.3 text)."""

    code = "rate_limited"


class ClearNodeUnsupportedNodeError(ClearNodeError):
    """The node runs a protocol version this library does not speak."""

    code = "unsupported_node"

    def __init__(self, node_version: str) -> None:
        """Keep the version text the node reported (empty when it reported none)."""
        super().__init__(f"unsupported node version: {node_version or 'unknown'}")
        self.node_version = node_version


class ClearNodeValidationError(ClearNodeError, ValueError):
    """Bad input caught client-side; ``field`` names the offending input."""

    code = "validation"

    def __init__(self, field: str, message: str) -> None:
        """Keep the name of the offending field."""
        super().__init__(f"{field}: {message}")
        self.field = field


class ClearNodeStateTransitionError(ClearNodeValidationError):
    """A channel state is not a valid advancement of the previous one.

    ``reason`` is worded as the node words it, so that a server built on this library
    answers with the node's text.
    """

    code = "state_transition"

    def __init__(self, reason: str) -> None:
        """Keep the reason text."""
        super().__init__(field="state", message=reason)
        self.reason = reason


class ClearNodeFaucetError(ClearNodeRejectedError):
    """The node has no faucet known to the client, or its faucet refused the request."""

    code = "faucet"

    def __init__(self, reason: str) -> None:
        """Keep the faucet's reason text."""
        super().__init__("requestTokens", reason)


class ClearNodeFaucetLimitError(ClearNodeFaucetError):
    """The faucet serves a wallet once per period (24 h on the sandbox); ask later."""

    code = "faucet_limit"
