"""Nitronode v1 protocol primitives: frames, hashes, signatures, channel states.

The v1 node (PROTOCOL_V1) has no login and no envelope signatures: authority comes
from EIP-191 signatures inside state-changing payloads, over ABI encodings this
package reproduces byte for byte.
"""
