"""Addresses: EIP-55 checksums, and a parser that lets no typo through."""

import pytest

from custom_components.nitrolite.clearnode import (
    ClearNodeValidationError,
    parse_address,
    to_checksum_address,
)

from .vectors import keys

PEER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize(
    "value",
    [PEER, PEER.lower(), "0x" + PEER[2:].upper(), f"  {PEER.lower()} "],
)
def test_addresses_without_a_checksum_or_with_a_valid_one_are_accepted(value) -> None:
    """All-lower and all-upper hex carry no checksum; a valid EIP-55 form passes."""
    assert parse_address(value, "to") == PEER


def test_mixed_case_address_with_a_wrong_checksum_is_refused() -> None:
    """A one-character typo in a checksummed address must not become another address."""
    typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9"  # last digit 8 -> 9
    wrong_case = "0x70997970c51812dc3A010C7d01b50e0d17dc79C8"  # C -> c
    for value in (typo, wrong_case):
        with pytest.raises(ClearNodeValidationError) as err:
            parse_address(value, "to")
        assert err.value.field == "to"


def test_to_checksum_address_converts_and_validates() -> None:
    """To checksum address converts and validates."""
    address = keys()["counterparty"]["address"]
    assert to_checksum_address(address.lower()) == address
    with pytest.raises(ClearNodeValidationError):
        to_checksum_address("0x1234")
