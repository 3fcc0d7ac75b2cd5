"""What ``generate`` returns: the files written and the numbers an ingest must reconcile to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class GeneratedFile:
    name: str  # relative to the output folder
    format: str
    provider_id: str
    rows: int  # data rows/lines written (no CSV header, no blank lines)
    bad_rows: int  # malformed rows the ingest must quarantine
    duplicate_rows: int  # rows re-sending an event already written (earlier in name order)
    bad_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def expected_stored(self) -> int:
        return self.rows - self.bad_rows - self.duplicate_rows


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    files: list[GeneratedFile]
    labels: int  # expected findings in _expected/labels.parquet
    labels_by_category: dict[str, int]
    planted_events: int
    planted_cases: int
    # Account snapshot files (*.accounts.<format>), ingested into the accounts table.
    account_snapshots: list[GeneratedFile] = field(default_factory=list)
    real_name_labels: int = 0  # expected findings in _expected/real_name_labels.parquet

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def bad_rows(self) -> int:
        return sum(f.bad_rows for f in self.files)

    @property
    def duplicate_rows(self) -> int:
        return sum(f.duplicate_rows for f in self.files)

    @property
    def expected_stored(self) -> int:
        return self.rows - self.bad_rows - self.duplicate_rows

    @property
    def bad_by_kind(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for f in self.files:
            for kind, n in f.bad_by_kind.items():
                total[kind] = total.get(kind, 0) + n
        return dict(sorted(total.items()))

    @property
    def expected_dir(self) -> Path:
        return self.out / "_expected"

    @property
    def labels_path(self) -> Path:
        return self.expected_dir / "labels.parquet"

    @property
    def summary_path(self) -> Path:
        return self.expected_dir / "summary.json"
