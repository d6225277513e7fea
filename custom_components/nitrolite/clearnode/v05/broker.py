"""The broker: the key that signs every ClearNode frame, and the check against it.

The first ``get_config`` names the broker; its answer must carry the broker's own
signature, and a client pinned to a broker refuses any other before logging in.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import signing
from ..addresses import to_checksum_address
from ..connection import verify_frame
from ..digests import keccak256
from ..errors import ClearNodeBrokerChangedError, ClearNodeProtocolError
from ..frames import InboundFrame
from ..models import BrokerConfig


class SignatureVerifier:
    """Checks that raw signed text carries a signature of one expected address.

    The signature covers keccak256 of the text itself (no EIP-191 prefix). The first
    valid signature reveals the signer's public key (it recovers to the expected
    address); later signatures are checked against that key directly, which skips the
    square root and the recovery.
    """

    __slots__ = ("_address", "_backend", "_public_key")

    def __init__(
        self, address: str, backend: signing.SigningBackend | None = None
    ) -> None:
        """Expect signatures by ``address`` (any case)."""
        self._address = to_checksum_address(address)
        self._backend = backend or signing.BACKEND
        self._public_key: signing.PublicKey | None = None

    @property
    def address(self) -> str:
        """The expected signer, EIP-55."""
        return self._address

    @property
    def fast(self) -> bool:
        """Whether verification is cheap enough to run on the event loop."""
        return self._backend.fast

    def verify(self, signed_text: str, signatures: Sequence[str]) -> bool:
        """Return True when one of ``signatures`` over ``signed_text`` is ours."""
        digest = keccak256(signed_text.encode())
        for signature in signatures:
            try:
                if self._verify_one(digest, signature):
                    return True
            except ClearNodeProtocolError:
                continue
        return False

    def _verify_one(self, digest: bytes, signature: str) -> bool:
        recid, r, s = signing.split_signature(signature)
        z = int.from_bytes(digest)
        if self._public_key is not None:
            return self._backend.verify(z, r, s, self._public_key)
        public_key = self._backend.recover(z, recid, r, s)
        if signing.public_key_to_address(public_key) != self._address:
            return False
        self._public_key = public_key
        return True


async def trusted_broker(
    config: BrokerConfig, frame: InboundFrame, expected: str | None
) -> SignatureVerifier:
    """Return the verifier of the broker ``config`` names, once its own frame proves it.

    ``expected`` is the broker the client is pinned to (or already trusts), if any.
    """
    if expected is not None and config.broker_address != expected:
        raise ClearNodeBrokerChangedError(expected, config.broker_address)
    verifier = SignatureVerifier(config.broker_address)
    if not await verify_frame(verifier, frame):
        msg = "get_config is not signed by the broker it names"
        raise ClearNodeProtocolError(msg)
    return verifier
