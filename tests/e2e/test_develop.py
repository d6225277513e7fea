"""scripts/develop as a developer runs it in a terminal and stops it with Ctrl-C."""

from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from devtools.demo import CLEARNODE_WALLET, NITRONODE_WALLET
from devtools.develop_process import HOME_ASSISTANT_READY, STARTING, DevelopProcess

pytestmark = pytest.mark.timeout(300)


def processes_on(config_dir: Path) -> list[psutil.Process]:
    """Return the running processes whose command line names the folder."""
    return [
        process
        for process in psutil.process_iter(["cmdline"])
        if str(config_dir) in " ".join(process.info["cmdline"] or ())
    ]


async def test_ctrl_c_during_the_first_start_stops_both_servers(tmp_path: Path) -> None:
    """Ctrl-C while Home Assistant starts stops scripts/develop at once; no hass is left."""
    config_dir = tmp_path / "config"
    develop = DevelopProcess(config_dir, tmp_path / "develop.log")
    await develop.start()
    await develop.wait_for(STARTING, timeout=120)

    assert await develop.interrupt() == 0
    assert not HOME_ASSISTANT_READY.search(develop.output)
    assert develop.output.rstrip().endswith("Stopped.")
    assert processes_on(config_dir) == []


def nitrolite_entries(config_dir: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Return each saved Nitrolite entry's title, dialect and preset names, in order."""
    saved = json.loads((config_dir / ".storage" / "core.config_entries").read_text())
    return [
        (
            entry["title"],
            entry["data"]["dialect"],
            tuple(preset["title"] for preset in entry["subentries"]),
        )
        for entry in saved["data"]["entries"]
        if entry["domain"] == "nitrolite"
    ]


async def test_the_demo_has_a_wallet_on_each_node_added_once(tmp_path: Path) -> None:
    """scripts/develop adds a v1 and a v0.5 demo wallet, each with its preset, once.

    A second start on the same folder finds them and adds nothing; Ctrl-C stops each
    start with every process it began.
    """
    config_dir = tmp_path / "config"
    for _ in range(2):
        develop = DevelopProcess(config_dir, tmp_path / "develop.log")
        await develop.start()
        await develop.wait_for(HOME_ASSISTANT_READY, timeout=240)
        assert f"Nitronode v1 demo wallet {NITRONODE_WALLET.address}" in develop.output
        assert (
            f"ClearNode v0.5 demo wallet {CLEARNODE_WALLET.address}" in develop.output
        )
        assert await develop.interrupt() == 0
        assert processes_on(config_dir) == []

    assert nitrolite_entries(config_dir) == [
        (NITRONODE_WALLET.address, "v1", ("Demo charger",)),
        (CLEARNODE_WALLET.address, "v0.5", ("Demo parking meter",)),
    ]
