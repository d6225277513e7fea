"""Development tools: a real Home Assistant process beside the local ClearNode."""
