"""Seeded identifiers: prefixed (``prj_<uuid>``, the newest docs) or bare UUIDs (the quickstart)."""

from __future__ import annotations

import random
import string
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_UPPER_ALNUM = string.ascii_uppercase + string.digits
_BASE64URL = string.ascii_letters + string.digits + "-_"


class Ids:
    """Deterministic ids for one fake (same seed, same sequence)."""

    def __init__(self, seed: int, *, prefixed: bool = True) -> None:
        self._rng = random.Random(f"layers-fake-ids:{seed}")
        self.prefixed = prefixed

    def id(self, prefix: str) -> str:
        """A new ``<prefix>_<uuid>`` id, or the bare UUID when ids are not prefixed."""
        return self.canonical(prefix, self.uuid())

    def canonical(self, prefix: str, given: str) -> str:
        """The stored form of an id given either way (``prj_<uuid>`` or the bare UUID)."""
        bare = given.removeprefix(f"{prefix}_")
        return f"{prefix}_{bare}" if self.prefixed else bare

    def uuid(self) -> str:
        """A random (seeded) UUID4 string."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def ulid(self, epoch_ms: int) -> str:
        """A 26-char ULID-like string: 10 time chars then 16 random ones."""
        stamp = "".join(_CROCKFORD[(epoch_ms >> (5 * i)) & 31] for i in reversed(range(10)))
        return stamp + self.text(16, _CROCKFORD)

    def text(self, length: int, alphabet: str) -> str:
        """``length`` characters drawn from ``alphabet``."""
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def key_public_id(self) -> str:
        """The 16-char key id embedded in a key string."""
        return self.text(16, _UPPER_ALNUM)

    def key_secret(self) -> str:
        """The 43-char base64url secret of a key string."""
        return self.text(43, _BASE64URL)

    def state_token(self) -> str:
        """An opaque 32-char state value (GitHub install URLs)."""
        return self.text(32, _BASE64URL)

    def hex(self, length: int) -> str:
        """Lower-case hex characters."""
        return self.text(length, "0123456789abcdef")
