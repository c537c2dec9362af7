"""`buurt labels` and `buurt plan`: print files from a terminal."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import Engine

from buurt import db
from buurt.i18n import LOCALES
from buurt.inventory import catalogue
from buurt.labels import output, service, sheets
from buurt.labels.sheets import DEFAULT_LAYOUT, LAYOUTS

OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


def _open_engine() -> Engine:
    """Return the engine; stop with a clear message before `buurt init`."""
    engine = db.get_engine(current_app)
    if db.current_revision(engine) is None:
        raise click.ClickException("this instance has no database yet: run "
                                   "`buurt init` first")
    return engine


def _language(lang: str | None) -> str:
    """Return the chosen language, or the node's default one."""
    return lang or current_app.config["BUURT"].default_locale


@click.command("labels")
@click.option("--out", type=OUT, required=True,
              help="The PDF file to write, such as labels.pdf.")
@click.option("--layout", type=click.Choice(list(LAYOUTS)),
              default=DEFAULT_LAYOUT, show_default=True,
              help="3x8: 24 labels of 70 x 36 mm; 2x7: 14 of 99.1 x 38.1 mm.")
@click.option("--kind", default=None,
              help="Only items of this kind, such as radio or water_tank.")
@click.option("--lang", type=click.Choice(LOCALES), default=None,
              help="Language of the labels (default: the node's).")
@click.option("--svg-dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Also write one SVG per label here.")
@with_appcontext
def labels_command(out: Path, layout: str, kind: str | None,
                   lang: str | None, svg_dir: Path | None) -> None:
    """Write an A4 PDF of QR labels for the shared items."""
    settings = current_app.config["BUURT"]
    engine = _open_engine()

    try:
        with db.session_scope(engine) as session:
            labels = output.item_labels(session, settings, kind)
    except service.LabelError as error:
        raise click.ClickException(_problem(error.code, kind))

    with force_locale(_language(lang)):
        data = sheets.render_item_sheet(labels, layout)
        drawings = ({label.token: sheets.render_item_svg(label, layout)
                     for label in labels} if svg_dir else {})

    output.save(out, data)
    for token, drawing in drawings.items():
        assert svg_dir is not None
        output.save(svg_dir / f"label-{token}.svg", drawing)
    click.echo(f"Wrote {out} ({len(labels)} labels, layout {layout}; "
               f"codes point at {settings.base_url}/r/…)")
    if drawings:
        click.echo(f"Wrote {len(drawings)} SVG labels to {svg_dir}")


def _problem(code: str, kind: str | None) -> str:
    """Say in a terminal why nothing could be printed."""
    if code == "unknown_kind":
        return (f"unknown kind {kind!r}; known kinds: " + ", ".join(
            k.id for k in catalogue.list_kinds()))
    return ("there are no shared items to label yet: import the street's "
            "sheet (`buurt import FILE`) or add items first")


@click.command("plan")
@click.option("--out", type=OUT, required=True,
              help="The PDF file to write, such as plan.pdf.")
@click.option("--coordinator", is_flag=True,
              help="The confidential copy, with needs and buddies.")
@click.option("--lang", type=click.Choice(LOCALES), default=None,
              help="Language of the plan (default: the node's).")
@with_appcontext
def plan_command(out: Path, coordinator: bool, lang: str | None) -> None:
    """Write the neighbourhood plan as an A4 PDF."""
    settings = current_app.config["BUURT"]
    engine = _open_engine()

    with db.session_scope(engine) as session, force_locale(_language(lang)):
        data = output.plan(session, settings, coordinator)

    output.save(out, data, private=coordinator)
    copy = "coordinators' copy (confidential)" if coordinator else (
        "street copy")
    click.echo(f"Wrote {out} ({copy})")
