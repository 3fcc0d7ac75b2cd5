"""The report's start-up imports what the report runs, not the modules only other commands use:
``auditpipe.detect`` resolves its names when first used, so reading the rules and the account
history (all the report needs of detect) does not load the detection engine."""

from __future__ import annotations

import subprocess
import sys


def test_building_a_report_does_not_import_the_detection_engine() -> None:
    code = (
        "import sys, auditpipe.report.build, auditpipe.cli.report_cmd\n"
        "print(sorted(m for m in sys.modules if m in "
        "('auditpipe.detect.engine', 'auditpipe.detect.partition', 'auditpipe.detect.load')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_detect_package_still_gives_its_names() -> None:
    import auditpipe.detect as detect
    from auditpipe.detect import DetectSettings, load_rules, run_detect
    from auditpipe.detect.engine import run_detect as engine_run_detect

    assert run_detect is engine_run_detect
    assert callable(load_rules) and DetectSettings.__name__ == "DetectSettings"
    assert set(detect.__all__) <= set(dir(detect)) | set(detect._LAZY)
    try:
        detect.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
