"""Tests for the Nitrolite integration, its protocol library and the local ClearNode."""
