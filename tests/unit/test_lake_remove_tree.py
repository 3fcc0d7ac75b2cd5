"""``remove_tree``: a commit's staging folder goes, files, links and nested folders with it."""

from __future__ import annotations

from pathlib import Path

from auditpipe.lake.commit import remove_tree


def test_remove_tree_removes_nested_folders_files_and_links(tmp_path: Path) -> None:
    staging = tmp_path / "txn-1"
    for provider in ("p0", "p1"):
        for day in ("2026-03-01", "2026-03-02"):
            (staging / "findings" / f"provider_id={provider}" / f"event_date={day}").mkdir(
                parents=True
            )
    (
        staging / "findings" / "provider_id=p0" / "event_date=2026-03-01" / "left.parquet"
    ).write_bytes(b"x")
    outside = tmp_path / "outside"
    (outside / "keep").mkdir(parents=True)
    (staging / "meta").mkdir()
    (staging / "meta" / "link").symlink_to(outside, target_is_directory=True)

    remove_tree(staging)

    assert not staging.exists()
    assert (outside / "keep").is_dir()  # a link is removed, never followed


def test_remove_tree_of_a_missing_folder_does_nothing(tmp_path: Path) -> None:
    remove_tree(tmp_path / "gone")
    assert list(tmp_path.iterdir()) == []
