"""The demo as the README's two minutes describe it: scripts/develop, log in, press buttons.

Home Assistant runs exactly as `scripts/develop` starts it (the demo wallet's entry and its
*Demo charger* preset are added at start-up). The tests run in order, as one visit.
"""

from __future__ import annotations

from playwright.async_api import expect
import pytest

from local_clearnode import DEMO_COUNTERPARTY_ADDRESS

from .conftest import START_TIMEOUT
from .pages import DemoDashboard, HomeAssistantUI, IntegrationPage, RepairsPage

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(START_TIMEOUT + 120),
]

WALLET = "Demo wallet"
CHARGER = "Demo charger"


async def test_the_demo_starts_with_nothing_to_confirm_or_repair(
    ui: HomeAssistantUI,
) -> None:
    """No dialog, notification or repair greets the user on the demo's first start."""
    repairs = RepairsPage(ui)
    await repairs.open()
    await expect(repairs.nothing_to_repair).to_be_visible()

    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await expect(dashboard.row(WALLET, "ClearNode")).to_contain_text("Connected")
    await expect(ui.page.get_by_role("dialog")).to_have_count(0)
    await expect(ui.page.get_by_role("alertdialog")).to_have_count(0)
    await expect(ui.sidebar_badge("Notifications")).to_have_count(0)
    await expect(ui.sidebar_badge("Settings")).to_have_count(0)
    await ui.screenshot("first-start")


async def test_the_dashboard_names_what_it_shows(ui: HomeAssistantUI) -> None:
    """Every row has a short name of its own, and nothing reads "None"."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    for name, value in (
        ("ClearNode", "Connected"),
        ("usdc", "1,000 usdc"),
        ("ytest.usd", "500 ytest.usd"),
        ("Open app sessions", "0"),
        ("Last session event", "Unknown"),
    ):
        await expect(dashboard.row(WALLET, name)).to_contain_text(value)
    await expect(dashboard.row(CHARGER, "Session")).to_contain_text("No session")
    await expect(ui.card("App sessions")).to_contain_text(
        "No app sessions yet: press Open session."
    )
    await expect(dashboard.view).not_to_contain_text("None")
    await expect(dashboard.view).not_to_contain_text("0x2c75")
    await ui.screenshot("dashboard-names", dashboard.view)


async def test_open_pay_and_close_from_the_dashboard(ui: HomeAssistantUI) -> None:
    """The session buttons move funds, and balances and the session's device follow."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    sessions = ui.card("App sessions")

    await dashboard.press("Open session")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text("990 usdc")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("1")
    await expect(dashboard.row(WALLET, "Last session event")).to_contain_text("Created")
    await expect(sessions).to_contain_text("home-assistant session 0x")
    await expect(sessions).to_contain_text("Open, version 1")

    await dashboard.press("Pay 1 usdc")
    await expect(sessions).to_contain_text("Open, version 2")
    await expect(dashboard.row(WALLET, "Last session event")).to_contain_text("Payment")
    await expect(dashboard.view).not_to_contain_text("None")
    await ui.screenshot("readme/dashboard", dashboard.view)

    await dashboard.press("Close session")
    await expect(sessions).to_contain_text("Closed, version 3")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text("999 usdc")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("0")


async def test_paying_in_a_closed_session_says_why_it_is_refused(
    ui: HomeAssistantUI,
) -> None:
    """Pay after Close shows the integration's translated refusal; no balance moves."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()
    await dashboard.press("Open session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("1")
    await dashboard.press("Close session")
    await expect(dashboard.row(WALLET, "Open app sessions")).to_contain_text("0")
    balance = str(await dashboard.row(WALLET, "usdc").text_content()).strip()

    await dashboard.press("Pay 1 usdc")
    await expect(ui.toast("App session 0x")).to_contain_text("is closed.")
    await ui.screenshot("refused-payment")
    await expect(dashboard.row(WALLET, "usdc")).to_contain_text(balance)


async def test_the_demo_charger_card_opens_pays_and_closes(
    ui: HomeAssistantUI,
) -> None:
    """The preset's buttons on the dashboard open its session, pay one unit and close it."""
    dashboard = DemoDashboard(ui)
    await dashboard.open()

    await dashboard.press("Open")
    await expect(dashboard.row(CHARGER, "Session")).to_contain_text("Open")
    await expect(dashboard.row(CHARGER, "Remaining deposit")).to_contain_text("20 usdc")
    await dashboard.press("Pay 0.30 usdc")
    await expect(dashboard.row(CHARGER, "Total paid")).to_contain_text("0.3 usdc")
    await expect(dashboard.row(CHARGER, "Remaining deposit")).to_contain_text(
        "19.7 usdc"
    )
    await ui.screenshot("charger-paid", ui.card(CHARGER))
    await dashboard.press("Close")
    await expect(dashboard.row(CHARGER, "Session")).to_contain_text("Closed")


async def test_a_preset_added_in_its_flow_gets_a_device_with_working_buttons(
    ui: HomeAssistantUI,
) -> None:
    """A preset added through its flow gets a device whose buttons follow its session.

    The flow refuses a price over the deposit next to that field; the device enables only
    the buttons that make sense and refuses paying past the deposit.
    """
    flow = await IntegrationPage(ui).add_preset()
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
