"""Page helpers: one per screen or dialog of Home Assistant's frontend that the tests use.

Tests say what the user does and sees; these helpers know where that is on the page. When
a screen changes (a flow gains a step, a field another selector), only its helper changes.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import FloatRect, Locator, Page, expect


class HomeAssistantUI:
    """Home Assistant's frontend in one browser page, with a folder for screenshots."""

    def __init__(self, page: Page, url: str, artifacts: Path) -> None:
        """Drive `page` on the Home Assistant at `url`."""
        self.page = page
        self.url = url
        self.artifacts = artifacts

    async def log_in(self, username: str, password: str) -> None:
        """Log in on the login page and wait for the first dashboard."""
        await self.page.goto(self.url)
        await self.page.get_by_role("textbox", name="Username").fill(username)
        await self.page.get_by_role("textbox", name="Password").fill(password)
        await self.page.get_by_role("button", name="Log in").click()
        await expect(self.page.get_by_role("link", name="Settings")).to_be_visible()

    async def visit(self, path: str) -> None:
        """Open a page of the frontend by its path."""
        await self.page.goto(f"{self.url}{path}")

    async def screenshot(self, name: str, *parts: Locator) -> None:
        """Save the page, or the rectangle around some of its parts, as <name>.png."""
        clip: FloatRect | None = None
        if parts:
            boxes = [box for part in parts if (box := await part.bounding_box())]
            assert len(boxes) == len(parts), f"{name}: a part to picture is not shown"
            left = min(box["x"] for box in boxes)
            top = min(box["y"] for box in boxes)
            right = max(box["x"] + box["width"] for box in boxes)
            bottom = max(box["y"] + box["height"] for box in boxes)
            clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
        picture = await self.page.screenshot(clip=clip)
        # Written here: Playwright would write it from a thread of the test's event loop.
        path = self.artifacts / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(picture)

    def card(self, title: str) -> Locator:
        """Return a card, by its title."""
        return self.page.locator("ha-card").filter(
            has=self.page.locator(".card-header", has_text=title)
        )

    def toast(self, text: str) -> Locator:
        """Return the message at the bottom of the page that reports a failed action."""
        return self.page.locator("ha-toast").filter(has_text=text)

    def sidebar_badge(self, item: str) -> Locator:
        """Return the counter next to a sidebar item (notifications, repairs)."""
        return (
            self.page.locator("ha-sidebar ha-list-item-button")
            .filter(has_text=item)
            .locator(".badge")
        )


def _field(page: Page, label: str) -> Locator:
    """Return a text or number field, by its label, wherever it is searched from."""
    return page.get_by_role("textbox", name=label).or_(
        page.get_by_role("spinbutton", name=label)
    )


class FlowDialog:
    """The dialog of a config, options, subentry or repair flow: a form per step."""

    def __init__(self, page: Page) -> None:
        """Find the open flow dialog."""
        self.root = page.locator("dialog-data-entry-flow")

    @property
    def window(self) -> Locator:
        """The dialog's window (hidden once closed), for a picture of it."""
        return self.root.get_by_role("dialog")

    @property
    def title(self) -> Locator:
        """The step's title."""
        return self.root.locator(".dialog-title")

    def field(self, label: str) -> Locator:
        """Return the text or number field with this label."""
        return self.root.locator(_field(self.root.page, label))

    def error_next_to(self, label: str) -> Locator:
        """Return the error shown right above the field with this label."""
        field = self.root.locator("ha-selector", has=_field(self.root.page, label))
        return field.locator("xpath=preceding-sibling::*[1][self::ha-alert]")

    async def fill(self, values: dict[str, str]) -> None:
        """Type each value into the field with its label."""
        for label, value in values.items():
            await self.field(label).fill(value)

    async def choose(self, label: str, option: str) -> None:
        """Pick an option of the drop-down list with this label."""
        await self.root.locator("ha-select").filter(has_text=label).click()
        await self.root.get_by_role("menuitem", name=option, exact=True).click()

    async def submit(self) -> None:
        """Send the step's form."""
        await self.root.get_by_role("button", name="Submit").click()

    async def close(self) -> None:
        """Leave the dialog without sending the form."""
        await self.root.get_by_role("button", name="Close").first.click()
        await expect(self.window).to_be_hidden()

    async def finish(self) -> None:
        """Close the dialog at the end of the flow."""
        await (
            self.root.get_by_role("button", name="Finish")
            .or_(self.root.get_by_role("button", name="Skip and finish"))
            .click()
        )
        await expect(self.window).to_be_hidden()


