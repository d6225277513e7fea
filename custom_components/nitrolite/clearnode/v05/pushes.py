"""The v0.5 server's pushes (request id 0), mapped to the library's events."""

from __future__ import annotations

import logging

from ..frames import InboundFrame
from ..models import (
    AppSessionUpdated,
    AssetsUpdated,
    BalancesUpdated,
    ChannelsUpdated,
    ClearNodeEvent,
    TransfersReceived,
)
from . import parsing

_LOGGER = logging.getLogger(__package__)


def push_event(frame: InboundFrame) -> ClearNodeEvent | None:
    """Return the event a verified push announces; None for a push we do not use."""
    payload = frame.payload
    match frame.method:
        case "bu":
            return BalancesUpdated(
                parsing.parse_list(payload, "balance_updates", parsing.balance)
            )
        case "asu":
            data = parsing.mapping(payload, "asu")
            allocations = parsing.parse_list(
                data, "participant_allocations", parsing.allocation
            )
            session = parsing.mapping(data.get("app_session"), "asu")
            return AppSessionUpdated(parsing.app_session(session, allocations))
        case "tr":
            return TransfersReceived(
                parsing.parse_list(payload, "transactions", parsing.transaction)
            )
        case "assets":
            return AssetsUpdated(parsing.parse_list(payload, "assets", parsing.asset))
        case "channels":
            return ChannelsUpdated(
                parsing.parse_list(payload, "channels", parsing.channel)
            )
        case "cu":
            return ChannelsUpdated((parsing.channel(parsing.mapping(payload, "cu")),))
    _LOGGER.debug("Ignoring unknown ClearNode push %r", frame.method)
    return None
