"""scripts/develop as a developer runs it in a terminal and stops it with Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest

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
