"""Home Assistant started as scripts/develop starts it, and Chromium to look at it.

Each test module gets its own `python -m devtools.develop` (the local nodes and a real
Home Assistant on free ports, in a fresh configuration folder copied from config/) and its
own logged-in page; its tests run in order, as one user's visit. The module's logs, its
Home Assistant folder and the screenshots the tests take stay in artifacts/browser/<module>/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
import os
from pathlib import Path
import shutil

from playwright.async_api import Browser, ViewportSize, async_playwright, expect
import pytest
import pytest_asyncio

from devtools.demo import OWNER, OWNER_PASSWORD
from devtools.develop_process import (
    CLEARNODE_READY,
    HOME_ASSISTANT_READY,
    NITRONODE_READY,
    DevelopProcess,
)
from devtools.homeassistant import REPOSITORY

from .pages import HomeAssistantUI

ARTIFACTS = REPOSITORY / "artifacts" / "browser"
# Debian's chromium: Playwright's own browser download is not reachable from CI. Without
# the background-networking flags its connections are refused on a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 1100}  # the demo dashboard whole
START_TIMEOUT = 300  # seconds: a first start on a busy 2-core machine
UI_TIMEOUT = 30_000  # milliseconds any element may take to appear or change

expect.set_options(timeout=UI_TIMEOUT)


def chromium() -> str:
    """Return Chromium's path, failing under CI and skipping elsewhere when missing."""
    executable = shutil.which("chromium")
    if executable is None:
        message = "the browser tests need Chromium (Debian: apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return executable


@pytest.fixture(scope="module")
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Return a fresh artifacts/browser/<module>/ folder."""
    folder = ARTIFACTS / request.module.__name__.rpartition(".")[2]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def develop_options() -> tuple[str, ...]:
    """Extra scripts/develop options of a module: none, as the README's demo."""
    return ()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Launch headless Chromium."""
    executable = chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_FLAGS
        )
        yield browser
        await browser.close()


@dataclass(frozen=True, slots=True)
class Servers:
    """Where scripts/develop serves the local nodes and Home Assistant."""

    nitronode: str
    clearnode: str
    home_assistant: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def servers(
    artifacts: Path, develop_options: tuple[str, ...]
) -> AsyncIterator[Servers]:
    """Run scripts/develop on a copy of config/ until the module's tests are done."""
    config = artifacts / "config"
    config.mkdir()
    for name in ("configuration.yaml", "dashboard.yaml"):
        shutil.copy(REPOSITORY / "config" / name, config)
    develop = DevelopProcess(config, artifacts / "develop.log", *develop_options)
    await develop.start()
    try:
        nitronode = await develop.wait_for(NITRONODE_READY, START_TIMEOUT)
        clearnode = await develop.wait_for(CLEARNODE_READY, START_TIMEOUT)
        home_assistant = await develop.wait_for(HOME_ASSISTANT_READY, START_TIMEOUT)
        yield Servers(
            nitronode=nitronode[1],
            clearnode=clearnode[1],
            home_assistant=home_assistant[1],
        )
    finally:
        await develop.interrupt()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ui(
    browser: Browser, servers: Servers, artifacts: Path
) -> AsyncIterator[HomeAssistantUI]:
    """Log in as the demo's owner in a new browser window."""
    context = await browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(UI_TIMEOUT)
    ui = HomeAssistantUI(await context.new_page(), servers.home_assistant, artifacts)
    await ui.log_in(OWNER, OWNER_PASSWORD)
    yield ui
    await context.close()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember whether the test failed, for the screenshot below."""
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def screenshot_on_failure(
    request: pytest.FixtureRequest, ui: HomeAssistantUI
) -> AsyncIterator[None]:
    """Keep a picture of the screen a test failed on."""
    yield
    if request.node.stash.get(FAILED, False):
        await ui.screenshot(f"FAILED-{request.node.name}")
