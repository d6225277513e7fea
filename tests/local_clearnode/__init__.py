"""Tests of the local ClearNode over real loopback sockets."""
