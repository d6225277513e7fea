"""secp256k1 keys, signatures and recovery, shared by every dialect.

Signatures are byte-identical to ``eth_account.Account.unsafe_sign_hash``: the nonce
is RFC 6979 (HMAC-SHA256) exactly as eth-keys derives it, ``s`` is low-s normalised
and ``v`` is 27/28. Point multiplication uses fastecdsa when it can be imported,
otherwise the slow pure Python eth-keys backend; :data:`BACKEND` tells which is active.
What a dialect signs (which digest of which bytes) is the dialect's business.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import hashlib
import hmac
import re
import secrets
from typing import Protocol

from .addresses import to_checksum_address
from .digests import keccak256
from .errors import ClearNodeProtocolError, ClearNodeValidationError

# secp256k1 domain parameters.
CURVE_P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
CURVE_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = CURVE_N // 2
_SIGNATURE_HEX = re.compile(r"0x[0-9a-fA-F]{130}")
_KEY_HEX = re.compile(r"(0x)?[0-9a-fA-F]{64}")

type PublicKey = tuple[int, int]


class SigningBackend(Protocol):
    """The elliptic-curve operations a signer needs."""

    fast: bool

    def public_key(self, secret: int) -> PublicKey:
        """Return ``secret * G``."""
        ...

    def nonce_point_x_parity(self, nonce: int) -> tuple[int, int]:
        """Return ``(R.x, R.y & 1)`` for ``R = nonce * G``."""
        ...

    def recover(self, z: int, recid: int, r: int, s: int) -> PublicKey:
        """Recover the public key of signature ``(r, s, recid)`` over ``z``."""
        ...

    def verify(self, z: int, r: int, s: int, public_key: PublicKey) -> bool:
        """Check signature ``(r, s)`` over ``z`` against a known public key."""
        ...


def _lift_x(x: int, parity: int) -> PublicKey:
    alpha = (pow(x, 3, CURVE_P) + 7) % CURVE_P
    beta = pow(alpha, (CURVE_P + 1) // 4, CURVE_P)
    if beta * beta % CURVE_P != alpha:
        msg = "invalid signature: r is not on the curve"
        raise ClearNodeProtocolError(msg)
    return (x, beta if beta & 1 == parity else CURVE_P - beta)


class FastecdsaBackend:
    """Point arithmetic in fastecdsa's native code (about 0.2 ms per multiplication)."""

    fast = True

    def __init__(self) -> None:
        """Bind fastecdsa's curve and point types."""
        from fastecdsa.curve import secp256k1  # noqa: PLC0415 - optional dependency
        from fastecdsa.rust import Point  # noqa: PLC0415

        self._curve = secp256k1
        self._point = Point
        self._generator = secp256k1.G
        self._infinity = secp256k1.G * 0

    def public_key(self, secret: int) -> PublicKey:
        """Return ``secret * G``."""
        point = self._generator * secret
        return (point.x, point.y)

    def nonce_point_x_parity(self, nonce: int) -> tuple[int, int]:
        """Return ``(R.x, R.y & 1)`` for ``R = nonce * G``."""
        point = self._generator * nonce
        return (point.x, point.y & 1)

    def recover(self, z: int, recid: int, r: int, s: int) -> PublicKey:
        """Recover ``Q = r^-1 (s R - z G)``."""
        x, y = _lift_x(r, recid)
        r_inv = pow(r, -1, CURVE_N)
        nonce_point = self._point(x, y, self._curve)
        point = nonce_point * (s * r_inv % CURVE_N) + self._generator * (
            -z * r_inv % CURVE_N
        )
        if point == self._infinity:
            msg = "invalid signature: recovers to the point at infinity"
            raise ClearNodeProtocolError(msg)
        return (point.x, point.y)

    def verify(self, z: int, r: int, s: int, public_key: PublicKey) -> bool:
        """Check ``(r, s)`` in fastecdsa's native code (no square root, no recovery)."""
        x, y = public_key
        return bool(
            self._curve.verify(
                r.to_bytes(32, "little"),
                s.to_bytes(32, "little"),
                (z % CURVE_N).to_bytes(32, "little"),
                x.to_bytes(32, "little"),
                y.to_bytes(32, "little"),
            )
        )


