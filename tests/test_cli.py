"""`radiowatch` command line: version, profile selection and subcommand dispatch."""

import os
import sys

import pytest

from radiowatch import __version__, cli

received = {}


def fake_export(argv):
    received["argv"] = argv
    received["home"] = os.environ.get("RADIOWATCH_HOME")
    return 7


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"radiowatch {__version__}"


def test_help_lists_the_export_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert "--data-dir" in out and "export" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["export", "--format", "csv"], ([], "export", ["--format", "csv"])),
        (
            ["--data-dir", "export", "export", "-o", "x"],
            (["--data-dir", "export"], "export", ["-o", "x"]),
        ),
        (["-platform", "offscreen"], (["-platform", "offscreen"], None, [])),
    ],
)
def test_the_subcommand_is_split_from_the_app_options(argv, expected):
    assert cli.split_command(argv) == expected


def test_export_is_dispatched_with_its_arguments_and_the_chosen_profile(monkeypatch, tmp_path):
    monkeypatch.setitem(cli._COMMANDS, "export", ("tests.test_cli:fake_export", "export"))
    code = cli.main(["--data-dir", str(tmp_path / "p"), "export", "--since", "2024-01-01"])
    assert code == 7
    assert received["argv"] == ["--since", "2024-01-01"]
    assert received["home"] == str(tmp_path / "p")


def test_a_missing_command_module_gives_a_clear_message(monkeypatch, capsys):
    monkeypatch.setitem(
        cli._COMMANDS, "export", ("radiowatch.history.no_such_module:run_export", "export")
    )
    assert cli.main(["export"]) == 2
    err = capsys.readouterr().err
    assert "'export' is not available" in err
    assert "Traceback" not in err


def test_version_does_not_load_qt():
    import subprocess

    code = (
        "import sys\nfrom radiowatch import cli\n"
        "try:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert 'PySide6' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
