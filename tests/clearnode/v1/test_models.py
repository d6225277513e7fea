"""v1 results and payloads parse strictly into typed models, within bounds."""

from decimal import Decimal
from typing import Any

import pytest

from custom_components.nitrolite.clearnode.errors import (
    ClearNodeProtocolError,
    ClearNodeUnsupportedNodeError,
)
from custom_components.nitrolite.clearnode.models import Allocation, AppSession
from custom_components.nitrolite.clearnode.v1.models import (
    PROTOCOL,
    AppIntent,
    AppStateUpdate,
    Asset,
    BalanceEntry,
    NodeConfig,
    Transaction,
    TransactionType,
    app_definition_from_wire,
    app_definition_to_wire,
    app_session_from_wire,
    parse_items,
    parse_page,
)
from custom_components.nitrolite.clearnode.v1.session_keys import (
    AppSessionKeyState,
    ChannelSessionKeyState,
)

from .vectors import address, load, two_party

VECTORS = two_party()
DEFINITION = VECTORS["create"]["definition"]
SESSION_ID = VECTORS["create"]["app_session_id"]
USER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
PEER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
NODE_CONFIG = {
    "blockchains": [
        {
            "name": "Sepolia",
            "blockchain_id": "11155111",
            "channel_hub_address": "0x" + "12" * 20,
            "confirmation_delay_secs": 12,
        }
    ],
    "node_address": VECTORS["channel"]["node_address"],
    "node_version": "v1.4.1",
    "supported_sig_validators": "AAE=",
}
SESSION_INFO = {
    "app_session_id": SESSION_ID,
    "status": "open",
    "app_definition": DEFINITION,
    "session_data": '{"kwh":"1.5"}',
    "version": "3",
    "allocations": [
        {"participant": address("user"), "asset": "yusd", "amount": "4.25"},
        {"participant": address("peer"), "asset": "yusd", "amount": "0.75"},
    ],
}
METADATA = {"page": 1, "per_page": 10, "total_count": 1, "page_count": 1}


def test_node_config_gives_identity_version_and_chains() -> None:
    """get_config: node address, version, chains; Go's base64 validator list decoded."""
    config = NodeConfig.from_wire(NODE_CONFIG)
    assert config.node_address == VECTORS["channel"]["node_address"]
    assert config.version == (1, 4, 1)
    assert config.supported_sig_validators == (0, 1)
    assert [(c.name, c.blockchain_id) for c in config.blockchains] == [
        ("Sepolia", 11155111)
    ]
    config.require_supported()


def test_validators_may_also_come_as_a_list() -> None:
    """The TS SDK's form of supported_sig_validators is a list of numbers."""
    config = NodeConfig.from_wire({**NODE_CONFIG, "supported_sig_validators": [0, 1]})
    assert config.supported_sig_validators == (0, 1)


@pytest.mark.parametrize(
    "version", ["v1.3.0", "v1.4.1", "1.5.0", "v1.3.2-rc.1", "v2.0.0"]
)
def test_nodes_from_v1_3_are_supported(version: str) -> None:
    """v1.3.0 and later (pre-release tags included) are spoken."""
    NodeConfig.from_wire({**NODE_CONFIG, "node_version": version}).require_supported()


@pytest.mark.parametrize("version", ["v1.2.9", "v1.0.0", "", "dev", "v1.4", None])
def test_older_or_unknown_node_versions_are_refused(version: str | None) -> None:
    """v1.2 needs registered apps, older nodes another shape; unknown counts as older."""
    config = NodeConfig.from_wire({**NODE_CONFIG, "node_version": version})
    with pytest.raises(ClearNodeUnsupportedNodeError) as caught:
        config.require_supported()
    assert caught.value.node_version == (version or "")


