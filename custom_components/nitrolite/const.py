"""Constants of the Nitrolite integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "nitrolite"
LOGGER = logging.getLogger(__package__)

# Config entry data (set up in the config flow).
CONF_ENDPOINT: Final = "endpoint"
CONF_PRIVATE_KEY: Final = "private_key"
CONF_APPLICATION: Final = "application"
CONF_ALLOWANCES: Final = "allowances"
CONF_SESSION_KEY_LIFETIME: Final = "session_key_lifetime"
CONF_NODE_ADDRESS: Final = (
    "node_address"  # pinned: another node (v0.5: broker) is refused
)
CONF_DIALECT: Final = "dialect"  # the wire protocol the node speaks (clearnode.Dialect)
CONF_NODE_VERSION: Final = "node_version"  # as the node reported it (v1), informational
CONF_FAUCET_URL: Final = "faucet_url"  # where test tokens are requested, if anywhere

# Config entry options (options flow); CONF_ALLOWANCES may be overridden here too.
CONF_DEFAULT_ASSET: Final = "default_asset"
CONF_REQUEST_TIMEOUT: Final = "request_timeout"
CONF_CLOSED_SESSION_RETENTION: Final = "closed_session_retention"
CONF_POLL_INTERVAL: Final = "poll_interval"  # seconds, where the client polls
# Hours over which local spending caps count (nodes without server caps).
CONF_CAPS_WINDOW: Final = "caps_window"

# Payment presets (config subentries of type SUBENTRY_TYPE_PRESET).
SUBENTRY_TYPE_PRESET: Final = "preset"
CONF_COUNTERPARTY: Final = "counterparty"
CONF_ASSET: Final = "asset"
CONF_DEPOSIT: Final = "deposit"
CONF_UNIT_PRICE: Final = "unit_price"
CONF_PROTOCOL: Final = "protocol"
CONF_OWN_WEIGHT: Final = "own_weight"
CONF_COUNTERPARTY_WEIGHT: Final = "counterparty_weight"
CONF_QUORUM: Final = "quorum"
CONF_CHALLENGE: Final = "challenge"

DEFAULT_APPLICATION: Final = "home-assistant"
DEFAULT_SESSION_KEY_LIFETIME_HOURS: Final = 24
DEFAULT_REQUEST_TIMEOUT_SECONDS: Final = 10
DEFAULT_CLOSED_SESSION_RETENTION_HOURS: Final = 24
DEFAULT_POLL_INTERVAL_SECONDS: Final = 5
DEFAULT_CAPS_WINDOW_HOURS: Final = 24
DEFAULT_PROTOCOL: Final = "NitroRPC/0.4"
PROTOCOLS: Final = ("NitroRPC/0.4", "NitroRPC/0.2")
DEFAULT_OWN_WEIGHT: Final = 100
DEFAULT_COUNTERPARTY_WEIGHT: Final = 0
DEFAULT_QUORUM: Final = 100
DEFAULT_CHALLENGE: Final = 0

# How often closed app sessions are checked for removal.
CLOSED_SESSION_PRUNE_INTERVAL: Final = timedelta(minutes=5)

# Bus events, also the event entity's event types.
EVENT_CREATED: Final = "created"
EVENT_UPDATED: Final = "updated"
EVENT_PAYMENT: Final = "payment"
EVENT_CLOSED: Final = "closed"
EVENT_TYPES: Final = (EVENT_CREATED, EVENT_UPDATED, EVENT_PAYMENT, EVENT_CLOSED)
BUS_EVENT_PREFIX: Final = f"{DOMAIN}_app_session_"

# Repair issue ids (also their translation keys).
ISSUE_CLOCK_SKEW: Final = "clock_skew"
ISSUE_ALLOWANCE_EXHAUSTED: Final = "allowance_exhausted"
ISSUE_SESSION_KEY: Final = "session_key_not_renewable"
ISSUE_BROKER_CHANGED: Final = "broker_changed"
ISSUE_ROOT_APPLICATION: Final = "root_application"
