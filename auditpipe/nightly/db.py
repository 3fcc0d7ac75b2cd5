"""Former home of the nightly job's connection; it is ``auditpipe.lake.views.connect_views``
now (status and compact use it too, and must not import from the nightly package)."""

from ..lake.views import connect_views as lake_connection  # noqa: F401
