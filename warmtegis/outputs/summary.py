"""The summary of a study: ``STEM.summary.csv`` and ``STEM.summary.md``, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from warmtegis.storage.atomic import atomic_path

if TYPE_CHECKING:  # pragma: no cover
    from warmtegis.pipeline import StudyResult

__all__ = ["summary_markdown", "write_summary"]


# ------------------------------------------------------------------------------ summary
def summary_markdown(result: StudyResult) -> str:
    """Return the summary table as Markdown."""
    lines = [
        f"# warmtegis summary: {result.study.name if result.study is not None else 'study'}",
        "",
        "| key | value | unit |",
        "|---|---:|---|",
    ]
    for row in result.summary.itertuples(index=False):
        lines.append(f"| {row.key} | {row.value:,.2f} | {row.unit} |")
    return "\n".join(lines) + "\n"


def write_summary(result: StudyResult, stem: str | Path) -> tuple[Path, Path]:
    """Write ``STEM.summary.csv`` and ``STEM.summary.md`` atomically.

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> from pathlib import Path
    >>> from warmtegis.datasets import demo_result
    >>> csv, md = write_summary(demo_result(), Path(tempfile.mkdtemp()) / "otterlo")
    >>> csv.name, pd.read_csv(csv).columns.tolist()
    ('otterlo.summary.csv', ['key', 'value', 'unit'])
    """
    stem = Path(stem)
    csv = stem.with_name(stem.name + ".summary.csv")
    md = stem.with_name(stem.name + ".summary.md")
    with atomic_path(csv) as tmp:
        result.summary.to_csv(tmp, index=False)
    with atomic_path(md) as tmp:
        tmp.write_text(summary_markdown(result), encoding="utf-8")
    return csv, md
