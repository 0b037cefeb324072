"""Member pseudonyms for research exports.

A pseudonym is HMAC-SHA256 of the member's id under a key of the member's council. Each
council's key is derived with HKDF (RFC 5869) from the master key in the `PSEUDONYM_KEY`
environment variable, which never enters the database: the same member keeps the same
pseudonym in every export of their council, while the pseudonyms of two councils cannot be
linked without the master key.
"""

import hashlib
import hmac

from django.conf import settings

# Bumping the version changes every pseudonym; do so only with a new master key.
_INFO = b"surveyplatform member pseudonym v1 council "
PSEUDONYM_LENGTH = 32  # hex characters: 128 bits, collision-free at any panel size


def _hkdf_sha256(master: bytes, *, info: bytes, length: int = 32) -> bytes:
    """Return HKDF-SHA256 output keying material (RFC 5869, with an empty salt)."""
    prk = hmac.new(b"\x00" * 32, master, hashlib.sha256).digest()
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
        counter += 1
    return output[:length]


def council_key(council_id: int) -> bytes:
    """Return the pseudonym key of one council, derived from the master key."""
    master = settings.PSEUDONYM_KEY.encode()
    return _hkdf_sha256(master, info=_INFO + str(council_id).encode())


def pseudonym(member_id: int, *, key: bytes) -> str:
    """Return the member's pseudonym under a council key from `council_key`."""
    digest = hmac.new(key, str(member_id).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


def key_fingerprint() -> str:
    """Return a short digest of the master key, so cached exports notice a key change."""
    return hmac.new(settings.PSEUDONYM_KEY.encode(), b"fingerprint", hashlib.sha256).hexdigest()[
        :16
    ]
