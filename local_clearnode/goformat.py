"""Values written the way the Go server writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal


def go_decimal(value: Decimal) -> str:
    """shopspring/decimal String(): fixed point, no exponent, no trailing zeros."""
    if value.is_zero():
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def rfc3339(epoch_seconds: float) -> str:
    """time.Format(time.RFC3339) of a UTC time: whole seconds, "Z"."""
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_nano(epoch_seconds: float) -> str:
    """json.Marshal of a UTC time.Time: RFC3339Nano with trailing zeros trimmed."""
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction}Z" if fraction else f"{stamp}Z"
