"""A new user adds the integration through the UI, sets its options and fixes a repair.

Home Assistant runs as `scripts/develop --no-demo-entry` starts it: the demo dashboard is
there, the wallets are not. The user adds the ClearNode v0.5 demo wallet by its key, then
a wallet Home Assistant creates on the Nitronode v1. The tests run in order, as one visit.
"""

from __future__ import annotations

import re

from playwright.async_api import expect
import pytest

from local_clearnode import DEMO_WALLET_ADDRESS, DEMO_WALLET_KEY

from .conftest import START_TIMEOUT, Servers
from .pages import (
    DemoDashboard,
    HomeAssistantUI,
    IntegrationPage,
    IntegrationsDashboard,
    RepairsPage,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(START_TIMEOUT + 120),
]

WALLET = "ClearNode v0.5 wallet"  # its column on the demo dashboard
USDC_CAP = "15"  # one 10 usdc demo session fits, a second one does not
CAP_REPAIR = f"Spending cap used up for {DEMO_WALLET_ADDRESS}"


@pytest.fixture(scope="module")
def develop_options() -> tuple[str, ...]:
    """Start without the demo wallet's entry: the user adds it."""
    return ("--no-demo-entry",)


async def test_adding_the_wallet_explains_each_refused_field(
    ui: HomeAssistantUI, servers: Servers
) -> None:
    """Refused fields show their errors next to them; then the wallet is added with caps.

    The local ClearNode is a custom endpoint: an insecure one is refused, then the
    wallet key, a malformed one first; the caps form offers one cap per asset of the
    ClearNode, suggested from the balance, and refuses a cap that is not an amount.
    """
    flow = await IntegrationsDashboard(ui).add_integration("Nitrolite")
    await expect(flow.title).to_have_text("Add a wallet: choose the network")
    await ui.screenshot("readme/config-flow", flow.window)
    await flow.choose_network("Custom endpoint")

    await flow.enter_endpoint("ws://clearnode.example.com/ws")
    await expect(flow.error_next_to("Node endpoint")).to_have_text(
        "Use wss://. Plain ws:// is only allowed for this machine or a private network."
    )
    await ui.screenshot("config-flow-insecure-endpoint", flow.window)
    await flow.enter_endpoint(servers.clearnode)

    await expect(flow.root).to_contain_text("answers as ClearNode v0.5")
    await flow.pick("Use my wallet key")
    await flow.fill({"Wallet private key": "0x1234"})
    await flow.submit()
    await expect(flow.error_next_to("Wallet private key")).to_have_text(
        "This is not a valid private key (64 hexadecimal digits, with or without 0x)."
    )
    await ui.screenshot("config-flow-bad-key", flow.window)
    await flow.fill({"Wallet private key": DEMO_WALLET_KEY})
    await flow.submit()

    await expect(flow.title).to_have_text("Session key on the ClearNode")
    await flow.submit()
    await expect(flow.title).to_have_text("Spending caps of the session key")
    await expect(flow.root).to_contain_text("0 means this key may not spend that asset")
    await expect(flow.field("usdc")).to_have_value("100")  # a tenth of 1000
    await expect(flow.field("ytest.usd")).to_have_value("50")  # a tenth of 500
    await ui.screenshot("readme/config-flow-caps", flow.window)

    await flow.fill({"usdc": "-1"})
    await flow.submit()
    await expect(flow.error_next_to("usdc")).to_contain_text(
        "Enter a number of 0 or more"
    )
    await flow.fill({"usdc": USDC_CAP})
    await flow.submit()
    await expect(flow.field("Device name")).to_have_value("Wallet 0x2c75…5c23")
    await ui.screenshot("config-flow-created", flow.window)
    await flow.finish()

    integration = IntegrationPage(ui)
    await integration.open()
    await expect(integration.entry(DEMO_WALLET_ADDRESS)).to_be_visible()
    await expect(integration.device("Wallet 0x2c75…5c23")).to_be_visible()


async def test_the_demo_dashboard_shows_the_added_wallet(ui: HomeAssistantUI) -> None:
    """The demo dashboard's rows come alive once the wallet is added through the UI."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await expect(dashboard.row(WALLET, "ClearNode")).to_contain_text("Connected")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text("1,000 usdc")
    await ui.screenshot("dashboard-after-adding")


async def test_options_show_the_settings_and_save_new_ones(ui: HomeAssistantUI) -> None:
    """The options show the timeout, then the entry's caps, and save a new timeout."""
    options = await IntegrationPage(ui).configure()
    await expect(options.title).to_have_text("Nitrolite options")
    await expect(options.field("Request timeout")).to_have_value("10")
    await options.fill({"Request timeout": "20"})
    await ui.screenshot("options", options.window)
    await options.submit()
    await expect(options.title).to_have_text("Spending caps of the session key")
    await expect(options.field("usdc")).to_have_value(USDC_CAP)
    await ui.screenshot("options-caps", options.window)
    await options.submit()
    await expect(options.root).to_contain_text("Options successfully saved.")
    await options.finish()

    options = await IntegrationPage(ui).configure()
    await expect(options.field("Request timeout")).to_have_value("20")
    await options.submit()
    await expect(options.field("usdc")).to_have_value(USDC_CAP)
    await options.close()