class AddWalletFlow(FlowDialog):
    """The integration's config flow: a network, a wallet, then the node's settings."""

    async def choose_network(self, network: str) -> None:
        """Pick a network on the first form and go on."""
        await self.root.get_by_role("radio", name=network).check()
        await self.submit()

    async def enter_endpoint(self, endpoint: str) -> None:
        """Type a custom endpoint and go on."""
        await self.fill({"Node endpoint": endpoint})
        await self.submit()

    async def pick(self, option: str) -> None:
        """Pick an option of a menu step."""
        await self.root.get_by_text(option, exact=True).click()

    def switch(self, label: str) -> Locator:
        """Return the on/off switch with this label."""
        return self.root.locator("ha-selector", has_text=label).get_by_role("switch")

    async def turn_on(self, label: str) -> None:
        """Turn on the switch with this label, by a click on it as a user does."""
        await (
            self.root.locator("ha-selector", has_text=label)
            .locator("ha-switch")
            .click()
        )
        await expect(self.switch(label)).to_be_checked()


class PresetFlow(FlowDialog):
    """The payment preset (subentry) flow."""

    async def enter(
        self, name: str, counterparty: str, asset: str, deposit: str, unit_price: str
    ) -> None:
        """Describe the preset; the asset is picked from the ClearNode's list."""
        await self.fill({"Name": name, "Counterparty": counterparty})
        await self.choose("Asset", asset)
        await self.fill({"Deposit": deposit, "Price per unit": unit_price})


class IntegrationsDashboard:
    """Settings → Devices & services."""

    PATH = "/config/integrations/dashboard"

    def __init__(self, ui: HomeAssistantUI) -> None:
        """Work on the given frontend."""
        self.ui = ui

    async def add_integration(self, name: str) -> AddWalletFlow:
        """Pick an integration in the Add integration dialog and start its flow."""
        await self.ui.visit(self.PATH)
        await self.ui.page.get_by_role("button", name="Add integration").click()
        picker = self.ui.page.locator("dialog-add-integration")
        await picker.get_by_role("textbox").fill(name)
        await picker.get_by_text(name, exact=True).click()
        return AddWalletFlow(self.ui.page)


class IntegrationPage:
    """The Nitrolite integration's page: its entries, presets and devices."""

    PATH = "/config/integrations/integration/nitrolite"

    def __init__(self, ui: HomeAssistantUI) -> None:
        """Work on the given frontend."""
        self.ui = ui

    async def open(self) -> None:
        """Go to the page."""
        await self.ui.visit(self.PATH)

    def entry(self, title: str) -> Locator:
        """Return an entry's row, by its title (the wallet address)."""
        return self.ui.page.locator("ha-config-entry-row").filter(
            has=self.ui.page.get_by_text(title, exact=True)
        )

    def device(self, name: str) -> Locator:
        """Return a device's row, by its name."""
        return self.ui.page.locator("ha-config-entry-device-row").filter(
            has=self.ui.page.get_by_text(name, exact=True)
        )

    async def configure(self) -> FlowDialog:
        """Open the options of the (only) entry."""
        await self.open()
        await self.ui.page.get_by_role("button", name="Configure").first.click()
        return FlowDialog(self.ui.page)

    async def add_preset(self, entry: str) -> PresetFlow:
        """Start the payment preset flow of an entry, by its title, from its menu."""
        await self.open()
        await self.entry(entry).locator("ha-dropdown").first.click()
        await self.ui.page.get_by_role("menuitem", name="Add payment preset").click()
        return PresetFlow(self.ui.page)

    async def open_device(self, name: str) -> DevicePage:
        """Go to a device's page."""
        await self.open()
        await self.device(name).click()
        return DevicePage(self.ui)


