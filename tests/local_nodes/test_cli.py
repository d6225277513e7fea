"""The command line options both servers take."""

from decimal import Decimal

import pytest

from local_nodes import cli

USAGE = cli.Usage(
    prog="node",
    description="a node",
    default_port=1234,
    fund_help="fund",
    state_help="state",
)
WALLET = "0x1111111111111111111111111111111111111111"
OTHER = "0x2222222222222222222222222222222222222222"


def test_the_defaults_listen_on_loopback_at_the_servers_port() -> None:
    """Without options: 127.0.0.1, the server's own port, no funding, no state file."""
    assert cli.options(USAGE, []) == cli.Options("127.0.0.1", 1234, {}, None)


def test_fund_entries_are_grouped_by_wallet() -> None:
    """Repeated ``--fund`` options add up to one mapping per wallet; amounts are exact."""
    options = cli.options(
        USAGE,
        [
            "--fund",
            f"{WALLET}:usdc:1.10",
            f"{OTHER}:usdc:2",
            "--state",
            "s.json",
            "--fund",
            f"{WALLET}:yusd:0.000000000000000001",
        ],
    )
    assert options.fund == {
        WALLET: {"usdc": Decimal("1.10"), "yusd": Decimal("1e-18")},
        OTHER: {"usdc": Decimal(2)},
    }
    assert options.state == "s.json"


@pytest.mark.parametrize(
    "entry", [f"{WALLET}:usdc", f"{WALLET}:usdc:lots", "usdc:", f"{WALLET}:usdc:"]
)
def test_a_malformed_fund_entry_stops_before_serving(entry: str) -> None:
    """Anything but ADDRESS:ASSET:AMOUNT exits with the entry named."""
    with pytest.raises(
        SystemExit, match=f"--fund expects ADDRESS:ASSET:AMOUNT, got '{entry}'"
    ):
        cli.options(USAGE, ["--fund", entry])
