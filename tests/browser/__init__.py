"""Browser tests: what a user sees of the integration in Home Assistant's frontend."""
