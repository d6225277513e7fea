"""What the local ClearNode and the local Nitronode share (never installed for users).

The loopback aiohttp server's lifecycle (:mod:`.server`), a socket's queued writer
(:mod:`.sockets`), the atomic JSON state file (:mod:`.json_file`) and the command line
(:mod:`.cli`). Each server keeps its own protocol, state format and public API.
"""
