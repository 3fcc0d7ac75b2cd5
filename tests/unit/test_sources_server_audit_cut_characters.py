"""A statement server_audit cut inside a multi-byte character (its query_log_limit is in
bytes): the line is then not valid in its own encoding, and its text must still be read in
it, the cut character's bytes alone written \\xNN."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.sources import events, read_log

READ_LINE = "20261202 19:46:48,vm,svc_app,localhost,171,1225,READ,shop,用户,\n".encode()
# Logged by a real MariaDB 10.11 for `SELECT `姓名` FROM `用户` WHERE `身份证号` = …`:
# a GBK client's statement cut inside 号 (server_audit_query_log_limit = 40) …
GBK_CUT = (
    b"20261202 19:46:48,vm,svc_app,localhost,171,1225,QUERY,shop,'SELECT `\xd0\xd5\xc3\xfb` "
    b"FROM `\xd3\xc3\xbb\xa7` WHERE `\xc9\xed\xb7\xdd\xd6\xa4\xba',0\n"
)
# … and a UTF-8 client's cut inside 身, whose bytes also read as (other) GB18030 characters.
UTF8_CUT = (
    b"20261202 19:46:48,vm,svc_app,localhost,171,1225,QUERY,shop,'SELECT `\xe5\xa7\x93\xe5\x90"
    b"\x8d` FROM `\xe7\x94\xa8\xe6\x88\xb7` WHERE `\xe8\xba',0\n"
)


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (GBK_CUT, "SELECT `姓名` FROM `用户` WHERE `身份证\\xba"),
        (UTF8_CUT, "SELECT `姓名` FROM `用户` WHERE `\\xe8\\xba"),
    ],
    ids=["gbk", "utf8"],
)
def test_a_statement_cut_inside_a_character_keeps_its_text(
    tmp_path: Path, line: bytes, shown: str
) -> None:
    inner = line.split(b"'", 1)[1].rsplit(b"'", 1)[0]
    rows, _ = read_log(
        tmp_path,
        READ_LINE + line,
        kind="server_audit",
        fmt=None,
        extra=f"query_log_limit = {len(inner)}",
    )
    (event,) = events(rows)
    assert event["extras"]["truncated"] is True
    assert event["extras"]["statement"] == shown


def test_lines_of_a_gbk_client_are_decoded_together_not_line_by_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every statement of a GBK client is a line that is not UTF-8: they are decoded in one
    call, not one Python call per line (the lines carry their line breaks)."""
    import io

    from auditpipe.sources import lines

    calls: list[bytes] = []
    decode = lines._decode
    monkeypatch.setattr(lines, "_decode", lambda line, enc: calls.append(line) or decode(line, enc))
    data = "".join(f"SELECT 姓名 FROM 用户 WHERE 编号 = {i}\n" for i in range(50)).encode("gbk")
    (batch,) = lines.text_batches(
        io.BytesIO(data), quoted_newlines=False, batch_bytes=1 << 20, max_line_bytes=1 << 20
    )
    assert batch.frame["text"].to_list()[7] == "SELECT 姓名 FROM 用户 WHERE 编号 = 7"
    assert calls == []
