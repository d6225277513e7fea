"""The Nitrolite integration: pay and get paid over ERC-7824 state channels."""
