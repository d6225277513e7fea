"""Run a real Home Assistant process and drive it over its HTTP API, as the UI does."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import contextlib
import json
import os
from pathlib import Path
import signal
import socket
import sys
from typing import Any, Self

import aiohttp

REPOSITORY = Path(__file__).resolve().parents[1]
ONBOARDING_DONE = {
    "version": 4,
    "minor_version": 1,
    "key": "onboarding",
    "data": {"done": ["user", "core_config", "analytics", "integration"]},
}
CONFIGURATION = """\
homeassistant:
  name: Nitrolite
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: DE
frontend:
logger:
  default: warning
  logs:
    custom_components.nitrolite: info
"""


class HomeAssistantError(RuntimeError):
    """Home Assistant did not start or answered an API call with an error."""


def free_port() -> int:
    """Return a TCP port on loopback nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HomeAssistantProcess:
    """A `hass` process on a config directory, with an owner logged in over HTTP."""

    def __init__(
        self, config_dir: Path, port: int, *, log_file: Path | None = None
    ) -> None:
        """Describe the process; nothing starts until start()."""
        self.config_dir = config_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log_file = log_file or config_dir / "hass-stdout.log"
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self._token: str | None = None

    async def __aenter__(self) -> Self:
        """Start Home Assistant; stop it again if it does not come up."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop Home Assistant."""
        await self.stop()

    async def prepare(self, username: str, password: str) -> None:
        """Write a configuration, an owner's credentials and a finished onboarding."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        configuration = self.config_dir / "configuration.yaml"
        if not configuration.exists():
            configuration.write_text(CONFIGURATION)
        storage = self.config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        (storage / "http").write_text(json.dumps(self._http_settings()))
        onboarding = storage / "onboarding"
        if not onboarding.exists():
            onboarding.write_text(json.dumps(ONBOARDING_DONE))
        await self._add_owner(username, password)

    def _http_settings(self) -> dict[str, Any]:
        """Listen on loopback at our port, set in storage, not in the deprecated YAML.

        An `http:` block in configuration.yaml makes Home Assistant 2026.8+ import it, raise a
        repair and ask the user to confirm the new settings. This is the first version of
        its HTTP store, which 2026.8+ imports as its confirmed settings (with defaults for
        the rest); older versions, which have no such settings, read it only in recovery
        mode and otherwise listen on their default port, 8123.
        """
        return {
            "version": 1,
            "minor_version": 1,
            "key": "http",
            "data": {"server_host": ["127.0.0.1"], "server_port": self.port},
        }

    async def _add_owner(self, username: str, password: str) -> None:
        auth_store = self.config_dir / ".storage" / "auth_provider.homeassistant"
        if auth_store.exists() and f'"{username}"' in auth_store.read_text():
            return
        script = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "homeassistant", "--script", "auth",
            "-c", str(self.config_dir), "add", username, password,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        if await script.wait() != 0:
            raise HomeAssistantError("could not create the owner's credentials")

    async def start(self, timeout: float = 180) -> None:
        """Start `hass` with this repository's integration and wait for its API."""
        environment = os.environ | {"PYTHONPATH": str(REPOSITORY)}
        with self._log_file.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "homeassistant", "-c", str(self.config_dir),
                "--skip-pip",
                env=environment, stdout=log, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self._http = aiohttp.ClientSession()
        async with asyncio.timeout(timeout):
            while not await self._api_is_up():
                if self._process.returncode is not None:
                    raise HomeAssistantError(f"hass exited; see {self._log_file}")
                await asyncio.sleep(0.5)

    async def _api_is_up(self) -> bool:
        """Ask a page that needs no login: a refused login raises a notification."""
        assert self._http is not None
        try:
            async with self._http.get(f"{self.url}/auth/providers") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def wait_until_running(self, timeout: float = 180) -> None:
        """Wait until every integration has been set up (logged in)."""
        async with asyncio.timeout(timeout):
            while (await self.request("GET", "/api/config"))["state"] != "RUNNING":
                await asyncio.sleep(0.5)

    async def stop(self, timeout: float = 60) -> None:
        """Stop `hass` as Ctrl-C would, killing it if it does not stop in time."""
        if self._http is not None:
            await self._http.close()
            self._http = None
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            async with asyncio.timeout(timeout):
                await process.wait()
        except TimeoutError:
            process.kill()
            await process.wait()

    async def restart(self, username: str, password: str) -> None:
        """Stop Home Assistant, start it again and log in once it runs."""
        await self.stop()
        await self.start()
        await self.login(username, password)
        await self.wait_until_running()

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow the frontend uses and keep the access token."""
        client_id = f"{self.url}/"
        flow = await self._post(
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{client_id}?auth_callback=1",
            },
        )
        result = await self._post(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": client_id, "username": username, "password": password},
        )
        if result.get("type") != "create_entry":
            raise HomeAssistantError(f"login refused: {result.get('errors')}")
        assert self._http is not None
        async with self._http.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": client_id,
            },
        ) as response:
            self._token = (await response.json())["access_token"]

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        return await self.request("POST", path, payload)

    async def request(
        self, method: str, path: str, payload: dict[str, Any] | None = None
    ) -> Any:
        """Call the HTTP API and return the decoded JSON answer."""
        assert self._http is not None
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        async with self._http.request(
            method, f"{self.url}{path}", json=payload, headers=headers
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise HomeAssistantError(f"{method} {path}: {response.status} {text}")
            return json.loads(text) if text else None

    async def config_entries(self, domain: str) -> list[dict[str, Any]]:
        """Return the config entries of an integration."""
        entries = await self.request("GET", "/api/config/config_entries/entry")
        return [entry for entry in entries if entry["domain"] == domain]

    async def start_config_flow(self, domain: str) -> Any:
        """Start a config flow as the Add integration dialog does; return its first step."""
        return await self._post(
            "/api/config/config_entries/flow",
            {"handler": domain, "show_advanced_options": False},
        )

    async def submit_step(
        self, step: dict[str, Any], user_input: Mapping[str, Any]
    ) -> Any:
        """Submit a config flow step's form (or a menu's choice); return the next step."""
        return await self._post(
            f"/api/config/config_entries/flow/{step['flow_id']}", dict(user_input)
        )

    async def run_config_flow(
        self, domain: str, answers: Mapping[str, Mapping[str, Any]]
    ) -> Any:
        """Run a config flow, answering each step it shows with `answers[step_id]`."""
        return await self.answer_steps(await self.start_config_flow(domain), answers)

    async def answer_steps(
        self, step: dict[str, Any], answers: Mapping[str, Mapping[str, Any]]
    ) -> Any:
        """Go on with a config flow from `step`, answering each step by its id.

        A step shown with errors, or one without an answer, stops it: the flow did not
        go the way the answers expect.
        """
        while step["type"] in ("form", "menu"):
            step_id = step["step_id"]
            if step.get("errors") or step_id not in answers:
                msg = f"the config flow stopped at {step_id!r}: {step}"
                raise HomeAssistantError(msg)
            step = await self.submit_step(step, answers[step_id])
        return step

    async def run_subentry_flow(
        self, entry_id: str, subentry_type: str, user_input: Mapping[str, Any]
    ) -> Any:
        """Start a subentry flow of an entry and submit one form."""
        flow = await self._post(
            "/api/config/config_entries/subentries/flow",
            {"handler": [entry_id, subentry_type]},
        )
        return await self._post(
            f"/api/config/config_entries/subentries/flow/{flow['flow_id']}",
            dict(user_input),
        )

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any]
    ) -> Any:
        """Call a service and return its response data."""
        answer = await self._post(
            f"/api/services/{domain}/{service}?return_response", data
        )
        return answer["service_response"]

    async def state(self, entity_id: str) -> dict[str, Any]:
        """Return an entity's state object."""
        state: dict[str, Any] = await self.request("GET", f"/api/states/{entity_id}")
        return state

    async def states(self) -> list[dict[str, Any]]:
        """Return every entity's state object."""
        states: list[dict[str, Any]] = await self.request("GET", "/api/states")
        return states
