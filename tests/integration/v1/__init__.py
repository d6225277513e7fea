"""Home Assistant tests of v1 entries against the local Nitronode."""
