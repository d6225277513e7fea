"""Every library error reads as a translated message, with the repair that fixes it."""

from __future__ import annotations

import json
from pathlib import Path
import re

import pytest

import custom_components.nitrolite
from custom_components.nitrolite.clearnode import (
    ClearNodeAllowanceError,
    ClearNodeAuthenticationError,
    ClearNodeBrokerChangedError,
    ClearNodeClockSkewError,
    ClearNodeConnectionError,
    ClearNodeError,
    ClearNodeProtocolError,
    ClearNodeRejectedError,
    ClearNodeSessionKeyError,
    ClearNodeTimeoutError,
    ClearNodeValidationError,
)
from custom_components.nitrolite.errors import translate

from .conftest import COUNTERPARTY, WALLET

STRINGS = json.loads(
    (
        Path(custom_components.nitrolite.__file__).parent / "translations" / "en.json"
    ).read_text(encoding="utf-8")
)

CASES = {
    "input": (
        ClearNodeValidationError("amount", "not a number"),
        "invalid_input",
        {"field": "amount", "error": "amount: not a number"},
        None,
        "cannot_connect",
    ),
    "spending cap": (
        ClearNodeAllowanceError("transfer", "allowance exceeded"),
        "allowance_exceeded",
        {"reason": "allowance exceeded"},
        "allowance_exhausted",
        "cannot_connect",
    ),
    "clock": (
        ClearNodeClockSkewError("transfer", "invalid message timestamp"),
        "clock_skew",
        {},
        "clock_skew",
        "clock_skew",
    ),
    "refusal": (
        ClearNodeRejectedError("transfer", "insufficient funds"),
        "request_rejected",
        {"reason": "insufficient funds"},
        None,
        "cannot_connect",
    ),
    "session key": (
        ClearNodeSessionKeyError("refused"),
        "session_key_expired",
        {},
        "session_key_not_renewable",
        "invalid_auth",
    ),
    "login": (
        ClearNodeAuthenticationError("refused"),
        "authentication_failed",
        {},
        None,
        "invalid_auth",
    ),
    "broker": (
        ClearNodeBrokerChangedError(WALLET, COUNTERPARTY),
        "broker_changed",
        {"expected": WALLET, "actual": COUNTERPARTY},
        "broker_changed",
        "broker_changed",
    ),
    "no answer": (ClearNodeTimeoutError("slow"), "timeout", {}, None, "cannot_connect"),
    "no connection": (
        ClearNodeConnectionError("down"),
        "not_connected",
        {},
        None,
        "cannot_connect",
    ),
    "anything else": (
        ClearNodeProtocolError("forged answer"),
        "communication_error",
        {"error": "forged answer"},
        None,
        "cannot_connect",
    ),
}


@pytest.mark.parametrize(
    ("error", "key", "placeholders", "issue", "form_error"),
    CASES.values(),
    ids=CASES.keys(),
)
async def test_each_library_error_has_its_message_and_repair(
    error: ClearNodeError,
    key: str,
    placeholders: dict[str, str],
    issue: str | None,
    form_error: str,
) -> None:
    """The table names a message whose placeholders it fills, a form error, a repair."""
    translated = translate(error)

    assert (translated.key, translated.placeholders) == (key, placeholders)
    assert (translated.issue, translated.form_error) == (issue, form_error)
    message = STRINGS["exceptions"][key]["message"]
    assert set(re.findall(r"{(\w+)}", message)) == set(placeholders)
    assert form_error in STRINGS["config"]["error"]
    assert issue is None or issue in STRINGS["issues"]
