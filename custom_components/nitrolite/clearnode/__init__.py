"""Async client library for ERC-7824 Nitrolite nodes (ClearNode v0.5, Nitronode v1).

This top level is what an application needs: the :class:`WalletClient` protocol with
its :class:`Feature` and :class:`Dialect` flags, :func:`create_client` with each
dialect's options (the v0.5 :class:`ClearNodeClient`, the v1 :class:`NitronodeClient`),
:func:`probe` to tell which dialect an endpoint speaks, the models and events, the
errors (each with a stable ``code``), amount and address parsing, the rules an
application applies before asking (:func:`weights_of`, :func:`other_funders`) and
:class:`Signer` to check or create keys. Every v1 definition has the protocol
``V1_PROTOCOL``; weights and quorum below ``V1_WEIGHT_LIMIT`` and session data of at
most ``V1_MAX_SESSION_DATA_BYTES`` bytes, which an application checks its users' input
against. The dialects' wire APIs, for servers and tools, are the packages ``v05`` and
``v1``.
"""

from .addresses import parse_address, to_checksum_address
from .amounts import EXACT, AmountError, format_amount, parse_amount
from .base import Dialect, Feature, Subscriber, WalletClient
from .errors import (
    ClearNodeAllowanceError,
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeClockSkewError,
    ClearNodeConnectionError,
    ClearNodeConnectionLostError,
    ClearNodeError,
    ClearNodeFaucetError,
    ClearNodeFaucetLimitError,
    ClearNodeInvalidAnswerError,
    ClearNodeNoAnswerError,
    ClearNodeOutcomeUnknownError,
    ClearNodeProtocolError,
    ClearNodeRateLimitedError,
    ClearNodeRejectedError,
    ClearNodeSessionKeyError,
    ClearNodeStateTransitionError,
    ClearNodeTimeoutError,
    ClearNodeUnsupportedNodeError,
    ClearNodeValidationError,
    ClearNodeVersionConflictError,
)
from .factory import ClearNodeOptions, ClientOptions, NitronodeOptions, create_client
from .models import (
    Allocation,
    AppDefinition,
    AppSession,
    AppSessionResult,
    AppSessionStatus,
    AppSessionUpdated,
    Asset,
    AssetsUpdated,
    Balance,
    BalancesUpdated,
    BrokerConfig,
    Channel,
    ChannelsUpdated,
    ClearNodeEvent,
    ConnectionState,
    ConnectionStateChanged,
    FrameRejected,
    Resynced,
    Transaction,
    TransfersReceived,
)
from .probe import ProbeOutcome, ProbeResult, probe
from .signing import Signer
from .v05 import ClearNodeClient
from .v1 import PROTOCOL as V1_PROTOCOL, NitronodeClient, faucet_url_for
from .v1.validation import (
    MAX_SESSION_DATA_BYTES as V1_MAX_SESSION_DATA_BYTES,
    UINT8_LIMIT as V1_WEIGHT_LIMIT,
)
from .validation import other_funders, weights_of

__all__ = [
    "EXACT",
    "V1_MAX_SESSION_DATA_BYTES",
    "V1_PROTOCOL",
    "V1_WEIGHT_LIMIT",
    "Allocation",
    "AmountError",
    "AppDefinition",
    "AppSession",
    "AppSessionResult",
    "AppSessionStatus",
    "AppSessionUpdated",
    "Asset",
    "AssetsUpdated",
    "Balance",
    "BalancesUpdated",
    "BrokerConfig",
    "Channel",
    "ChannelsUpdated",
    "ClearNodeAllowanceError",
    "ClearNodeAuthenticationError",
    "ClearNodeBrokerChangedError",
    "ClearNodeClient",
    "ClearNodeClockSkewError",
    "ClearNodeConnectionError",
    "ClearNodeConnectionLostError",
    "ClearNodeError",
    "ClearNodeEvent",
    "ClearNodeFaucetError",
    "ClearNodeFaucetLimitError",
    "ClearNodeInvalidAnswerError",
    "ClearNodeNoAnswerError",
    "ClearNodeOutcomeUnknownError",
    "ClearNodeProtocolError",
    "ClearNodeRateLimitedError",
    "ClearNodeRejectedError",
    "ClearNodeSessionKeyError",
    "ClearNodeStateTransitionError",
    "ClearNodeTimeoutError",
    "ClearNodeUnsupportedNodeError",
    "ClearNodeValidationError",
    "ClearNodeOptions",
    "ClearNodeVersionConflictError",
    "ClientOptions",
    "ConnectionState",
    "ConnectionStateChanged",
    "Dialect",
    "Feature",
    "FrameRejected",
    "NitronodeClient",
    "NitronodeOptions",
    "ProbeOutcome",
    "ProbeResult",
    "Resynced",
    "Signer",
    "Subscriber",
    "Transaction",
    "TransfersReceived",
    "WalletClient",
    "create_client",
    "faucet_url_for",
    "format_amount",
    "other_funders",
    "parse_address",
    "parse_amount",
    "probe",
    "to_checksum_address",
    "weights_of",
]
