"""End-to-end: a real Home Assistant process and the local ClearNode."""
