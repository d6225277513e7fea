"""Test tokens from the faucet of a test network (the sandbox, a local node)."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .clearnode import (
    Balance,
    ClearNodeError,
    ClearNodeFaucetError,
    Feature,
    WalletClient,
)
from .errors import Translated, translate
from .validation import validation_error


def faucet_translation(err: ClearNodeError) -> Translated:
    """Return how a failed request for test tokens reads.

    The faucet's refusals read as the error table says; without an answer the tokens
    may still come; anything else means the faucet could not be reached.
    """
    if err.outcome_unknown:
        return Translated("faucet_unanswered", {}, None, "faucet_unanswered")
    if isinstance(err, ClearNodeFaucetError):
        return translate(err)
    return Translated(
        "faucet_unreachable", {"error": str(err)}, None, "faucet_unreachable"
    )


async def async_request_test_tokens(client: WalletClient) -> Balance:
    """Ask the faucet for test tokens for our wallet; return what it sent."""
    if Feature.FAUCET not in client.features:
        raise validation_error("no_faucet")
    try:
        return await client.request_test_tokens()
    except ClearNodeError as err:
        raise faucet_translation(err).error(HomeAssistantError) from err