class NativeBackend:
    """eth-keys' pure Python backend: slow (several ms); callers run it off-loop."""

    fast = False

    def public_key(self, secret: int) -> PublicKey:
        """Return ``secret * G``."""
        from eth_keys.backends.native import jacobian  # noqa: PLC0415
        from eth_keys.constants import SECPK1_G  # noqa: PLC0415

        x, y = jacobian.fast_multiply(SECPK1_G, secret)
        return (x, y)

    def nonce_point_x_parity(self, nonce: int) -> tuple[int, int]:
        """Return ``(R.x, R.y & 1)`` for ``R = nonce * G``."""
        x, y = self.public_key(nonce)
        return (x, y & 1)

    def recover(self, z: int, recid: int, r: int, s: int) -> PublicKey:
        """Recover the public key with eth-keys."""
        from eth_keys.backends.native.ecdsa import ecdsa_raw_recover  # noqa: PLC0415
        from eth_keys.exceptions import BadSignature  # noqa: PLC0415

        try:
            raw = ecdsa_raw_recover(z.to_bytes(32), (recid, r, s))
        except BadSignature:
            msg = "invalid signature"
            raise ClearNodeProtocolError(msg) from None
        return (int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))

    def verify(self, z: int, r: int, s: int, public_key: PublicKey) -> bool:
        """Check ``(r, s)`` with eth-keys."""
        from eth_keys.backends.native.ecdsa import ecdsa_raw_verify  # noqa: PLC0415

        x, y = public_key
        encoded = x.to_bytes(32) + y.to_bytes(32)
        return ecdsa_raw_verify(z.to_bytes(32), (r, s), encoded)


def _default_backend() -> SigningBackend:
    try:
        return FastecdsaBackend()
    except ImportError:
        return NativeBackend()


BACKEND: SigningBackend = _default_backend()


def public_key_to_address(public_key: PublicKey) -> str:
    """Return the EIP-55 address of an uncompressed public key."""
    x, y = public_key
    digest = keccak256(x.to_bytes(32) + y.to_bytes(32))
    return to_checksum_address("0x" + digest[-20:].hex())


def _rfc6979_nonce(z: int, secret_bytes: bytes) -> int:
    # Mirrors eth_keys.backends.native.ecdsa.deterministic_generate_k bit for bit.
    msg_hash = (z % CURVE_N).to_bytes(32)
    v_0, k_0 = b"\x01" * 32, b"\x00" * 32
    k_1 = hmac.digest(k_0, v_0 + b"\x00" + secret_bytes + msg_hash, hashlib.sha256)
    v_1 = hmac.digest(k_1, v_0, hashlib.sha256)
    k_2 = hmac.digest(k_1, v_1 + b"\x01" + secret_bytes + msg_hash, hashlib.sha256)
    v_2 = hmac.digest(k_2, v_1, hashlib.sha256)
    return int.from_bytes(hmac.digest(k_2, v_2, hashlib.sha256))


def _check_digest(digest: bytes) -> int:
    if len(digest) != 32:  # noqa: PLR2004 - Keccak-256 digest size
        raise ClearNodeValidationError(field="digest", message="must be 32 bytes")
    return int.from_bytes(digest)


