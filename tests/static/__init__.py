"""Offline checks of what hassfest and HACS would check for a custom integration."""