class DevicePage:
    """A device's page: its controls (buttons) and sensors."""

    def __init__(self, ui: HomeAssistantUI) -> None:
        """Work on the device page that is open."""
        self.ui = ui

    def row(self, entity: str) -> Locator:
        """Return the row of an entity, which shows its name and state."""
        return self.ui.page.locator("hui-generic-entity-row").filter(
            has=self.ui.page.get_by_text(entity, exact=True)
        )

    def press_button(self, entity: str) -> Locator:
        """Return the Press button of a button entity."""
        return self.row(entity).get_by_role("button", name="Press")

    async def press(self, entity: str) -> None:
        """Press a button entity."""
        await self.press_button(entity).click()


class DemoDashboard:
    """The Nitrolite demo dashboard of config/dashboard.yaml: a column per demo wallet.

    Each column (the Nitronode v1's, then the ClearNode v0.5's) is named by its wallet
    card's title and holds the wallet's session buttons, its sessions and its preset.
    """

    PATH = "/nitrolite-demo/wallets"

    def __init__(self, ui: HomeAssistantUI) -> None:
        """Work on the given frontend."""
        self.ui = ui

    async def open(self) -> None:
        """Go to the dashboard."""
        await self.ui.visit(self.PATH)

    def column(self, wallet: str) -> Locator:
        """Return a wallet's column, by its wallet card's title."""
        return self.ui.page.locator("hui-vertical-stack-card").filter(
            has=self.ui.page.locator(".card-header", has_text=wallet)
        )

    def row(self, card: str, name: str) -> Locator:
        """Return a row of an entities card, which shows its name and state."""
        return (
            self.ui.card(card)
            .locator("hui-generic-entity-row")
            .filter(has=self.ui.page.get_by_text(name, exact=True))
        )

    def sessions(self, wallet: str) -> Locator:
        """Return the App sessions card of a wallet's column."""
        return self.column(wallet).locator(self.ui.card("App sessions"))

    async def press(self, wallet: str, name: str) -> None:
        """Press a button card of a wallet's column."""
        await self.column(wallet).get_by_role("button", name=name, exact=True).click()

    async def press_row(self, card: str, name: str) -> None:
        """Press the button of a button entity's row in an entities card."""
        await self.row(card, name).get_by_role("button", name="Press").click()

    @property
    def view(self) -> Locator:
        """The dashboard's cards, for a picture of them."""
        return self.ui.page.locator("hui-masonry-view")


class RepairsPage:
    """Settings → System → Repairs."""

    PATH = "/config/repairs"

    def __init__(self, ui: HomeAssistantUI) -> None:
        """Work on the given frontend."""
        self.ui = ui

    async def open(self) -> None:
        """Go to the page."""
        await self.ui.visit(self.PATH)

    @property
    def issues(self) -> Locator:
        """The list of repairs."""
        return self.ui.page.locator("ha-config-repairs")

    def issue(self, title: str) -> Locator:
        """Return a repair in the list, by its title."""
        return self.issues.get_by_text(title)

    @property
    def nothing_to_repair(self) -> Locator:
        """What the page says when there is no repair."""
        return self.ui.page.get_by_text("There are currently no repairs pending")

    async def fix(self, title: str) -> FlowDialog:
        """Open a repair's fix flow."""
        await self.issue(title).click()
        return FlowDialog(self.ui.page)
