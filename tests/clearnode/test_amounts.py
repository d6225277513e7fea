"""Amounts are bounded where they enter, formatted exactly and computed without rounding."""

from decimal import Decimal, Inexact, localcontext

import pytest

from custom_components.nitrolite.clearnode import EXACT, AmountError, parse_amount
from custom_components.nitrolite.clearnode.amounts import (
    MAX_AMOUNT_CHARS,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    format_amount,
    parse_decimal,
)


@pytest.mark.parametrize(
    "text",
    [
        "1e999999999",  # would expand to a gigabyte string when formatted
        "1e-999999999",
        "9" * (MAX_INTEGER_DIGITS + 1),
        "0." + "0" * MAX_FRACTION_DIGITS + "1",
        "1" * (MAX_AMOUNT_CHARS + 1),
        "NaN",
        "Infinity",
        "-1",
        "1,5",
        "",
    ],
)
def test_unbounded_or_malformed_amounts_are_refused(text: str) -> None:
    """Huge exponents, too many digits, non-finite and negative values are refused."""
    with pytest.raises(AmountError):
        parse_amount(text)


def test_floats_and_booleans_are_refused() -> None:
    """A float is inexact and a boolean is not an amount."""
    with pytest.raises(AmountError):
        parse_amount(0.1)  # type: ignore[arg-type]
    with pytest.raises(AmountError):
        parse_amount(True)  # noqa: FBT003


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e3", Decimal(1000)),
        (" 2.5 ", Decimal("2.5")),
        ("1." + "0" * 80, Decimal(1)),  # trailing zeros are not significant
        ("9" * MAX_INTEGER_DIGITS, Decimal("9" * MAX_INTEGER_DIGITS)),
        (
            "0." + "0" * (MAX_FRACTION_DIGITS - 1) + "1",
            Decimal(10) ** -MAX_FRACTION_DIGITS,
        ),
        ("0", Decimal(0)),
    ],
)
def test_bounded_amounts_are_parsed_as_written(text: str, expected: Decimal) -> None:
    """Amounts inside the bounds are accepted with their exact value."""
    assert parse_amount(text) == expected


def test_server_values_may_be_negative_but_stay_bounded() -> None:
    """Signed values (ledger entries) use the same bounds."""
    assert parse_decimal("-3.5") == Decimal("-3.5")
    with pytest.raises(AmountError):
        parse_decimal("-1e999999999")


def test_formatting_refuses_an_unbounded_decimal() -> None:
    """A Decimal built elsewhere is checked again before it is expanded."""
    with pytest.raises(AmountError):
        format_amount(Decimal("1e999999999"))
    assert format_amount(Decimal("1.500")) == "1.5"


def test_exact_arithmetic_keeps_every_digit() -> None:
    """Sums past the default 28-digit precision are exact; rounding raises instead."""
    big = parse_amount("1" + "0" * 40)
    tiny = parse_amount("0." + "0" * 20 + "1")
    with localcontext(EXACT):
        assert format_amount(big + tiny) == "1" + "0" * 40 + "." + "0" * 20 + "1"
        with pytest.raises(Inexact):
            _ = Decimal(1) / Decimal(3)
