"""Settings: defaults, then the instance folder's settings file, then BUURT_*.

Every setting has a name used in three places: the attribute on `Settings`,
the key in `<instance>/settings.toml`, and the environment variable
`BUURT_<NAME>` that overrides it. Secrets are generated on first run and kept
in the instance folder, never in the repository.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import tomllib
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SETTINGS_FILE = "settings.toml"
SECRET_KEY_FILE = "secret_key"


class SettingsError(ValueError):
    """A setting is missing or has a value that cannot work."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Validated settings of one node or hub."""

    instance: Path
    role: str = "node"
    database_url: str = ""
    # The Pi's own address on the hotspot that deploy/raspberry-pi.md sets
    # up; many Android phones cannot resolve `.local` names.
    base_url: str = "http://10.42.0.1:8080"
    timezone: str = "Europe/Amsterdam"
    default_locale: str = "nl"
    summary_url: str = ""
    summary_public_key: str = ""
    summary_max_bytes: int = 262_144
    summary_timeout: float = 10.0
    summary_sync_hours: float = 4.0
    hub_url: str = ""
    ntfy_url: str = ""
    scheduler: str = "on"
    # Local wall-clock times ("HH:MM") of the daily housekeeping jobs.
    backup_at: str = "03:15"
    maintenance_check_at: str = "09:00"
    backups_kept: int = 7
    scheduler_reconcile_seconds: int = 60
    # For tests and rehearsals only: the instant (ISO, with offset) the
    # scheduler's clock starts at; empty means the real clock.
    scheduler_clock: str = ""
    tls_cert: str = ""
    tls_key: str = ""
    secret_key: str = ""

    # Readiness defaults; see README "Readiness defaults" for their sources.
    water_litres_per_person_day: float = 3.0
    water_days_needed: int = 3
    residents_per_water_filter: int = 10
    residents_per_radio: int = 10
    residents_per_burner: int = 10
    residents_per_walkie_set: int = 30
    residents_per_power_source: int = 10
    residents_per_first_aid_kit: int = 20
    residents_per_first_aider: int = 20
    residents_per_heat_source: int = 20
    residents_per_vehicle: int = 30

    @property
    def zone(self) -> ZoneInfo:
        """Return the neighbourhood's time zone."""
        return ZoneInfo(self.timezone)

    def as_dict(self) -> dict[str, Any]:
        """Return the settings without the secret key, for display."""
        values = dataclasses.asdict(self)
        values["instance"] = str(self.instance)
        values.pop("secret_key")
        return values


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_URLS = ("base_url", "summary_url", "hub_url", "ntfy_url")
_CHOICES = {"role": ("node", "hub"), "scheduler": ("on", "off"),
            "default_locale": ("nl", "en")}


def instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the instance folder: BUURT_INSTANCE, or ./instance."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("BUURT_INSTANCE", "instance")).resolve()


def load_settings(
    instance: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read and validate the settings for an instance folder.

    Raises SettingsError naming the setting when a value is unusable.
    """
    environ = os.environ if environ is None else environ
    instance = instance or instance_path(environ)
    raw: dict[str, Any] = {}

    settings_file = instance / SETTINGS_FILE
    if settings_file.exists():
        try:
            raw.update(tomllib.loads(settings_file.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingsError(f"{settings_file} is not valid TOML: {error}")

    for name in _FIELDS:
        value = environ.get(f"BUURT_{name.upper()}")
        if value is not None and name != "instance":
            raw[name] = value

    raw.update(overrides or {})
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")

    values = {name: _coerce(name, value) for name, value in raw.items()}
    values["instance"] = instance
    if not values.get("database_url"):
        values["database_url"] = f"sqlite:///{instance / 'buurt.db'}"

    settings = Settings(**values)
    _check(settings)
    return settings


def _coerce(name: str, value: Any) -> Any:
    """Convert a raw value to the type of the setting `name`."""
    kind = _FIELDS[name].type
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except (TypeError, ValueError):
        what = "a whole number" if kind == "int" else "a number"
        raise SettingsError(
            f"setting {name} (BUURT_{name.upper()}) must be {what}, "
            f"not {value!r}"
        )
    return str(value).strip()


def _check(settings: Settings) -> None:
    """Refuse settings that cannot work, naming the setting to fix."""
    for name, choices in _CHOICES.items():
        if getattr(settings, name) not in choices:
            raise SettingsError(
                f"setting {name} (BUURT_{name.upper()}) must be one of "
                f"{', '.join(choices)}"
            )

    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"setting timezone (BUURT_TIMEZONE): unknown zone "
            f"{settings.timezone!r}"
        )

    for field in _FIELDS.values():
        if field.type in ("int", "float"):
            if getattr(settings, field.name) <= 0:
                raise SettingsError(
                    f"setting {field.name} (BUURT_{field.name.upper()}) "
                    f"must be above 0")

    for name in _URLS:
        value = getattr(settings, name)
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https")
                      or not parts.netloc):
            raise SettingsError(
                f"setting {name} (BUURT_{name.upper()}) must be an http:// "
                f"or https:// address, not {value!r}")

    if settings.secret_key in ("changeme", "secret", "dev"):
        raise SettingsError("setting secret_key is a placeholder; remove it "
                            "and a random one is generated")


def ensure_secret_key(instance: Path) -> str:
    """Return the instance's secret key, creating it on first use."""
    path = instance / SECRET_KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it a moment ago
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
    return path.read_text().strip()
