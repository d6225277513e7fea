"""Reaching a node while an entry is added, changed or converted.

What speaks at an endpoint, who our wallet is there, what it holds, and test tokens
from a faucet; every failure is the InputError a form shows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
import secrets
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .allowances import AssetOffer, offered_assets
from .clearnode import (
    Balance,
    ClearNodeBrokerChangedError,
    ClearNodeError,
    Dialect,
    ProbeOutcome,
    Signer,
    WalletClient,
    probe,
)
from .client import create_client
from .const import LOGGER
from .errors import translate
from .faucet import faucet_translation
from .forms import InputError


@dataclass(frozen=True, slots=True)
class Endpoint:
    """An endpoint that speaks a dialect we support, and the node answering there."""

    url: str
    dialect: Dialect
    node_address: str | None  # a v0.5 node that would not say leaves it to the login
    node_version: str | None  # v1 nodes only


@dataclass(frozen=True, slots=True)
class Account:
    """Who we are on which node."""

    wallet_address: str
    node_address: str

    @property
    def unique_id(self) -> str:
        """Entry id: our wallet on this node."""
        return f"{self.wallet_address}_{self.node_address}".lower()


class BrokerChanged(InputError):
    """The node names another address than the entry trusts."""

    def __init__(self, broker: str) -> None:
        """Keep the new address for the confirmation step."""
        super().__init__("base", "broker_changed")
        self.broker = broker


async def async_probe(hass: HomeAssistant, url: str) -> Endpoint:
    """Tell which supported dialect ``url`` speaks; refuse anything else by name."""
    result = await probe(async_get_clientsession(hass), url)
    match result.outcome:
        case ProbeOutcome.V1:
            return Endpoint(url, Dialect.V1, result.node_address, result.node_version)
        case ProbeOutcome.V05:
            return Endpoint(url, Dialect.V05, result.node_address, None)
        case ProbeOutcome.V1_UNSUPPORTED:
            raise InputError(
                "base",
                "unsupported_node_version",
                node_version=result.node_version or "unknown",
            )
        case ProbeOutcome.UNREACHABLE:
            raise InputError("base", "cannot_connect")
    raise InputError("base", "unrecognised_endpoint", detail=result.detail)


def new_wallet_key() -> tuple[str, str]:
    """Create a wallet: return its private key (0x form) and its address.

    256 random bits are a valid key but with a chance of 2^-128.
    """
    key = secrets.token_hex(32)
    return f"0x{key}", Signer.from_key(key).address


@asynccontextmanager
async def _connected(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> AsyncIterator[WalletClient]:
    """Connect (log in, where there is a login) with entry data; disconnect when done.

    The client trusts only the node the data names, if it names one.
    """
    client = create_client(hass, data, {})
    try:
        await client.connect()
        yield client
    except ClearNodeBrokerChangedError as err:
        raise BrokerChanged(err.actual) from err
    except ClearNodeError as err:
        raise InputError("base", translate(err).form_error) from err
    except Exception as err:
        LOGGER.exception("Unexpected error while connecting to the node")
        raise InputError("base", "unknown") from err
    finally:
        await client.close()


def _account(client: WalletClient) -> Account:
    return Account(client.wallet_address, str(client.node_address))


async def async_login(hass: HomeAssistant, data: Mapping[str, Any]) -> Account:
    """Connect once with the entry data, then disconnect."""
    async with _connected(hass, data) as client:
        return _account(client)


async def async_read_offer(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> tuple[Account, AssetOffer]:
    """Connect, then read the assets on offer and the wallet's balance."""
    async with _connected(hass, data) as client:
        assets = await client.get_assets()
        balances = await client.get_balances()
        return _account(client), AssetOffer.of(
            offered_assets(assets),
            {balance.asset: balance.amount for balance in balances},
        )


async def async_fund_from_faucet(
    hass: HomeAssistant, data: Mapping[str, Any]
) -> Balance:
    """Ask the faucet of the entry data's node for test tokens; return what it sent."""
    client = create_client(hass, data, {})
    try:
        return await client.request_test_tokens()
    except ClearNodeError as err:
        translated = faucet_translation(err)
        raise InputError(
            "base", translated.form_error, **translated.placeholders
        ) from err
    finally:
        await client.close()
