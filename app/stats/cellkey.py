"""Record keys: a 32-bit number per learner, derived from their (secret, peppered) learner key.

The rollup counters keep, beside each count, the sum of its contributors' record keys (the `_key`
columns). The first edition of the statistics derived each cell's noise from them (the cell key method);
the second edition (app/stats/continual.py, app/stats/privacy.py) draws fresh noise per change instead
and does not read them. They are still written so that code of migration 0007 can run beside this
code during a rolling upgrade; a contract migration can drop them once no such code runs.
"""

from __future__ import annotations

import hashlib

MODULUS = 2**32


def record_key(learner_key: str) -> int:
    """The learner's record key; unknowable without their learner key (itself an HMAC with the pepper)."""
    return int.from_bytes(hashlib.sha256(b"cell-key\n" + learner_key.encode()).digest()[:4], "big")
