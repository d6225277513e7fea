"""Fault suite: the integration under a misbehaving network and ClearNode."""
