"""`buurt import`: read the coordinator's spreadsheet into the inventory."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from buurt import db
from buurt.inventory import importer


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False,
                                        path_type=Path))
@click.option("--dry-run", is_flag=True,
              help="Read and check the sheet and report; store nothing.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the report as JSON.")
@with_appcontext
def import_command(path: Path, dry_run: bool, as_json: bool) -> None:
    """Import a spreadsheet (CSV); exit 1 naming the line on a problem."""
    engine = db.get_engine(current_app)
    if db.current_revision(engine) is None:
        raise click.ClickException("this instance has no database yet: run "
                                   "`buurt init` first")
    data = path.read_bytes()

    try:
        with db.session_scope(engine, write=not dry_run) as session:
            report = importer.import_sheet(session, data, dry_run=dry_run)
    except importer.ImportFailure as failure:
        raise click.ClickException(
            f"{path.name}: {failure.describe()} Nothing was imported.")

    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        click.echo(report_text(report))


def report_text(report: importer.ImportReport) -> str:
    """Describe an import report in a few lines for a terminal."""
    figures = report.figures
    lines = [
        "Dry run: nothing was stored." if report.dry_run else "Imported.",
        f"Rows read:             {report.rows_read} "
        f"({report.encoding}, separator {report.delimiter!r})",
        f"Addresses:             {report.addresses} "
        f"({figures['occupied_households']} occupied, "
        f"{figures['residents']} residents)",
        f"Households created:    {report.households_created}",
        f"Households merged:     {report.households_merged}",
        f"Households updated:    {report.households_updated}",
        f"Resources recognised:  {report.resources_recognised} "
        f"({report.resources_created} new, {report.resources_updated} "
        f"updated)",
        f"Skills new:            {report.skills_created}",
        f"Cells neutralised:     {report.cells_neutralised}",
        f"Items to review:       {report.items_to_review}",
    ]
    lines += [f"  line {note.line}, {note.address}: {note.kind} "
              f"{note.text}".rstrip() for note in report.review]
    if report.ignored_columns:
        lines.append("Columns not used:      "
                     + ", ".join(report.ignored_columns))
    return "\n".join(lines)
