"""The report: tables and figures as ``report.md`` and a self-contained ``report.html``.

``write_report(out, sections=...)`` renders the built-in sections and any extra ones a caller
adds (``make demo`` adds the training benchmark this way). Figures need matplotlib (the
``figures`` extra). The top of the layer stack: it may import every other layer.
"""

from schedopt import _lazy

_EXPORTS = {
    "Figure": "schedopt.report._render",
    "ReportConfig": "schedopt.report._report",
    "Section": "schedopt.report._render",
    "Table": "schedopt.report._render",
    "format_number": "schedopt.report._render",
    "solver_benchmark": "schedopt.report._report",
    "write_report": "schedopt.report._report",
    "your_run_sections": "schedopt.report._your_run",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = _lazy.exports(globals(), _EXPORTS)