def test_assets_carry_asset_and_token_decimals() -> None:
    """An asset's precision and each chain's token decimals are distinct."""
    asset = Asset.from_wire(
        {
            "name": "Yellow USD",
            "symbol": "yusd",
            "decimals": 6,
            "suggested_blockchain_id": "11155111",
            "tokens": [
                {
                    "name": "Yellow USD",
                    "symbol": "YUSD",
                    "address": VECTORS["channel"]["token_address"],
                    "blockchain_id": "11155111",
                    "decimals": 6,
                },
                {
                    "name": "Yellow USD",
                    "symbol": "YUSD",
                    "address": "0x" + "34" * 20,
                    "blockchain_id": "80002",
                    "decimals": 18,
                },
            ],
        }
    )
    assert (asset.decimals, asset.suggested_blockchain_id) == (6, 11155111)
    token = asset.token_on(80002)
    assert token is not None
    assert token.decimals == 18
    assert asset.token_on(1) is None


def test_balances_have_an_amount_and_an_enforced_part() -> None:
    """get_balances entries: off-chain amount and the part enforced on chain."""
    balances = parse_items(
        {"balances": [{"asset": "yusd", "amount": "10", "enforced": "0"}]},
        "balances",
        BalanceEntry.from_wire,
    )
    assert balances == (BalanceEntry("yusd", Decimal(10), Decimal(0)),)


def test_an_app_session_listing_becomes_neutral_sessions() -> None:
    """AppSessionInfo maps onto the shared AppSession, allocations always known."""
    sessions, metadata = parse_page(
        {"app_sessions": [SESSION_INFO], "metadata": METADATA},
        "app_sessions",
        app_session_from_wire,
    )
    assert sessions == (
        AppSession(
            app_session_id=SESSION_ID,
            application="ha-nitrolite",
            status="open",
            participants=(USER, PEER),
            weights=(1, 1),
            quorum=2,
            protocol=PROTOCOL,
            challenge=0,
            nonce=1764201600000,
            version=3,
            session_data='{"kwh":"1.5"}',
            created_at="",
            updated_at="",
            allocations=(
                Allocation(USER, "yusd", Decimal("4.25")),
                Allocation(PEER, "yusd", Decimal("0.75")),
            ),
        ),
    )
    assert metadata.total_count == 1


def test_a_closed_session_lists_its_allocations_as_zero() -> None:
    """The close debits the session ledger: allocations read "0", null means none."""
    closed = app_session_from_wire(
        {
            **SESSION_INFO,
            "status": "closed",
            "allocations": [
                {"participant": address("user"), "asset": "yusd", "amount": "0"}
            ],
        }
    )
    assert closed.status == "closed"
    assert closed.allocations == (Allocation(USER, "yusd", Decimal(0)),)
    assert (
        app_session_from_wire({**SESSION_INFO, "allocations": None}).allocations == ()
    )


def test_a_session_without_data_has_none() -> None:
    """session_data is omitted when empty; it reads as None like v0.5's."""
    info = {key: value for key, value in SESSION_INFO.items() if key != "session_data"}
    assert app_session_from_wire(info).session_data is None


def test_a_definition_round_trips_lowercase_with_its_nonce_as_text() -> None:
    """Parsed participants are EIP-55; on the wire they are lowercase again."""
    definition = app_definition_from_wire(DEFINITION)
    assert definition.participants == (USER, PEER)
    assert app_definition_to_wire(definition) == DEFINITION


@pytest.mark.parametrize(
    "name", ["close_empty_v2", "deposit_v2", "operate_v3", "close_v4"]
)
def test_updates_round_trip(name: str) -> None:
    """An app state update parses and re-encodes to the same JSON."""
    wire = VECTORS["updates"][name]["app_state_update"]
    update = AppStateUpdate.from_wire(wire)
    assert update.to_wire() == wire
    assert isinstance(update.intent, AppIntent)


def test_key_states_round_trip() -> None:
    """An app-session key state parses and re-encodes to the same JSON."""
    wire = {
        **VECTORS["app_session_key_state"]["state"],
        "user_sig": "",
        "session_key_sig": "",
    }
    assert AppSessionKeyState.from_wire(wire).to_wire() == wire


def test_channel_key_states_round_trip() -> None:
    """A channel session key state parses and re-encodes to the same JSON."""
    wire = {
        **load("chsk")["state"],
        "user_sig": "0x" + "11" * 65,
        "session_key_sig": "",
    }
    state = ChannelSessionKeyState.from_wire(wire)
    assert state.assets == ("yusd",)
    assert state.to_wire() == wire


