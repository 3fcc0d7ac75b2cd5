"""The identity key is private (mode 600), so a lake made by one user and run by another (a
cron user given write access to the lake) cannot read it: the message says what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auditpipe.errors import LakeError
from auditpipe.lake import Lake
from auditpipe.realname.secret import identity_key, key_path


def test_a_key_another_user_owns_is_an_error_saying_whose_it_must_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was '... identity key K: [Errno 13] Permission denied: K', with no hint."""
    Lake.open(tmp_path / "lake", create=True)
    key = key_path(tmp_path / "lake")
    identity_key(tmp_path / "lake")
    real_read_text = Path.read_text

    def denied(self: Path, *args: Any, **kwargs: Any) -> str:
        if self == key:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(LakeError) as info:
        identity_key(tmp_path / "lake")
    message = str(info.value)
    assert message == f"cannot read the lake's identity key {key}: Permission denied"
    assert "chown" in (info.value.hint or "") and "600" in (info.value.hint or "")
