"""The lake's identity key: the secret of the keyed hash that stands in for ID numbers.

``identity_hash`` is HMAC-SHA256(key, normalised number), hex. Without the key a hash cannot
be reversed by trying the ~10^11 plausible numbers (a plain SHA-256 could: the space is small);
with it, equal numbers still give equal hashes, which is all the shared-identity rule needs.

The key is 32 random bytes (``os.urandom``) written once per lake as hex text to
``_auditpipe/identity.key``, mode 0600. Creation is atomic: the bytes go to a private temporary
file that is then hard-linked to the final name, which fails if the name exists, so two
processes that race never end with two keys: the loser reads the winner's. A key file that
others can read is refused, as ssh refuses a private key.

Losing the key means new hashes no longer match stored ones. So a lake that already holds
account snapshots never gets a new key silently: the key must be restored from a backup of
the lake (back up ``_auditpipe/`` with the data).

The hash is computed by DuckDB as a column expression (``hmac_sql``): HMAC is two SHA-256
passes over the key padded with the ipad/opad constants (RFC 2104), which DuckDB's
``sha256`` over BLOBs does for a whole batch at once. The padded keys are bound parameters,
never SQL text. A test holds it equal to Python's ``hmac``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
import uuid
from pathlib import Path

from ..errors import LakeError
from ..i18n import _
from ..lake.commit import fsync_dir
from ..lake.layout import meta_dir

KEY_FILE = "identity.key"
KEY_BYTES = 32
_BLOCK = 64  # SHA-256's block size


def key_path(lake_root: Path) -> Path:
    return meta_dir(lake_root) / KEY_FILE


def identity_key(lake_root: Path, *, may_create: bool = True) -> bytes:
    """The lake's key, created now if the lake has none and ``may_create``."""
    path = key_path(lake_root)
    if not path.exists():
        if not may_create:
            raise LakeError(
                _(
                    "the lake's identity key {path} is missing, but the lake already holds "
                    "account snapshots hashed with it"
                ).format(path=path),
                hint=_(
                    "restore _auditpipe/identity.key from a backup of the lake; without it "
                    "new identity hashes cannot be compared with the stored ones"
                ),
            )
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    tmp = path.with_name(f".{KEY_FILE}.{uuid.uuid4().hex[:8]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(os.urandom(KEY_BYTES).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii").strip()
    except PermissionError as exc:
        # Private to the user who made it: a lake run by another user (cron) cannot read it.
        raise LakeError(
            _("cannot read the lake's identity key {path}: {error}").format(
                path=path, error=exc.strerror
            ),
            hint=_(
                "run auditpipe as the user who owns it, or give it to the user who runs "
                "auditpipe: chown USER {path} (keep its mode 600)"
            ).format(path=path),
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise LakeError(
            _("cannot read the lake's identity key {path}: {error}").format(path=path, error=exc)
        ) from exc
    if stat.S_IMODE(mode) & 0o077:
        raise LakeError(
            _("the lake's identity key {path} can be read by other users (mode {mode})").format(
                path=path, mode=f"{stat.S_IMODE(mode):04o}"
            ),
            hint=_("make it private: chmod 600 {path}").format(path=path),
        )
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise LakeError(
            _("the lake's identity key {path} is damaged (not {n} bytes of hex)").format(
                path=path, n=KEY_BYTES
            ),
            hint=_("restore _auditpipe/identity.key from a backup of the lake"),
        )
    return key


def padded_keys(key: bytes) -> dict[str, bytes]:
    """The inner and outer HMAC keys (RFC 2104), as the parameters ``hmac_sql`` uses."""
    block = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
    return {
        "hmac_inner": bytes(b ^ 0x36 for b in block),
        "hmac_outer": bytes(b ^ 0x5C for b in block),
    }


def hmac_sql(text: str) -> str:
    """hex HMAC-SHA256 of the UTF-8 bytes of ``text``; needs the parameters of
    ``padded_keys``. NULL when ``text`` is NULL."""
    return f"sha256($hmac_outer || unhex(sha256($hmac_inner || encode({text}))))"


def identity_hash(key: bytes, normalised: str) -> str:
    """The same hash in Python, for one value (tests and tools, not the ingest path)."""
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
