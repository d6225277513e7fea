"""Config, reauth, reconfigure and options flows against the local ClearNode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import NumberSelector
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.nitrolite.allowances import suggested_cap
from custom_components.nitrolite.clearnode import (
    ClearNodeAuthenticationError,
    ClearNodeClockSkewError,
)
from custom_components.nitrolite.const import (
    CONF_ALLOWANCES,
    CONF_APPLICATION,
    CONF_CLOSED_SESSION_RETENTION,
    CONF_DEFAULT_ASSET,
    CONF_DIALECT,
    CONF_ENDPOINT,
    CONF_NODE_ADDRESS,
    CONF_PRIVATE_KEY,
    CONF_REQUEST_TIMEOUT,
    CONF_SESSION_KEY_LIFETIME,
    DOMAIN,
)
from local_clearnode import LocalClearNode

from .conftest import (
    BROKER_KEY,
    COUNTERPARTY,
    COUNTERPARTY_KEY,
    SECRETS,
    WALLET,
    WALLET_KEY,
    setup_entry,
)
from .helpers import call, wait_for

CONNECT = "custom_components.nitrolite.clearnode.ClearNodeClient.connect"
# Malformed or out-of-bounds amounts a number field can carry.
BAD_AMOUNTS = [
    pytest.param(-1, id="negative"),
    pytest.param(float("nan"), id="nan"),
    pytest.param(float("inf"), id="infinite"),
    pytest.param("1e999999999", id="huge-exponent"),
    pytest.param(1e80, id="too-many-digits"),
    pytest.param(1e-37, id="too-many-decimals"),
]


def user_input(node: LocalClearNode, **changes: Any) -> dict[str, Any]:
    """Return what a user types into the first form."""
    return {
        CONF_ENDPOINT: node.url,
        CONF_PRIVATE_KEY: WALLET_KEY.removeprefix("0x"),
        CONF_APPLICATION: "home-assistant",
        CONF_SESSION_KEY_LIFETIME: 24,
        **changes,
    }


async def start_user_flow(hass: HomeAssistant) -> str:
    """Start user flow."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {}
    return result["flow_id"]


