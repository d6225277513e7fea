"""Config, reauth, reconfigure and options flows against the local ClearNode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
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
    ProbeOutcome,
    ProbeResult,
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
from .flow_helpers import configure, enter_key, start_flow, suggested_values
from .helpers import call, wait_for

CONNECT = "custom_components.nitrolite.clearnode.ClearNodeClient.connect"
PROBE = "custom_components.nitrolite.onboarding.probe"
# Malformed or out-of-bounds amounts a number field can carry.
BAD_AMOUNTS = [
    pytest.param(-1, id="negative"),
    pytest.param(float("nan"), id="nan"),
    pytest.param(float("inf"), id="infinite"),
    pytest.param("1e999999999", id="huge-exponent"),
    pytest.param(1e80, id="too-many-digits"),
    pytest.param(1e-37, id="too-many-decimals"),
]


CLEARNODE_SETTINGS = {CONF_APPLICATION: "home-assistant", CONF_SESSION_KEY_LIFETIME: 24}


async def reach_clearnode_step(
    hass: HomeAssistant, node: LocalClearNode, key: str = WALLET_KEY
) -> str:
    """Choose the node's endpoint and enter the key; return the flow at its settings."""
    result = await enter_key(hass, node.url, key.removeprefix("0x"))
    assert result["step_id"] == "clearnode", result
    return str(result["flow_id"])


async def log_in(hass: HomeAssistant, node: LocalClearNode) -> dict[str, Any]:
    """Pass the ClearNode's settings; return the spending-caps form."""
    flow_id = await reach_clearnode_step(hass, node)
    result = await configure(hass, flow_id, CLEARNODE_SETTINGS)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "allowances"
    return result


# Adding a wallet on a ClearNode v0.5 ------------------------------------------------


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

    result = await configure(hass, result["flow_id"], {"usdc": 7.5, "ytest.usd": 0})
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
    assert result["options"] == {}
    entry = result["result"]
    assert entry.unique_id == f"{WALLET}_{clearnode.broker_address}".lower()
    assert not any(secret in caplog.text for secret in SECRETS)


async def test_accepting_every_default_gives_a_working_product(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """Only the endpoint and key typed, every default kept: a deposit within it works."""
    flow_id = await reach_clearnode_step(hass, clearnode)
    result = await configure(hass, flow_id, {})
    result = await configure(hass, flow_id, suggested_values(result))
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
    await configure(hass, result["flow_id"], {"usdc": 0, "ytest.usd": 5})
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
        flow_id = await reach_clearnode_step(hass, node)
        result = await configure(hass, flow_id, CLEARNODE_SETTINGS)

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
    result = await configure(hass, result["flow_id"], {"usdc": value, "ytest.usd": 5})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"usdc": "invalid_amount"}
    assert not hass.config_entries.async_entries(DOMAIN)

    result = await configure(hass, result["flow_id"], {"usdc": 10, "ytest.usd": 5})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_caps_step_reports_a_clearnode_gone_meanwhile(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """The caps are checked by logging in with them; an outage is reported, then passes."""
    result = await log_in(hass, clearnode)
    await clearnode.stop()
    result = await configure(hass, result["flow_id"], {"usdc": 10, "ytest.usd": 5})
    assert result["errors"] == {"base": "cannot_connect"}

    await clearnode.start()
    result = await configure(hass, result["flow_id"], {"usdc": 10, "ytest.usd": 5})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_aborts_for_an_already_configured_wallet(
    hass: HomeAssistant, clearnode: LocalClearNode, config_entry: MockConfigEntry
) -> None:
    """The same wallet on the same ClearNode aborts at the login, before the caps."""
    config_entry.add_to_hass(hass)
    flow_id = await reach_clearnode_step(hass, clearnode)
    result = await configure(hass, flow_id, CLEARNODE_SETTINGS)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("endpoint", "error"),
    [
        ("wss://", "invalid_endpoint"),
        ("wss://[::1", "invalid_endpoint"),
        ("https://node.example/ws", "invalid_endpoint"),
        ("ws://node.example/ws", "insecure_endpoint"),
        ("ws://8.8.8.8/ws", "insecure_endpoint"),
    ],
)
async def test_a_bad_custom_endpoint_is_refused_next_to_it_then_recovers(
    hass: HomeAssistant, clearnode: LocalClearNode, endpoint: str, error: str
) -> None:
    """A malformed or insecure URL is the field's error; nothing is probed for it."""
    flow_id = await start_flow(hass)
    await configure(hass, flow_id, {"network": "custom"})
    with patch(PROBE) as probe:
        result = await configure(hass, flow_id, {CONF_ENDPOINT: endpoint})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ENDPOINT: error}
    probe.assert_not_called()

    result = await configure(hass, flow_id, {CONF_ENDPOINT: clearnode.url})
    assert result["step_id"] == "wallet"


