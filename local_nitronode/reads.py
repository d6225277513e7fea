"""``node.v1.*`` and ``user.v1.*``: the node's configuration, balances, transactions.

All public: anyone may read any wallet.
"""

from __future__ import annotations

import base64
from typing import Any

from . import params
from .constants import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, SUPPORTED_SIG_VALIDATORS
from .context import Call
from .errors import RPCError
from .gotypes import optional_string, optional_uint, parse_uint, rfc3339, string, struct
from .states import go_amount
from .store import Transaction


def ping(call: Call) -> dict[str, Any]:
    """``{}`` → ``{}``."""
    call.decode(struct)
    return {}


def get_config(call: Call) -> dict[str, Any]:
    """Node address and version, chains, and the signer types it validates."""
    call.decode(struct)
    config = call.node.config
    return {
        "node_address": call.node.address,
        "node_version": config.node_version,
        # Go marshals the []uint8 of signer types as base64: [0, 1] is "AAE=".
        "supported_sig_validators": base64.b64encode(
            bytes(SUPPORTED_SIG_VALIDATORS)
        ).decode(),
        "blockchains": [
            {
                "name": chain.name,
                "blockchain_id": str(chain.blockchain_id),
                "channel_hub_address": chain.channel_hub_address,
                "confirmation_delay_secs": chain.confirmation_delay_secs,
            }
            for chain in config.blockchains
        ],
    }


def get_assets(call: Call) -> dict[str, Any]:
    """Every asset with its tokens, optionally only those on one chain."""
    chain_text = call.decode(lambda d: optional_string(d.get("blockchain_id")))
    chain: int | None = None
    if chain_text is not None:
        try:
            chain = parse_uint(chain_text)
        except ValueError:
            raise RPCError("invalid blockchain_id") from None
    assets = []
    for asset in call.node.config.assets:
        tokens = [t for t in asset.tokens if chain in (None, t.blockchain_id)]
        if not tokens:
            continue
        assets.append(
            {
                "name": asset.name,
                "symbol": asset.symbol,
                "decimals": asset.decimals,
                "suggested_blockchain_id": str(asset.suggested_blockchain_id),
                "tokens": [
                    {
                        "name": token.name,
                        "symbol": token.symbol,
                        "address": token.address,
                        "blockchain_id": str(token.blockchain_id),
                        "decimals": token.decimals,
                    }
                    for token in tokens
                ],
            }
        )
    return {"assets": assets}


def get_balances(call: Call) -> dict[str, Any]:
    """``{wallet}`` → off-chain balance per asset; nothing is enforced on chain here."""
    owner = params.wallet(call.decode(lambda d: string(d.get("wallet"))))
    return {
        "balances": [
            {"asset": asset, "amount": go_amount(amount), "enforced": "0"}
            for asset, amount in call.node.store.balances(owner).items()
        ]
    }


def transaction_json(transaction: Transaction) -> dict[str, Any]:
    """TransactionV1 (``created_at`` in RFC 3339, seconds, UTC)."""
    data: dict[str, Any] = {
        "id": transaction.id,
        "asset": transaction.asset,
        "tx_type": int(transaction.tx_type),
        "from_account": transaction.from_account,
        "to_account": transaction.to_account,
    }
    if transaction.sender_new_state_id is not None:
        data["sender_new_state_id"] = transaction.sender_new_state_id
    if transaction.receiver_new_state_id is not None:
        data["receiver_new_state_id"] = transaction.receiver_new_state_id
    data["amount"] = go_amount(transaction.amount)
    data["created_at"] = rfc3339(transaction.created_at)
    return data


def get_transactions(call: Call) -> dict[str, Any]:
    """Return a wallet's transactions, newest first, filtered and paginated."""
    owner_text, asset, tx_type, page, since, until = call.decode(
        lambda d: (
            string(d.get("wallet")),
            optional_string(d.get("asset")),
            optional_uint(d.get("tx_type"), 8),
            params.pagination(d.get("pagination")),
            optional_uint(d.get("from_time"), 64),
            optional_uint(d.get("to_time"), 64),
        )
    )
    owner = params.wallet(owner_text)
    found = [
        transaction
        for transaction in reversed(call.node.store.transactions)
        if owner in (transaction.from_account, transaction.to_account)
        and asset in (None, transaction.asset)
        and tx_type in (None, transaction.tx_type)
        and (since is None or transaction.created_at >= since)
        and (until is None or transaction.created_at <= until)
    ]
    shown, metadata = params.paginate(found, page, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return {
        "transactions": [transaction_json(t) for t in shown],
        "metadata": metadata,
    }
