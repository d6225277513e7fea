"""Errors carry stable codes an application can map to its own messages in one table."""

import inspect
import re

import pytest

from custom_components.nitrolite import clearnode
from custom_components.nitrolite.clearnode import errors

ERROR_CLASSES = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.ClearNodeError)
]
DOCUMENTED = dict(
    re.findall(r"^\| ``(\w+)`` \| (\w+) \|", errors.__doc__ or "", re.MULTILINE)
)


def test_every_error_class_has_a_code_of_its_own() -> None:
    """No class inherits its parent's code, and no two classes share one."""
    codes = [cls.__dict__.get("code") for cls in ERROR_CLASSES]
    assert None not in codes
    assert len(set(codes)) == len(codes)


def test_the_codes_are_documented_in_one_table() -> None:
    """The module docstring's table names every class with its code, and no other."""
    assert {cls.code: cls.__name__ for cls in ERROR_CLASSES} == DOCUMENTED


def test_every_error_class_is_exported() -> None:
    """An application imports every error from the library's top level."""
    assert {cls.__name__ for cls in ERROR_CLASSES} <= set(clearnode.__all__)


@pytest.mark.parametrize(
    ("cls", "classic_parent"),
    [
        (errors.ClearNodeConnectionLostError, errors.ClearNodeConnectionError),
        (errors.ClearNodeNoAnswerError, errors.ClearNodeTimeoutError),
        (errors.ClearNodeInvalidAnswerError, errors.ClearNodeProtocolError),
    ],
)
def test_unknown_outcomes_stay_catchable_as_before(cls, classic_parent) -> None:
    """The outcome-unknown errors are still the connection, timeout and protocol errors."""
    assert issubclass(cls, classic_parent)
    assert issubclass(cls, errors.ClearNodeOutcomeUnknownError)


def test_only_the_outcome_unknown_family_may_have_been_applied() -> None:
    """``outcome_unknown`` is true exactly for the family, false for everything else."""
    for cls in ERROR_CLASSES:
        assert cls.outcome_unknown is issubclass(
            cls, errors.ClearNodeOutcomeUnknownError
        )
