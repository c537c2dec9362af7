"""Operator mistakes get one clear line naming the fix, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from buurt import FEATURES
from buurt.cli import main


def run(instance: Path, *args: str, **env: str) -> tuple[int, str]:
    """Run `buurt` as a terminal would, with BUURT_* variables set."""
    for feature in FEATURES:
        feature.init_cli(main)
    result = CliRunner().invoke(
        main, list(args), env={"BUURT_INSTANCE": str(instance), **env})
    return result.exit_code, result.output


def test_a_verb_before_init_says_to_run_init_and_creates_nothing(
    tmp_path: Path,
) -> None:
    """`buurt token` on an empty folder points at `buurt init`."""
    code, output = run(tmp_path / "instance", "token")

    assert code == 1
    assert "run `buurt init` first" in output
    assert not (tmp_path / "instance" / "buurt.db").exists()
    assert "Traceback" not in output


@pytest.mark.parametrize("env, named", [
    ({"BUURT_DATABASE_URL": "nonsense://"}, "BUURT_DATABASE_URL"),
    ({"BUURT_RESIDENTS_PER_RADIO": "2.5"}, "must be a whole number"),
    ({"BUURT_RESIDENTS_PER_RADIO": "0"}, "BUURT_RESIDENTS_PER_RADIO"),
    ({"BUURT_HUB_URL": "javascript:alert(1)"}, "BUURT_HUB_URL"),
    ({"BUURT_BASE_URL": "notaurl"}, "BUURT_BASE_URL"),
    ({"BUURT_TIMEZONE": "Mars/Olympus"}, "BUURT_TIMEZONE"),
])
def test_a_bad_setting_is_named(tmp_path: Path, env: dict[str, str],
                                named: str) -> None:
    """Each unusable setting stops the command with its own name."""
    code, output = run(tmp_path / "instance", "readiness", **env)

    assert code == 1
    assert named in output
    assert "Traceback" not in output


def test_serve_refuses_a_port_out_of_range(tmp_path: Path) -> None:
    """A port above 65535 is refused before anything starts."""
    assert run(tmp_path / "instance", "init")[0] == 0
    code, output = run(tmp_path / "instance", "serve", "--port", "99999")

    assert code == 2
    assert "99999 is not in the range" in output
