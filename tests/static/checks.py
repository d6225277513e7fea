"""Checks that mirror hassfest and the HACS action for a custom integration.

Each check takes the repository root and returns the problems it found, so a test can run it
on the real tree and on a deliberately broken copy.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import struct
from typing import Any

import yaml

DOMAIN = "nitrolite"

MANIFEST_REQUIRED = (
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "requirements",
    "version",
)
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
    "virtual",
}
HACS_KEYS = {
    "name",
    "homeassistant",
    "hacs",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "persistent_directory",
    "render_readme",
}
QUALITY_SCALE_RULES = {
    # Bronze
    "action-setup",
    "appropriate-polling",
    "brands",
    "common-modules",
    "config-flow",
    "config-flow-test-coverage",
    "dependency-transparency",
    "docs-actions",
    "docs-conditions",
    "docs-triggers",
    "docs-high-level-description",
    "docs-installation-instructions",
    "docs-removal-instructions",
    "entity-event-setup",
    "entity-unique-id",
    "has-entity-name",
    "runtime-data",
    "test-before-configure",
    "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions",
    "config-entry-unloading",
    "docs-configuration-parameters",
    "docs-installation-parameters",
    "entity-unavailable",
    "integration-owner",
    "log-when-unavailable",
    "parallel-updates",
    "reauthentication-flow",
    "test-coverage",
    # Gold
    "devices",
    "diagnostics",
    "discovery",
    "discovery-update-info",
    "docs-data-update",
    "docs-examples",
    "docs-known-limitations",
    "docs-supported-devices",
    "docs-supported-functions",
    "docs-troubleshooting",
    "docs-use-cases",
    "dynamic-devices",
    "entity-category",
    "entity-device-class",
    "entity-disabled-by-default",
    "entity-translations",
    "exception-translations",
    "icon-translations",
    "reconfiguration-flow",
    "repair-issues",
    "stale-devices",
    # Platinum
    "async-dependency",
    "inject-websession",
    "strict-typing",
}
QUALITY_SCALE_STATUSES = {"done", "todo", "exempt"}
PINNED_REQUIREMENT = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]+\])?==[0-9][^\s,;]*$"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BRAND_ICON_SIZE = (256, 256)


def integration_dir(root: Path) -> Path:
    """Return the folder HACS installs."""
    return root / "custom_components" / DOMAIN


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def check_manifest(root: Path) -> list[str]:
    """Check manifest.json as hassfest's custom-integration schema and HACS do."""
    manifest = _load_json(integration_dir(root) / "manifest.json")
    problems = [
        f"manifest: missing key {key!r}"
        for key in MANIFEST_REQUIRED
        if key not in manifest
    ]
    keys = list(manifest)
    expected_order = [
        "domain",
        "name",
        *sorted(k for k in keys if k not in ("domain", "name")),
    ]
    if keys != expected_order:
        problems.append(
            f"manifest: keys not sorted (domain, name, then alphabetical): {keys}"
        )
    if manifest.get("domain") != DOMAIN:
        problems.append(f"manifest: domain must be {DOMAIN!r}")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append(f"manifest: unknown iot_class {manifest.get('iot_class')!r}")
    if manifest.get("integration_type") not in INTEGRATION_TYPES:
        problems.append(
            f"manifest: unknown integration_type {manifest.get('integration_type')!r}"
        )
    problems.extend(
        f"manifest: {url_key} must be an https URL"
        for url_key in ("documentation", "issue_tracker")
        if not str(manifest.get(url_key, "")).startswith("https://")
    )
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(manifest.get("version", ""))):
        problems.append("manifest: version must be a SemVer string")
    problems.extend(
        f"manifest: requirement {req!r} is not pinned with =="
        for req in manifest.get("requirements", [])
        if not PINNED_REQUIREMENT.match(req)
    )
    if (
        manifest.get("config_flow")
        and not (integration_dir(root) / "config_flow.py").exists()
    ):
        problems.append("manifest: config_flow is set but config_flow.py is missing")
    return problems


