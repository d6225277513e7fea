"""The state file: read back as written, never left half-written."""

from decimal import Decimal
import json
from pathlib import Path

import pytest

from local_nodes import json_file


def test_a_document_reads_back_as_written(tmp_path: Path) -> None:
    """What is written is what is read, and no temporary file stays behind."""
    path = tmp_path / "state.json"
    json_file.write_atomically(path, {"format": "x", "rows": [["a", "1.5"]]})

    assert json_file.read(path) == {"format": "x", "rows": [["a", "1.5"]]}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_missing_file_reads_as_none(tmp_path: Path) -> None:
    """A server started with a new state file starts empty."""
    assert json_file.read(tmp_path / "new.json") is None


def test_a_failed_write_keeps_the_previous_document(tmp_path: Path) -> None:
    """A write that fails midway leaves the old file whole and removes its temporary."""
    path = tmp_path / "state.json"
    json_file.write_atomically(path, {"balance": "10"})

    with pytest.raises(TypeError):
        json_file.write_atomically(path, {"balance": Decimal(20)})

    assert json.loads(path.read_text()) == {"balance": "10"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
