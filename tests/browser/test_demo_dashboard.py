"""The demo as the README's two minutes describe it: scripts/develop, log in, press buttons.

Home Assistant runs exactly as `scripts/develop` starts it: a demo wallet on the local
Nitronode v1 (funded by its faucet through the config flow) with its *Demo charger*
preset, and one on the local ClearNode v0.5 with its *Demo parking meter* preset, each
in its column of the demo dashboard. The tests run in order, as one visit.
"""

from __future__ import annotations

from playwright.async_api import expect
import pytest

from local_clearnode import DEMO_COUNTERPARTY_ADDRESS, DEMO_WALLET_ADDRESS

from .conftest import START_TIMEOUT
from .pages import DemoDashboard, HomeAssistantUI, IntegrationPage, RepairsPage

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(START_TIMEOUT + 120),
]

V1_WALLET = "Nitronode v1 wallet"
V1_PRESET = "Demo charger"
WALLET = "ClearNode v0.5 wallet"
PRESET = "Demo parking meter"


async def test_the_demo_starts_with_nothing_to_confirm_or_repair(
    ui: HomeAssistantUI,
) -> None:
    """No dialog, notification or repair greets the user on the demo's first start."""
    repairs = RepairsPage(ui)
    await repairs.open()
    await expect(repairs.nothing_to_repair).to_be_visible()

    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await expect(dashboard.row(V1_WALLET, "Nitronode")).to_contain_text("Connected")
    await expect(dashboard.row(WALLET, "ClearNode")).to_contain_text("Connected")
    await expect(ui.page.get_by_role("dialog")).to_have_count(0)
    await expect(ui.page.get_by_role("alertdialog")).to_have_count(0)
    await expect(ui.sidebar_badge("Notifications")).to_have_count(0)
    await expect(ui.sidebar_badge("Settings")).to_have_count(0)
    await ui.screenshot("first-start")


async def test_the_dashboard_names_what_it_shows(ui: HomeAssistantUI) -> None:
    """Every row has a short name of its own, and nothing reads "None".

    The Nitronode v1 wallet holds the faucet's 10 yusd; the ClearNode v0.5 one what
    the node credited it.
    """
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    for card, name, value in (
        (V1_WALLET, "Nitronode", "Connected"),
        (V1_WALLET, "yusd", "10 yusd"),
        (V1_WALLET, "Open app sessions", "0"),
        (V1_WALLET, "Last session event", "Unknown"),
        (V1_WALLET, "Request test tokens", "Press"),
        (WALLET, "ClearNode", "Connected"),
        (WALLET, "usdc", "1,000 usdc"),
        (WALLET, "ytest.usd", "500 ytest.usd"),
        (WALLET, "Open app sessions", "0"),
        (WALLET, "Last session event", "Unknown"),
        (V1_PRESET, "Session", "No session"),
        (PRESET, "Session", "No session"),
    ):
        await expect(dashboard.row(card, name)).to_contain_text(value)
    for wallet in (V1_WALLET, WALLET):
        await expect(dashboard.sessions(wallet)).to_contain_text(
            "No app sessions yet: press Open session."
        )
    await expect(dashboard.view).not_to_contain_text("None")
    await expect(dashboard.view).not_to_contain_text("0x2c75")
    await expect(dashboard.view).not_to_contain_text("0xf39f")
    await ui.screenshot("dashboard-names", dashboard.view)


async def test_open_pay_and_close_on_the_nitronode_v1(ui: HomeAssistantUI) -> None:
    """The v1 column's buttons move yusd; balance, event and session list follow."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    sessions = dashboard.sessions(V1_WALLET)

    await dashboard.press(V1_WALLET, "Open session")
    await expect(dashboard.row(V1_WALLET, "yusd")).to_contain_text("9 yusd")
    await expect(dashboard.row(V1_WALLET, "Open app sessions")).to_contain_text("1")
    await expect(dashboard.row(V1_WALLET, "Last session event")).to_contain_text(
        "Created"
    )
    await expect(sessions).to_contain_text("home-assistant session 0x")
    await expect(sessions).to_contain_text("Open, version 2")

    await dashboard.press(V1_WALLET, "Pay 0.1 yusd")
    await expect(sessions).to_contain_text("Open, version 3")
    await expect(dashboard.row(V1_WALLET, "Last session event")).to_contain_text(
        "Payment"
    )
    await dashboard.press(V1_WALLET, "Close session")
    await expect(sessions).to_contain_text("Closed, version 4")
    await expect(dashboard.row(V1_WALLET, "yusd")).to_contain_text("9.9 yusd")
    await expect(dashboard.row(V1_WALLET, "Open app sessions")).to_contain_text("0")


async def test_the_faucet_sends_a_wallet_tokens_once_a_day(ui: HomeAssistantUI) -> None:
    """Request test tokens again, the day the flow got them, is refused and says why."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await dashboard.press_row(V1_WALLET, "Request test tokens")
    await expect(
        ui.toast("The faucet already sent this wallet tokens in the last 24 hours")
    ).to_be_visible()
    await ui.screenshot("faucet-refused")
    await expect(dashboard.row(V1_WALLET, "yusd")).to_contain_text("9.9 yusd")


