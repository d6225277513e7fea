"""The repository passes what hassfest and HACS check, and each check catches breakage."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import shutil

import pytest
import yaml

from .checks import (
    ALL_CHECKS,
    check_brand,
    check_config_flow_descriptions,
    check_hacs,
    check_manifest,
    check_quality_scale,
    check_services,
    integration_dir,
)

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture
def repository_copy(tmp_path: Path) -> Path:
    """Return a disposable copy of the files the checks read."""
    for name in ("hacs.json", "README.md", "LICENSE"):
        shutil.copy(REPOSITORY / name, tmp_path / name)
    shutil.copytree(
        integration_dir(REPOSITORY),
        integration_dir(tmp_path),
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def _edit_yaml(path: Path, change: Callable[[dict], None]) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize("check", ALL_CHECKS, ids=lambda check: check.__name__)
def test_repository_passes(check: Callable[[Path], list[str]]) -> None:
    """The real tree has no problem any check can see."""
    assert check(REPOSITORY) == []


def test_unsorted_manifest_is_caught(repository_copy: Path) -> None:
    """Hassfest wants domain, name, then the other keys alphabetically."""
    path = integration_dir(repository_copy) / "manifest.json"
    manifest = json.loads(path.read_text())
    reordered = {"name": manifest.pop("name"), **manifest}
    path.write_text(json.dumps(reordered))
    assert any("not sorted" in problem for problem in check_manifest(repository_copy))


@pytest.mark.parametrize("key", ["version", "codeowners", "issue_tracker", "iot_class"])
def test_missing_manifest_key_is_caught(repository_copy: Path, key: str) -> None:
    """Keys HACS or hassfest require cannot be dropped."""
    _edit_json(integration_dir(repository_copy) / "manifest.json", lambda m: m.pop(key))
    assert f"manifest: missing key {key!r}" in check_manifest(repository_copy)


def test_unpinned_requirement_is_caught(repository_copy: Path) -> None:
    """Requirements must be pinned to one version."""
    _edit_json(
        integration_dir(repository_copy) / "manifest.json",
        lambda m: m["requirements"].append("eth-account>=0.13"),
    )
    assert any("not pinned" in problem for problem in check_manifest(repository_copy))


def test_unknown_hacs_key_is_caught(repository_copy: Path) -> None:
    """HACS rejects any key it does not know."""
    _edit_json(repository_copy / "hacs.json", lambda h: h.update(homeassistant_min="1"))
    assert "hacs.json: unknown key 'homeassistant_min'" in check_hacs(repository_copy)


def test_missing_hacs_name_is_caught(repository_copy: Path) -> None:
    """HACS requires a display name."""
    _edit_json(repository_copy / "hacs.json", lambda h: h.pop("name"))
    assert "hacs.json: 'name' is required" in check_hacs(repository_copy)


def test_missing_brand_icon_is_caught(repository_copy: Path) -> None:
    """HACS looks for brand/icon.png."""
    (integration_dir(repository_copy) / "brand" / "icon.png").unlink()
    assert check_brand(repository_copy) == ["brand: brand/icon.png is missing"]


def test_brand_icon_that_is_not_a_png_is_caught(repository_copy: Path) -> None:
    """The icon must be a real PNG."""
    (integration_dir(repository_copy) / "brand" / "icon.png").write_bytes(b"GIF89a")
    assert check_brand(repository_copy) == ["brand: brand/icon.png is not a PNG file"]


def test_brand_icon_of_wrong_size_is_caught(repository_copy: Path) -> None:
    """The icon must be 256x256."""
    icon = integration_dir(repository_copy) / "brand" / "icon.png"
    header = bytearray(icon.read_bytes())
    header[16:24] = (128).to_bytes(4, "big") * 2
    icon.write_bytes(bytes(header))
    assert check_brand(repository_copy) == [
        "brand: brand/icon.png is 128x128, expected 256x256"
    ]


def test_untranslated_service_field_is_caught(repository_copy: Path) -> None:
    """Every field of every service needs a name and description."""
    root = integration_dir(repository_copy)
    service = next(iter(yaml.safe_load((root / "services.yaml").read_text())))
    _edit_yaml(
        root / "services.yaml",
        lambda s: (
            s[service]
            .setdefault("fields", {})
            .update(extra_field={"selector": {"text": {}}})
        ),
    )
    assert f"services: {service}.extra_field has no name and description" in (
        check_services(repository_copy)
    )


def test_untranslated_service_is_caught(repository_copy: Path) -> None:
    """A service without a translated name and description is caught."""
    root = integration_dir(repository_copy)
    _edit_yaml(root / "services.yaml", lambda s: s.update(new_service={"fields": {}}))
    assert "services: new_service has no name and description in en.json" in (
        check_services(repository_copy)
    )


def test_service_without_icon_is_caught(repository_copy: Path) -> None:
    """Every service needs an icon in icons.json."""
    root = integration_dir(repository_copy)
    service = next(iter(yaml.safe_load((root / "services.yaml").read_text())))
    _edit_json(root / "icons.json", lambda i: i["services"].pop(service))
    assert f"services: {service} has no icon in icons.json" in check_services(
        repository_copy
    )


def test_missing_quality_scale_rule_is_caught(repository_copy: Path) -> None:
    """Every rule of the Integration Quality Scale is tracked."""
    _edit_yaml(
        integration_dir(repository_copy) / "quality_scale.yaml",
        lambda q: q["rules"].pop("strict-typing"),
    )
    assert "quality_scale: rule 'strict-typing' is missing" in check_quality_scale(
        repository_copy
    )


def test_invalid_quality_scale_status_is_caught(repository_copy: Path) -> None:
    """A status is done, todo or exempt."""
    _edit_yaml(
        integration_dir(repository_copy) / "quality_scale.yaml",
        lambda q: q["rules"].update({"brands": "finished"}),
    )
    assert "quality_scale: rule 'brands' has invalid status 'finished'" in (
        check_quality_scale(repository_copy)
    )


def test_exemption_without_comment_is_caught(repository_copy: Path) -> None:
    """An exemption must say why."""
    _edit_yaml(
        integration_dir(repository_copy) / "quality_scale.yaml",
        lambda q: q["rules"].update({"discovery": {"status": "exempt"}}),
    )
    assert "quality_scale: exempt rule 'discovery' needs a comment" in (
        check_quality_scale(repository_copy)
    )


def test_config_field_without_description_is_caught(repository_copy: Path) -> None:
    """Every config flow field is explained with a data_description."""
    _edit_json(
        integration_dir(repository_copy) / "translations" / "en.json",
        lambda t: t["config"]["step"]["user"]["data"].update(extra="Extra"),
    )
    assert "config.step.user: field 'extra' has no data_description" in (
        check_config_flow_descriptions(repository_copy)
    )


def test_missing_license_is_caught(repository_copy: Path) -> None:
    """HACS wants a README and a LICENSE at the repository root."""
    (repository_copy / "LICENSE").unlink()
    assert "repository: LICENSE is missing at the root" in check_hacs(repository_copy)
