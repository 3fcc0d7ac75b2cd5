"""Former home of the run records, now ``auditpipe.lake.runs`` (``status`` reads them and must
not import the nightly job); kept so that code written against it imports unchanged."""

from ..lake.runs import (  # noqa: F401
    COMPLETED,
    FAILED,
    KIND_NIGHTLY,
    PHASES,
    RESUMED,
    RUNNING,
    UNFINISHED,
    RunRecord,
    load_run_docs,
    nightly_runs,
    run_path,
    save_run,
    unfinished_runs,
)