def check_hacs(root: Path) -> list[str]:
    """Check hacs.json against HACS's schema (unknown keys are rejected)."""
    hacs = _load_json(root / "hacs.json")
    problems = [
        f"hacs.json: unknown key {key!r}" for key in hacs if key not in HACS_KEYS
    ]
    if not isinstance(hacs.get("name"), str) or not hacs["name"]:
        problems.append("hacs.json: 'name' is required")
    if not re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", str(hacs.get("homeassistant", ""))):
        problems.append("hacs.json: 'homeassistant' must be a Home Assistant version")
    problems.extend(
        f"repository: {name} is missing at the root"
        for name in ("README.md", "LICENSE")
        if not (root / name).exists()
    )
    if hacs.get("zip_release") and not hacs.get("filename"):
        problems.append("hacs.json: zip_release is True, but filename is not set")
    return problems


def png_size(path: Path) -> tuple[int, int] | None:
    """Return the width and height of a PNG file, or None when it is not a PNG."""
    header = path.read_bytes()[:24]
    if (
        len(header) < 24
        or not header.startswith(PNG_SIGNATURE)
        or header[12:16] != b"IHDR"
    ):
        return None
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def check_brand(root: Path) -> list[str]:
    """Check the local brand icon HACS and Home Assistant 2026.3+ look for."""
    icon = integration_dir(root) / "brand" / "icon.png"
    if not icon.exists():
        return ["brand: brand/icon.png is missing"]
    size = png_size(icon)
    if size is None:
        return ["brand: brand/icon.png is not a PNG file"]
    if size != BRAND_ICON_SIZE:
        return [f"brand: brand/icon.png is {size[0]}x{size[1]}, expected 256x256"]
    return []


def check_services(root: Path) -> list[str]:
    """Check that every service and field is translated and every service has an icon."""
    services = (
        yaml.safe_load((integration_dir(root) / "services.yaml").read_text()) or {}
    )
    translations = _load_json(integration_dir(root) / "translations" / "en.json")
    icons = _load_json(integration_dir(root) / "icons.json").get("services", {})
    translated = translations.get("services", {})
    problems: list[str] = []
    for service, description in services.items():
        text = translated.get(service)
        if not text or not text.get("name") or not text.get("description"):
            problems.append(
                f"services: {service} has no name and description in en.json"
            )
            continue
        for field in _service_fields(description):
            field_text = text.get("fields", {}).get(field, {})
            if not field_text.get("name") or not field_text.get("description"):
                problems.append(
                    f"services: {service}.{field} has no name and description"
                )
        if service not in icons:
            problems.append(f"services: {service} has no icon in icons.json")
    return problems


def _service_fields(description: dict[str, Any] | None) -> list[str]:
    fields = (description or {}).get("fields", {})
    names: list[str] = []
    for name, field in fields.items():
        if isinstance(field, dict) and "fields" in field and "selector" not in field:
            names.extend(field["fields"])  # a collapsible section groups its own fields
        else:
            names.append(name)
    return names


def check_quality_scale(root: Path) -> list[str]:
    """Check quality_scale.yaml lists every rule with a valid status."""
    rules = yaml.safe_load((integration_dir(root) / "quality_scale.yaml").read_text())[
        "rules"
    ]
    problems = [
        f"quality_scale: rule {rule!r} is missing"
        for rule in sorted(QUALITY_SCALE_RULES - set(rules))
    ]
    problems.extend(
        f"quality_scale: unknown rule {rule!r}"
        for rule in sorted(set(rules) - QUALITY_SCALE_RULES)
    )
    for rule, value in rules.items():
        status = value if isinstance(value, str) else (value or {}).get("status")
        if status not in QUALITY_SCALE_STATUSES:
            problems.append(
                f"quality_scale: rule {rule!r} has invalid status {status!r}"
            )
        elif status == "exempt" and not (
            isinstance(value, dict) and value.get("comment")
        ):
            problems.append(f"quality_scale: exempt rule {rule!r} needs a comment")
    return problems


def check_config_flow_descriptions(root: Path) -> list[str]:
    """Check that every config and options form field has a data_description."""
    translations = _load_json(integration_dir(root) / "translations" / "en.json")
    problems: list[str] = []
    for section in ("config", "options"):
        for step_id, step in translations.get(section, {}).get("step", {}).items():
            descriptions = step.get("data_description", {})
            problems.extend(
                f"{section}.step.{step_id}: field {field!r} has no data_description"
                for field in step.get("data", {})
                if field not in descriptions
            )
    return problems


ALL_CHECKS = (
    check_manifest,
    check_hacs,
    check_brand,
    check_services,
    check_quality_scale,
    check_config_flow_descriptions,
)
