"""Tests of the local Nitronode v1 over real loopback sockets."""