def test_transactions_keep_unknown_types_as_numbers() -> None:
    """Known tx types compare to the enum; a future one stays a plain number."""
    record = {
        "id": "0x" + "aa" * 32,
        "asset": "yusd",
        "tx_type": 30,
        "from_account": address("user"),
        "to_account": address("peer"),
        "receiver_new_state_id": "0x" + "bb" * 32,
        "amount": "1.5",
        "created_at": "2026-11-27T17:35:12Z",
    }
    transaction = Transaction.from_wire(record)
    assert transaction.tx_type == TransactionType.TRANSFER
    assert transaction.sender_new_state_id is None
    assert Transaction.from_wire({**record, "tx_type": 99}).tx_type == 99


def with_participants(count: int) -> dict[str, Any]:
    """Return the definition with ``count`` participants."""
    participant = DEFINITION["participants"][0]
    return {**DEFINITION, "participants": [participant] * count}


MALFORMED: dict[str, tuple[Any, Any]] = {
    "quorum as text": (app_definition_from_wire, {**DEFINITION, "quorum": "2"}),
    "quorum past uint8": (app_definition_from_wire, {**DEFINITION, "quorum": 256}),
    "nonce as a number": (app_definition_from_wire, {**DEFINITION, "nonce": 1}),
    "negative nonce": (app_definition_from_wire, {**DEFINITION, "nonce": "-1"}),
    "nonce past uint64": (
        app_definition_from_wire,
        {**DEFINITION, "nonce": str(2**64)},
    ),
    "weight past uint8": (
        app_definition_from_wire,
        {
            **DEFINITION,
            "participants": [
                {"wallet_address": address("user"), "signature_weight": 256}
            ],
        },
    ),
    "participant not an address": (
        app_definition_from_wire,
        {
            **DEFINITION,
            "participants": [{"wallet_address": "0x12", "signature_weight": 1}],
        },
    ),
    "too many participants": (app_definition_from_wire, with_participants(257)),
    "application id too long": (
        app_definition_from_wire,
        {**DEFINITION, "application_id": "a" * 4097},
    ),
    "unknown intent": (
        AppStateUpdate.from_wire,
        {**VECTORS["updates"]["close_v4"]["app_state_update"], "intent": 4},
    ),
    "amount with spaces": (
        AppStateUpdate.from_wire,
        {
            **VECTORS["updates"]["deposit_v2"]["app_state_update"],
            "allocations": [
                {"participant": address("user"), "asset": "yusd", "amount": " 5"}
            ],
        },
    ),
    "status unknown": (app_session_from_wire, {**SESSION_INFO, "status": "closing"}),
    "no definition": (app_session_from_wire, {**SESSION_INFO, "app_definition": None}),
    "negative balance": (
        BalanceEntry.from_wire,
        {"asset": "yusd", "amount": "-1", "enforced": "0"},
    ),
    "balance as a number": (
        BalanceEntry.from_wire,
        {"asset": "yusd", "amount": 1, "enforced": "0"},
    ),
    "validators not base64": (
        NodeConfig.from_wire,
        {**NODE_CONFIG, "supported_sig_validators": "A@E="},
    ),
    "node address not hex": (
        NodeConfig.from_wire,
        {**NODE_CONFIG, "node_address": "0x" + "zz" * 20},
    ),
    "validators too long": (
        NodeConfig.from_wire,
        {**NODE_CONFIG, "supported_sig_validators": "AAAA" * 100},
    ),
    "allocations an object": (
        app_session_from_wire,
        {**SESSION_INFO, "allocations": {}},
    ),
    "more than a page": (
        lambda data: parse_page(data, "app_sessions", app_session_from_wire),
        {"app_sessions": [SESSION_INFO] * 101, "metadata": METADATA},
    ),
    "page without metadata": (
        lambda data: parse_page(data, "app_sessions", app_session_from_wire),
        {"app_sessions": []},
    ),
}


@pytest.mark.parametrize(("parse", "data"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_or_oversized_data_is_a_protocol_error(parse: Any, data: Any) -> None:
    """Wrong JSON types, out-of-range numbers and oversized lists or strings are refused."""
    with pytest.raises(ClearNodeProtocolError, match="unexpected v1 data"):
        parse(data)