class Signer:
    """A secp256k1 private key. Its repr and str never reveal the key."""

    __slots__ = ("_address", "_backend", "_secret")

    def __init__(self, secret: int, backend: SigningBackend | None = None) -> None:
        """Wrap a secret scalar; prefer :meth:`from_key` or :meth:`generate`."""
        if not 0 < secret < CURVE_N:
            raise ClearNodeValidationError(field="private_key", message="out of range")
        self._secret = secret
        self._backend = backend or BACKEND
        self._address = public_key_to_address(self._backend.public_key(secret))

    @classmethod
    def from_key(cls, hex_key: str, backend: SigningBackend | None = None) -> Signer:
        """Load a 32-byte hex private key (with or without 0x)."""
        if not isinstance(hex_key, str) or not _KEY_HEX.fullmatch(hex_key):
            raise ClearNodeValidationError(
                field="private_key", message="not a 32-byte hex key"
            )
        return cls(int(hex_key.removeprefix("0x"), 16), backend)

    @classmethod
    def generate(cls, backend: SigningBackend | None = None) -> Signer:
        """Create a new random key (used for session keys)."""
        return cls(secrets.randbelow(CURVE_N - 1) + 1, backend)

    @property
    def address(self) -> str:
        """The EIP-55 address of this key."""
        return self._address

    @property
    def fast(self) -> bool:
        """Whether signing is cheap enough to run on the event loop."""
        return self._backend.fast

    def sign_digest(self, digest: bytes) -> str:
        """Sign a 32-byte digest: 0x + r ‖ s ‖ v (v = 27/28), lowercase hex."""
        z = _check_digest(digest)
        nonce = _rfc6979_nonce(z, self._secret.to_bytes(32))
        r, parity = self._backend.nonce_point_x_parity(nonce)
        s = pow(nonce, -1, CURVE_N) * (z + r * self._secret) % CURVE_N
        if s > _HALF_N:
            s, parity = CURVE_N - s, parity ^ 1
        return "0x" + (r.to_bytes(32) + s.to_bytes(32) + bytes([27 + parity])).hex()

    async def async_sign_digest(self, digest: bytes) -> str:
        """Sign on the event loop when that is cheap, else in the default executor."""
        return await run_crypto(self.fast, self.sign_digest, digest)

    def sign_message(self, text: str) -> str:
        """Sign keccak256(utf8(text)), raw (no EIP-191 prefix), as ClearNode v0.5 does."""
        return self.sign_digest(keccak256(text.encode()))

    def __repr__(self) -> str:
        """Show the address only."""
        return f"Signer(address={self._address})"

    __str__ = __repr__

    def __reduce__(self) -> str:
        """Refuse pickling, which would copy the key around."""
        msg = "Signer cannot be pickled"
        raise TypeError(msg)


def split_signature(signature_hex: str) -> tuple[int, int, int]:
    """Return ``(recid, r, s)`` of a 65-byte 0x-hex signature (v 27/28 or 0/1)."""
    if not _SIGNATURE_HEX.fullmatch(signature_hex):
        msg = "invalid signature: not 65 bytes of 0x-hex"
        raise ClearNodeProtocolError(msg)
    raw = bytes.fromhex(signature_hex[2:])
    v = raw[64] - 27 if raw[64] >= 27 else raw[64]  # noqa: PLR2004 - v 27/28 or 0/1
    r, s = int.from_bytes(raw[:32]), int.from_bytes(raw[32:64])
    if v not in {0, 1} or not (0 < r < CURVE_N and 0 < s < CURVE_N):
        msg = "invalid signature: values out of range"
        raise ClearNodeProtocolError(msg)
    return v, r, s


def recover_address(
    digest: bytes, signature_hex: str, backend: SigningBackend | None = None
) -> str:
    """Return the EIP-55 signer of ``digest`` (ClearNodeProtocolError if invalid)."""
    return public_key_to_address(recover_public_key(digest, signature_hex, backend))


def recover_public_key(
    digest: bytes, signature_hex: str, backend: SigningBackend | None = None
) -> PublicKey:
    """Return the public key that signed ``digest`` (ClearNodeProtocolError if invalid)."""
    recid, r, s = split_signature(signature_hex)
    return (backend or BACKEND).recover(_check_digest(digest), recid, r, s)


async def run_crypto[**P, T](
    fast: bool,  # noqa: FBT001
    function: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run a signature or check inline when ``fast`` (the fast backend), else in an executor.

    The pure-Python fallback takes tens of milliseconds: too long for the event loop.
    """
    if fast:
        return function(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: function(*args, **kwargs))