async def log_in(hass: HomeAssistant, node: LocalClearNode) -> dict[str, Any]:
    """Pass the first form; return the spending-caps form."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, user_input(node))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "allowances"
    return dict(result)


def suggested_values(result: dict[str, Any]) -> dict[str, Any]:
    """Return what a form shows pre-filled, by field name (what the UI submits)."""
    schema = result["data_schema"]
    assert schema is not None
    return {
        str(key): key.description["suggested_value"]
        for key in schema.schema
        if key.description
    }


# Adding a wallet ----------------------------------------------------------------


async def test_user_flow_logs_in_then_asks_for_a_cap_per_offered_asset(
    hass: HomeAssistant, clearnode: LocalClearNode, caplog: pytest.LogCaptureFixture
) -> None:
    """After the login, one number field per asset, with the balance and a suggestion."""
    result = await log_in(hass, clearnode)

    schema = result["data_schema"]
    assert schema is not None
    assert [str(key) for key in schema.schema] == ["usdc", "ytest.usd"]
    assert all(isinstance(field, NumberSelector) for field in schema.schema.values())
    assert suggested_values(result) == {"usdc": 10.0, "ytest.usd": 5.0}
    assert result["description_placeholders"] == {
        "balances": "- usdc: 100\n- ytest.usd: 50"
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"usdc": 7.5, "ytest.usd": 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == WALLET
    assert result["data"] == {
        CONF_DIALECT: "v0.5",
        CONF_ENDPOINT: clearnode.url,
        CONF_PRIVATE_KEY: WALLET_KEY,
        CONF_APPLICATION: "home-assistant",
        CONF_ALLOWANCES: {"usdc": "7.5", "ytest.usd": "0"},
        CONF_SESSION_KEY_LIFETIME: 24,
        CONF_NODE_ADDRESS: clearnode.broker_address,
    }
    entry = result["result"]
    assert entry.unique_id == f"{WALLET}_{clearnode.broker_address}".lower()
    assert not any(secret in caplog.text for secret in SECRETS)


async def test_accepting_every_default_gives_a_working_product(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Only the endpoint and key typed, every suggestion kept: a deposit within it works."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {CONF_ENDPOINT: clearnode.url, CONF_PRIVATE_KEY: WALLET_KEY},
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], suggested_values(dict(result))
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED

    response = await call(
        hass, "create_app_session", counterparty=COUNTERPARTY, asset="usdc", amount="10"
    )

    assert response["status"] == "open"
    assert clearnode.balance(WALLET, "usdc") == Decimal(90)
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="0.01"
        )
    assert err.value.translation_key == "allowance_exceeded"


async def test_a_cap_of_zero_means_the_key_may_not_spend_that_asset(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """0 refuses every deposit of that asset; the other asset stays usable."""
    result = await log_in(hass, clearnode)
    await hass.config_entries.flow.async_configure(
        result["flow_id"], {"usdc": 0, "ytest.usd": 5}
    )
    await hass.async_block_till_done()

    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass,
            "create_app_session",
            counterparty=COUNTERPARTY,
            asset="usdc",
            amount="1",
        )
    assert err.value.translation_key == "allowance_exceeded"
    assert clearnode.balance(WALLET, "usdc") == Decimal(100)
    await call(
        hass,
        "create_app_session",
        counterparty=COUNTERPARTY,
        asset="ytest.usd",
        amount="1",
    )
    assert clearnode.balance(WALLET, "ytest.usd") == Decimal(49)


async def test_the_suggestion_follows_the_balance(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """A tenth rounded down to 1, 2 or 5 × a power of ten; 1 where the wallet holds none."""
    funding = {WALLET: {"usdc": Decimal("1234.56")}}
    async with LocalClearNode(
        host="127.0.0.1", port=0, fund=funding, broker_key=BROKER_KEY
    ) as node:
        result = await log_in(hass, node)

    assert suggested_values(result) == {"usdc": 100.0, "ytest.usd": 1.0}
    assert result["description_placeholders"] == {
        "balances": "- usdc: 1234.56\n- ytest.usd: 0"
    }


async def test_a_clearnode_offering_no_asset_needs_no_caps(
    socket_enabled: None, hass: HomeAssistant
) -> None:
    """With nothing to spend there is no caps form: the entry is created without caps."""
    async with LocalClearNode(
        host="127.0.0.1", port=0, broker_key=BROKER_KEY, assets=()
    ) as node:
        flow_id = await start_user_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input(node)
        )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_ALLOWANCES] == {}


@pytest.mark.parametrize(
    ("balance", "suggestion"),
    [
        ("100", "10"),
        ("50", "5"),
        ("37", "2"),
        ("1000000", "100000"),
        ("0.003", "0.0002"),
        ("0", "1"),
    ],
)
def test_suggested_cap_rounds_a_tenth_down(balance: str, suggestion: str) -> None:
    """The suggestion is a round figure no larger than a tenth of the balance."""
    assert suggested_cap(Decimal(balance)) == Decimal(suggestion)


@pytest.mark.parametrize("value", BAD_AMOUNTS)
async def test_caps_step_refuses_malformed_or_huge_values(
    hass: HomeAssistant, clearnode: LocalClearNode, value: Any
) -> None:
    """Each bad cap is the field's translated error; nothing is created until fixed."""
    result = await log_in(hass, clearnode)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"usdc": value, "ytest.usd": 5}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"usdc": "invalid_amount"}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"usdc": 10, "ytest.usd": 5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_caps_step_reports_a_clearnode_gone_meanwhile(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The caps are checked by logging in with them; an outage is reported, then passes."""
    result = await log_in(hass, clearnode)
    await clearnode.stop()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"usdc": 10, "ytest.usd": 5}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    await clearnode.start()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"usdc": 10, "ytest.usd": 5}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_aborts_for_an_already_configured_wallet(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """User flow aborts for an already configured wallet, before asking for caps."""
    config_entry.add_to_hass(hass)
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({CONF_ENDPOINT: "wss://"}, CONF_ENDPOINT, "invalid_endpoint"),
        ({CONF_ENDPOINT: "wss://[::1"}, CONF_ENDPOINT, "invalid_endpoint"),
        ({CONF_ENDPOINT: "https://node.example/ws"}, CONF_ENDPOINT, "invalid_endpoint"),
        ({CONF_ENDPOINT: "ws://node.example/ws"}, CONF_ENDPOINT, "insecure_endpoint"),
        ({CONF_ENDPOINT: "ws://8.8.8.8/ws"}, CONF_ENDPOINT, "insecure_endpoint"),
        ({CONF_PRIVATE_KEY: "0x1234"}, CONF_PRIVATE_KEY, "invalid_private_key"),
        ({CONF_PRIVATE_KEY: "zz" * 32}, CONF_PRIVATE_KEY, "invalid_private_key"),
        ({CONF_APPLICATION: "  "}, CONF_APPLICATION, "invalid_application"),
        ({CONF_APPLICATION: "clearnode"}, CONF_APPLICATION, "root_application"),
        ({CONF_APPLICATION: " ClearNode "}, CONF_APPLICATION, "root_application"),
    ],
)
async def test_user_flow_rejects_bad_input_then_recovers(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """User flow rejects bad input then recovers."""
    flow_id = await start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode, **changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["step_id"] == "allowances"


async def test_user_flow_accepts_ws_to_private_network_hosts(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """ws:// is fine for localhost and private addresses (the login then fails here)."""
    flow_id = await start_user_flow(hass)
    for endpoint in ("ws://localhost:1/ws", "ws://192.168.1.20:1/ws"):
        with patch(CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
            result = await hass.config_entries.flow.async_configure(
                flow_id, user_input(clearnode, **{CONF_ENDPOINT: endpoint})
            )
        assert result["errors"] == {"base": "invalid_auth"}


async def test_user_flow_reports_an_unreachable_clearnode(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """User flow reports an unreachable clearnode."""
    flow_id = await start_user_flow(hass)
    await clearnode.stop()
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["errors"] == {"base": "cannot_connect"}

    await clearnode.start()
    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["step_id"] == "allowances"


@pytest.mark.parametrize(
    ("exception", "error"),
    [
        (ClearNodeAuthenticationError("invalid signature"), "invalid_auth"),
        (
            ClearNodeClockSkewError("auth_verify", "invalid message timestamp"),
            "clock_skew",
        ),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_user_flow_maps_login_errors(
    hass: HomeAssistant,
    clearnode: LocalClearNode,
    exception: Exception,
    error: str,
) -> None:
    """Login refusals the local ClearNode cannot be made to produce are patched in."""
    flow_id = await start_user_flow(hass)
    with patch(CONNECT, side_effect=exception):
        result = await hass.config_entries.flow.async_configure(
            flow_id, user_input(clearnode)
        )
    assert result["errors"] == {"base": error}

    result = await hass.config_entries.flow.async_configure(
        flow_id, user_input(clearnode)
    )
    assert result["step_id"] == "allowances"


# Re-authentication and reconfiguration ---------------------------------------------


async def test_reauth_updates_the_key_and_reloads(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Reauth updates the key and reloads."""
    result = await loaded_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    with patch(CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PRIVATE_KEY: WALLET_KEY}
        )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: "bad"}
    )
    assert result["errors"] == {CONF_PRIVATE_KEY: "invalid_private_key"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: WALLET_KEY.removeprefix("0x").upper()}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert loaded_entry.data[CONF_PRIVATE_KEY] == WALLET_KEY
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reauth_refuses_another_wallet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Reauth refuses another wallet."""
    result = await loaded_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PRIVATE_KEY: COUNTERPARTY_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wallet_mismatch"
    assert loaded_entry.data[CONF_PRIVATE_KEY] == WALLET_KEY


async def test_reconfigure_changes_the_endpoint(
    hass: HomeAssistant, loaded_entry: MockConfigEntry
) -> None:
    """Reconfigure changes the endpoint."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENDPOINT: "ws://node.example/ws"}
    )
    assert result["errors"] == {CONF_ENDPOINT: "insecure_endpoint"}

    # The same ClearNode (same broker key) reached at another address.
    async with LocalClearNode(host="127.0.0.1", port=0, broker_key=BROKER_KEY) as moved:
        new_url = moved.url
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_ENDPOINT: new_url, CONF_PRIVATE_KEY: WALLET_KEY}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert loaded_entry.data[CONF_ENDPOINT] == new_url
        await hass.async_block_till_done()
        assert loaded_entry.state is ConfigEntryState.LOADED


async def test_reconfigure_reports_login_errors_then_recovers(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, clearnode: LocalClearNode
) -> None:
    """Reconfigure reports login errors then recovers."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    with patch(CONNECT, side_effect=ClearNodeAuthenticationError("refused")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_ENDPOINT: clearnode.url}
        )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_ENDPOINT: clearnode.url}
    )
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_refuses_another_wallet(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, clearnode: LocalClearNode
) -> None:
    """Reconfigure refuses another wallet."""
    result = await loaded_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_ENDPOINT: clearnode.url, CONF_PRIVATE_KEY: COUNTERPARTY_KEY},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wallet_mismatch"


# Options --------------------------------------------------------------------------

GENERAL_OPTIONS = {
    CONF_DEFAULT_ASSET: " USDC ",
    CONF_REQUEST_TIMEOUT: 5,
    CONF_CLOSED_SESSION_RETENTION: 2,
}


async def open_caps_step(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    """Pass the general options; return the spending-caps form."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], GENERAL_OPTIONS
    )
    assert result["step_id"] == "allowances"
    return dict(result)


async def test_options_flow_changes_the_caps_and_reloads(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """The caps form starts from the current caps; saving applies the new ones."""
    result = await open_caps_step(hass, loaded_entry)
    assert suggested_values(result) == {"usdc": 10.0, "ytest.usd": 5.0}
    assert result["description_placeholders"] == {
        "balances": "- usdc: 100\n- ytest.usd: 50"
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"usdc": 3, "ytest.usd": 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert loaded_entry.options == {
        CONF_DEFAULT_ASSET: "usdc",
        CONF_REQUEST_TIMEOUT: 5,
        CONF_CLOSED_SESSION_RETENTION: 2,
        CONF_ALLOWANCES: {"usdc": "3", "ytest.usd": "0"},
    }
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.LOADED

    for asset, amount in (("usdc", "4"), ("ytest.usd", "1")):
        with pytest.raises(HomeAssistantError) as err:
            await call(
                hass, "transfer", destination=COUNTERPARTY, asset=asset, amount=amount
            )
        assert err.value.translation_key == "allowance_exceeded"
    await call(hass, "transfer", destination=COUNTERPARTY, asset="usdc", amount="3")
    assert clearnode.balance(WALLET, "usdc") == Decimal(97)


@pytest.mark.parametrize("value", BAD_AMOUNTS)
async def test_options_flow_refuses_malformed_or_huge_caps(
    hass: HomeAssistant, loaded_entry: MockConfigEntry, value: Any
) -> None:
    """A bad cap is the field's translated error; the options stay unchanged."""
    result = await open_caps_step(hass, loaded_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"usdc": 1, "ytest.usd": value}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"ytest.usd": "invalid_amount"}
    assert loaded_entry.options == {}


async def test_options_flow_offers_every_asset_even_without_a_cap(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Assets without a cap show 0; leaving the default asset empty removes it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=WALLET,
        unique_id=f"{WALLET}_{clearnode.broker_address}".lower(),
        data={
            CONF_ENDPOINT: clearnode.url,
            CONF_PRIVATE_KEY: WALLET_KEY,
            CONF_APPLICATION: "home-assistant",
            CONF_ALLOWANCES: {},
            CONF_SESSION_KEY_LIFETIME: 1,
        },
        options={CONF_DEFAULT_ASSET: "usdc"},
    )
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_REQUEST_TIMEOUT: 10, CONF_CLOSED_SESSION_RETENTION: 0}
    )
    assert suggested_values(dict(result)) == {"usdc": 0.0, "ytest.usd": 0.0}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"usdc": 0, "ytest.usd": 0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_REQUEST_TIMEOUT: 10,
        CONF_CLOSED_SESSION_RETENTION: 0,
        CONF_ALLOWANCES: {"usdc": "0", "ytest.usd": "0"},
    }


async def test_options_flow_keeps_the_capped_assets_while_the_clearnode_is_down(
    hass: HomeAssistant, clearnode: LocalClearNode, loaded_entry: MockConfigEntry
) -> None:
    """Without the ClearNode's list, the caps form shows the assets that have a cap."""
    hass.config_entries.async_update_entry(
        loaded_entry, options={CONF_ALLOWANCES: {"usdc": "2"}}
    )
    await clearnode.stop()
    await wait_for(hass, lambda: not loaded_entry.runtime_data.coordinator.connected)

    result = await open_caps_step(hass, loaded_entry)

    assert suggested_values(result) == {"usdc": 2.0}


async def test_options_flow_of_an_entry_not_loaded_shows_its_caps_without_balances(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    """An entry that is not set up cannot ask its ClearNode: its caps, no balances."""
    config_entry.add_to_hass(hass)

    result = await open_caps_step(hass, config_entry)

    assert suggested_values(result) == {"usdc": 10.0, "ytest.usd": 5.0}
    assert result["description_placeholders"] == {"balances": "- usdc\n- ytest.usd"}
