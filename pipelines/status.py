"""`mentorlens status`: the last runs, per-source counts and open warnings, from the warehouse."""

from __future__ import annotations

from pipelines.settings import Settings
from pipelines.warehouse import connect
from quality.validation import readable_rule


def status_text(settings: Settings) -> str:
    if not settings.warehouse.exists():
        return f"No warehouse yet at {settings.warehouse}: run `mentorlens run` first."
    lines = [f"Warehouse: {settings.warehouse}"]
    with connect(settings.warehouse, read_only=True) as con:
        runs = con.execute(
            "SELECT run_id, finished_at, status FROM meta.runs "
            "ORDER BY finished_at DESC NULLS LAST LIMIT 5"
        ).fetchall()
        lines.append("Last runs:")
        lines += [
            f"  {finished:%Y-%m-%d %H:%M}  {status:<10} {run_id}"
            for run_id, finished, status in runs
        ]
        lines.append("Files by source:")
        for source, status, files, read, loaded, quarantined in con.execute(
            "SELECT coalesce(source, '(none)'), status, count(*), sum(rows_read), "
            "sum(rows_loaded), sum(rows_quarantined) FROM meta.loaded_files "
            "GROUP BY ALL ORDER BY 1, 2"
        ).fetchall():
            counts = f"{read or 0:,} rows read"
            if loaded is not None:
                counts += f", {loaded:,} loaded, {quarantined or 0:,} quarantined"
            lines.append(f"  {source:<11} {status:<12} {files:>3} files  {counts}")
        rejected = con.execute(
            "SELECT file, reason FROM quarantine.rejected_files ORDER BY rejected_at DESC"
        ).fetchall()
        if rejected:
            lines.append("Rejected files:")
            lines += [f"  {reason}" for _, reason in rejected]
        warnings = con.execute(
            "SELECT source, reason, unexpected_count FROM meta.validation_results "
            "WHERE NOT success AND run_id = "
            "(SELECT run_id FROM meta.runs ORDER BY finished_at DESC LIMIT 1) "
            "ORDER BY unexpected_count DESC"
        ).fetchall()
        if warnings:
            lines.append("Open warnings (rows quarantined by rule):")
            lines += [
                f"  {source}: {readable_rule(reason)} ({count:,})"
                for source, reason, count in warnings
            ]
    return "\n".join(lines)
