"""Tests of the ClearNode client library."""
