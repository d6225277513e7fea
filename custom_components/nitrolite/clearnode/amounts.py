"""Amounts in human units: one bounded parser, one canonical format, exact arithmetic.

Every amount that enters (an action's field, a cap, a preset, a server's answer) goes
through :func:`parse_amount`, so that no text such as ``"1e999999999"`` can make later
formatting expand it into a gigabyte string. Arithmetic on parsed amounts runs in
:data:`EXACT`, which raises instead of rounding.
"""

from __future__ import annotations

from decimal import (
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Underflow,
)

# An ERC-20 balance is a uint256 (78 digits) in base units; with up to 18 decimals that is
# at most 60 integer digits. Both bounds leave room and stay far from anything expensive.
MAX_INTEGER_DIGITS = 78
MAX_FRACTION_DIGITS = 36
MAX_AMOUNT_CHARS = 128

# Sums and products of bounded amounts stay far below this precision; a result that would
# need rounding raises Inexact rather than silently losing a digit.
EXACT = Context(
    prec=4 * (MAX_INTEGER_DIGITS + MAX_FRACTION_DIGITS),
    traps=[
        Clamped,
        DivisionByZero,
        Inexact,
        InvalidOperation,
        Overflow,
        Rounded,
        Underflow,
    ],
)


class AmountError(ValueError):
    """The value is not a bounded, finite, non-negative decimal amount."""


def parse_amount(value: Decimal | str | int) -> Decimal:
    """Return ``value`` as a finite, non-negative Decimal within the digit bounds.

    Floats are refused: they are inexact. Strings are parsed as written (``"1e3"`` is
    1000), after a length check.
    """
    amount = parse_decimal(value)
    if amount < 0:
        raise AmountError("must not be negative")
    return amount


def parse_decimal(value: Decimal | str | int) -> Decimal:
    """Return ``value`` as a finite Decimal of either sign within the digit bounds."""
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise AmountError("must be a decimal string")
    if isinstance(value, str):
        if len(value) > MAX_AMOUNT_CHARS:
            raise AmountError(f"longer than {MAX_AMOUNT_CHARS} characters")
        value = value.strip()
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise AmountError("not a decimal number") from None
    if not amount.is_finite():
        raise AmountError("not a finite number")
    check_bounds(amount)
    return amount


def check_bounds(amount: Decimal) -> None:
    """Raise AmountError if ``amount`` has too many integer or fraction digits."""
    if not amount:
        return
    _sign, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int):
        raise AmountError("not a finite number")
    # Trailing zeros ("1.000…0") are harmless; only significant decimal places count.
    trailing_zeros = len(digits) - len(bytes(digits).rstrip(b"\x00"))
    if -(exponent + trailing_zeros) > MAX_FRACTION_DIGITS:
        raise AmountError(f"more than {MAX_FRACTION_DIGITS} decimal places")
    if amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise AmountError(f"more than {MAX_INTEGER_DIGITS} integer digits")


def format_amount(amount: Decimal) -> str:
    """Format an amount as the plain string the servers expect ("0.5", "100", "0")."""
    check_bounds(amount)
    text = format(
        amount, "f"
    )  # exact: normalize() would round to the context precision
    if "." in text:
        text = text.rstrip("0").removesuffix(".")
    return "0" if text in ("0", "-0") else text
