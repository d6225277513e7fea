"""Tests of the Nitronode v1 protocol primitives."""
