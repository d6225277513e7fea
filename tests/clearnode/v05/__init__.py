"""Tests of the ClearNode v0.5 dialect: codec, signatures, client."""