async def test_a_used_up_spending_cap_is_repaired_from_the_repairs_page(
    ui: HomeAssistantUI,
) -> None:
    """A refused deposit over the cap raises a repair whose fix gives a fresh session key."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await dashboard.press(WALLET, "Open session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("1")
    await dashboard.press(WALLET, "Close session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("0")

    await dashboard.press(WALLET, "Open session")
    await expect(ui.toast("The spending cap does not cover this")).to_contain_text(
        "10 required, 5 available"
    )
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("0")

    repairs = RepairsPage(ui)
    await repairs.open()
    await expect(repairs.issue(CAP_REPAIR)).to_be_visible()
    await ui.screenshot("repair", repairs.issues)
    fix = await repairs.fix(CAP_REPAIR)
    await expect(fix.root).to_contain_text("raise the caps in the entry's options")
    await fix.submit()
    await fix.finish()
    await expect(repairs.nothing_to_repair).to_be_visible()

    await dashboard.open()
    await expect(dashboard.row(WALLET, "ClearNode")).to_contain_text("Connected")
    await dashboard.press(WALLET, "Open session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("1")


async def test_a_new_wallet_on_the_nitronode_gets_test_tokens_in_the_flow(
    ui: HomeAssistantUI, servers: Servers
) -> None:
    """On a Nitronode v1, Home Assistant creates a wallet and the faucet funds it.

    The new key is shown once and the flow goes on only once its backup is confirmed;
    the empty wallet is offered test tokens, then the polling settings and the caps
    Home Assistant enforces, suggested from what the faucet sent. The new wallet's
    device asks the faucet again with its button, which says it is too soon.
    """
    flow = await IntegrationsDashboard(ui).add_integration("Nitrolite")
    await flow.choose_network("Custom endpoint")
    await expect(flow.title).to_have_text("Endpoint of the node")
    await flow.fill({"Node endpoint": servers.nitronode})
    await ui.screenshot("readme/config-flow-endpoint", flow.window)
    await flow.submit()

    await expect(flow.title).to_have_text("Choose the wallet")
    await expect(flow.root).to_contain_text("answers as Nitronode v1.4.1")
    await ui.screenshot("readme/config-flow-wallet", flow.window)
    await flow.pick("Create a new wallet for Home Assistant")

    await expect(flow.title).to_have_text("Back up the new wallet's key")
    await expect(flow.root.locator("code")).to_have_text(re.compile(r"0x[0-9a-f]{64}"))
    shown = await flow.root.locator("p", has_text="Address:").inner_text()
    address = re.fullmatch(r"Address:\s*(0x[0-9a-fA-F]{40})", shown.strip())
    assert address is not None, shown
    await ui.screenshot("readme/config-flow-new-wallet", flow.window)
    await flow.submit()
    await expect(flow.root).to_contain_text(
        "Back up the private key first: it is not shown again."
    )
    await flow.turn_on("I have backed up the private key")
    await flow.submit()

    await expect(flow.title).to_have_text("Get test tokens")
    await expect(flow.switch("Request test tokens now")).to_be_checked()
    await ui.screenshot("readme/config-flow-faucet", flow.window)
    await flow.submit()
    await expect(flow.title).to_have_text("Test tokens received")
    await expect(flow.root).to_contain_text("The faucet sent 10 yusd.")
    await ui.screenshot("readme/config-flow-faucet-received", flow.window)
    await flow.submit()

    await expect(flow.title).to_have_text("Settings for the Nitronode")
    await expect(flow.field("Application ID")).to_have_value("home-assistant")
    await expect(flow.field("Polling interval")).to_have_value("5")
    await ui.screenshot("readme/config-flow-nitronode", flow.window)
    await flow.submit()

    await expect(flow.title).to_have_text("Spending caps enforced by Home Assistant")
    await expect(flow.field("yusd")).to_have_value("1")  # a tenth of 10
    await expect(flow.field("usdc")).to_have_value("1")  # 1 where none is held
    await ui.screenshot("readme/config-flow-local-caps", flow.window)
    await flow.submit()
    wallet = f"Wallet {address[1][:6]}…{address[1][-4:]}"
    await expect(flow.field("Device name")).to_have_value(wallet)
    await ui.screenshot("config-flow-v1-created", flow.window)
    await flow.finish()

    device = await IntegrationPage(ui).open_device(wallet)
    await expect(device.row("yusd balance")).to_contain_text("10 yusd")
    await device.press("Request test tokens")
    await expect(
        ui.toast("The faucet already sent this wallet tokens in the last 24 hours")
    ).to_be_visible()
