"""`buurt sync` and `buurt publish`: get and sign threat summaries."""

from __future__ import annotations

import json
from datetime import tzinfo
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from buurt import db
from buurt.threats import envelope, service, sync
from buurt.threats.envelope import Rejection
from buurt.threats.models import SyncAttempt


@click.command("sync")
@click.option("--file", "path", type=click.Path(path_type=Path),
              help="Read the signed envelope from a file (a USB stick) "
                   "instead of BUURT_SUMMARY_URL.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the outcome as JSON.")
@with_appcontext
def sync_command(path: Path | None, as_json: bool) -> None:
    """Get a newer threat summary; exit 1 and say why when it is refused."""
    settings = current_app.config["BUURT"]
    engine = db.get_engine(current_app)
    if db.current_revision(engine) is None:
        raise click.ClickException("this instance has no database yet: run "
                                   "`buurt init` first")

    try:
        if path is None:
            attempt = sync.sync_from_url(engine, settings)
        else:
            attempt = sync.sync_from_file(engine, settings, path)
    except service.NotConfigured as error:
        raise click.ClickException(str(error))

    with db.session_scope(engine) as session:
        current = service.get_current(session)
    rejected = attempt.outcome == "rejected"
    if as_json:
        click.echo(json.dumps(_attempt_json(attempt,
                                            current.summary.sequence)))
    else:
        click.echo(_attempt_text(attempt, current, settings.zone),
                   err=rejected)
    if rejected:
        click.get_current_context().exit(1)


def _attempt_json(attempt: SyncAttempt, current: int) -> dict[str, object]:
    """Describe an attempt for scripts."""
    return {"outcome": attempt.outcome, "reason": attempt.reason or None,
            "detail": attempt.detail or None, "source": attempt.source,
            "sequence": attempt.sequence, "current_sequence": current}


def _attempt_text(attempt: SyncAttempt, current: service.Current,
                  zone: tzinfo) -> str:
    """Describe an attempt in one or two sentences for the operator."""
    summary = current.summary
    if attempt.outcome == "accepted":
        issued = summary.issued_at.astimezone(zone)
        expires = summary.expires_at.astimezone(zone)
        return (f"Accepted threat summary {summary.sequence} (issued "
                f"{issued:%Y-%m-%d %H:%M %Z}, expires "
                f"{expires:%Y-%m-%d %H:%M %Z}).")
    if attempt.outcome == "not_modified":
        return (f"Nothing newer: threat summary {summary.sequence} is up "
                f"to date.")
    kept = ("the bundled demonstration summary" if current.demonstration
            else f"threat summary {summary.sequence}")
    return (f"Rejected ({attempt.reason}): {attempt.detail}.\n"
            f"Keeping {kept}.")


@click.command("publish")
@click.argument("summary_path", metavar="SUMMARY.json", required=False,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path),
              help="The publisher's private key (PEM).")
@click.option("--out", "out_path", type=click.Path(path_type=Path),
              help="Where to write the signed envelope (default: print it).")
@click.option("--new-key", "new_key_path", type=click.Path(path_type=Path),
              help="Create a key pair: write the private key (PEM) here and "
                   "print the public key for BUURT_SUMMARY_PUBLIC_KEY.")
def publish_command(summary_path: Path | None, key_path: Path | None,
                    out_path: Path | None,
                    new_key_path: Path | None) -> None:
    """Sign a threat summary, or create a publisher's key pair."""
    if new_key_path is not None:
        _create_key(new_key_path)
        if summary_path is None:
            return
        key_path = key_path or new_key_path
    if summary_path is None or key_path is None:
        raise click.UsageError("give SUMMARY.json and --key KEY.pem, or "
                               "--new-key KEY.pem to create a key")

    try:
        payload = summary_path.read_bytes()
        summary = service.parse_payload(payload)
        private_key = envelope.load_private_key(key_path)
    except Rejection as rejection:
        raise click.ClickException(f"{summary_path} is not a valid summary "
                                   f"({rejection.reason}): "
                                   f"{rejection.detail}")
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error))

    signed = envelope.sign(payload, private_key)
    if out_path is None:
        click.echo(signed.decode("utf-8"), nl=False)
    else:
        try:
            out_path.write_bytes(signed)
        except OSError as error:
            raise click.ClickException(f"cannot write {out_path}: "
                                       f"{error.strerror or error}")
        click.echo(f"Signed summary {summary.sequence} with key "
                   f"{envelope.key_id(private_key.public_key())} into "
                   f"{out_path}", err=True)


def _create_key(path: Path) -> None:
    """Write a new private key to `path` and print its public half."""
    try:
        private_key = envelope.new_private_key(path)
    except FileExistsError:
        raise click.ClickException(f"{path} exists; refusing to overwrite "
                                   "a key")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: "
                                   f"{error.strerror or error}")
    public_key = private_key.public_key()
    click.echo(f"Private key written to {path} (keep it secret).", err=True)
    click.echo(f"Key id: {envelope.key_id(public_key)}", err=True)
    click.echo("Public key (set BUURT_SUMMARY_PUBLIC_KEY on the nodes):",
               err=True)
    click.echo(envelope.public_key_text(public_key))