async def test_open_pay_and_close_on_the_clearnode_v05(ui: HomeAssistantUI) -> None:
    """The session buttons move funds, and balances and the session's device follow."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    sessions = dashboard.sessions(WALLET)

    await dashboard.press(WALLET, "Open session")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text("990 usdc")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("1")
    await expect(dashboard.row(WALLET, "Last session event")).to_contain_text("Created")
    await expect(sessions).to_contain_text("home-assistant session 0x")
    await expect(sessions).to_contain_text("Open, version 1")

    await dashboard.press(WALLET, "Pay 1 usdc")
    await expect(sessions).to_contain_text("Open, version 2")
    await expect(dashboard.row(WALLET, "Last session event")).to_contain_text("Payment")
    await expect(dashboard.view).not_to_contain_text("None")
    await ui.screenshot("readme/dashboard", dashboard.view)

    await dashboard.press(WALLET, "Close session")
    await expect(sessions).to_contain_text("Closed, version 3")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text("999 usdc")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("0")


async def test_paying_in_a_closed_session_says_why_it_is_refused(
    ui: HomeAssistantUI,
) -> None:
    """Pay after Close shows the integration's translated refusal; no balance moves."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await dashboard.press(WALLET, "Open session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("1")
    await dashboard.press(WALLET, "Close session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("0")
    balance = str(await dashboard.row(WALLET, "usdc").text_content()).strip()

    await dashboard.press(WALLET, "Pay 1 usdc")
    await expect(ui.toast("App session 0x")).to_contain_text("is closed.")
    await ui.screenshot("refused-payment")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text(balance)


async def test_the_preset_cards_open_pay_and_close(ui: HomeAssistantUI) -> None:
    """Each preset's buttons on the dashboard open its session, pay a unit and close it."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    for wallet, preset, price, deposit, left in (
        (V1_WALLET, V1_PRESET, "Pay 0.25 yusd", "2 yusd", "1.75 yusd"),
        (WALLET, PRESET, "Pay 0.30 usdc", "20 usdc", "19.7 usdc"),
    ):
        await dashboard.press(wallet, "Open")
        await expect(dashboard.row(preset, "Session")).to_contain_text("Open")
        await expect(dashboard.row(preset, "Remaining deposit")).to_contain_text(
            deposit
        )
        await dashboard.press(wallet, price)
        await expect(dashboard.row(preset, "Remaining deposit")).to_contain_text(left)
        await ui.screenshot(f"{preset}-paid", ui.card(preset))
        await dashboard.press(wallet, "Close")
        await expect(dashboard.row(preset, "Session")).to_contain_text("Closed")


async def test_a_preset_added_in_its_flow_gets_a_device_with_working_buttons(
    ui: HomeAssistantUI,
) -> None:
    """A preset added through its flow gets a device whose buttons follow its session.

    The flow refuses a price over the deposit next to that field; the device enables only
    the buttons that make sense and refuses paying past the deposit.
    """
    flow = await IntegrationPage(ui).add_preset(DEMO_WALLET_ADDRESS)
    await expect(flow.title).to_have_text("Add a payment preset")
    await flow.enter("Coffee machine", DEMO_COUNTERPARTY_ADDRESS, "usdc", "1", "1.5")
    await flow.submit()
    await expect(flow.error_next_to("Price per unit")).to_have_text(
        "The price per unit must not exceed the deposit."
    )
    await ui.screenshot("preset-flow-error", flow.window)
    await flow.fill({"Price per unit": "0.60"})
    await flow.submit()
    await flow.finish()

    device = await IntegrationPage(ui).open_device("Coffee machine")
    await expect(device.row("Session status")).to_contain_text("No session")
    await expect(device.press_button("Open session")).to_be_enabled()
    await expect(device.press_button("Pay one unit")).to_be_disabled()
    await expect(device.press_button("Close session")).to_be_disabled()

    await device.press("Open session")
    await expect(device.row("Session status")).to_contain_text("Open")
    await expect(device.press_button("Open session")).to_be_disabled()
    await expect(device.press_button("Pay one unit")).to_be_enabled()
    await device.press("Pay one unit")
    await expect(device.row("Total paid")).to_contain_text("0.6 usdc")
    await expect(device.row("Remaining deposit")).to_contain_text("0.4 usdc")
    await ui.screenshot(
        "readme/preset-device", ui.card("Service info"), ui.card("Sensors")
    )

    await device.press("Pay one unit")
    await expect(
        ui.toast("The payer holds only 0.4 usdc in the app session.")
    ).to_be_visible()
    await expect(device.row("Total paid")).to_contain_text("0.6 usdc")

    await device.press("Close session")
    await expect(device.row("Session status")).to_contain_text("Closed")
    await expect(device.press_button("Open session")).to_be_enabled()
    await expect(device.press_button("Close session")).to_be_disabled()
