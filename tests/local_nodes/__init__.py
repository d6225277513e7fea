"""Tests for what the two local servers share."""