@pytest.mark.parametrize("key", ["0x1234", "zz" * 32])
async def test_a_malformed_key_is_refused_next_to_it_then_recovers(
    hass: HomeAssistant, clearnode: LocalClearNode, key: str
) -> None:
    """A key that is not 64 hexadecimal digits is the field's error."""
    result = await enter_key(hass, clearnode.url, key)
    assert result["errors"] == {CONF_PRIVATE_KEY: "invalid_private_key"}

    result = await configure(hass, result["flow_id"], {CONF_PRIVATE_KEY: WALLET_KEY})
    assert result["step_id"] == "clearnode"


@pytest.mark.parametrize(
    ("application", "error"),
    [
        ("  ", "invalid_application"),
        ("clearnode", "root_application"),
        (" ClearNode ", "root_application"),
    ],
)
async def test_a_bad_application_name_is_refused_next_to_it_then_recovers(
    hass: HomeAssistant, clearnode: LocalClearNode, application: str, error: str
) -> None:
    """No name, or the ClearNode's own, is refused before anything is sent."""
    flow_id = await reach_clearnode_step(hass, clearnode)
    result = await configure(
        hass, flow_id, {**CLEARNODE_SETTINGS, CONF_APPLICATION: application}
    )
    assert result["errors"] == {CONF_APPLICATION: error}

    result = await configure(hass, flow_id, CLEARNODE_SETTINGS)
    assert result["step_id"] == "allowances"


@pytest.mark.parametrize(
    "endpoint", ["ws://localhost:1/ws", "ws://192.168.1.20:1/ws", "ws://[::1]:1/ws"]
)
async def test_plain_ws_is_probed_for_this_machine_and_private_networks(
    hass: HomeAssistant, endpoint: str
) -> None:
    """ws:// to a private host is accepted and asked what it speaks."""
    flow_id = await start_flow(hass)
    await configure(hass, flow_id, {"network": "custom"})
    with patch(PROBE, return_value=ProbeResult(ProbeOutcome.UNREACHABLE)) as probe:
        result = await configure(hass, flow_id, {CONF_ENDPOINT: endpoint})

    assert result["errors"] == {"base": "cannot_connect"}
    assert probe.call_args.args[1] == endpoint


async def test_user_flow_reports_an_unreachable_clearnode(
    hass: HomeAssistant, clearnode: LocalClearNode
) -> None:
    """An endpoint nothing answers at is a form-wide error; it passes once it answers."""
    flow_id = await start_flow(hass)
    await configure(hass, flow_id, {"network": "custom"})
    await clearnode.stop()
    result = await configure(hass, flow_id, {CONF_ENDPOINT: clearnode.url})
    assert result["step_id"] == "custom"
    assert result["errors"] == {"base": "cannot_connect"}

    await clearnode.start()
    result = await configure(hass, flow_id, {CONF_ENDPOINT: clearnode.url})
    assert result["step_id"] == "wallet"


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
    flow_id = await reach_clearnode_step(hass, clearnode)
    with patch(CONNECT, side_effect=exception):
        result = await configure(hass, flow_id, CLEARNODE_SETTINGS)
    assert result["errors"] == {"base": error}

    result = await configure(hass, flow_id, CLEARNODE_SETTINGS)
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
