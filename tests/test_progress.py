"""Progress on every long command (issue 12): a bar with the time left on stderr in a terminal,
nothing of it on stdout (tables, JSON, the lines a command prints) and nothing at all when stderr
is a pipe or a log."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from trustsim import validation
from trustsim.analysis import figures
from trustsim.analysis.script import main as script_main
from trustsim.cli import app, common
from trustsim.config.loading import load_scenario
from trustsim.execution.run import simulate, write_run
from trustsim.validation import __main__ as validation_main
from trustsim.validation.records import Comparison, result

BAR = "━"  # what Rich draws the bar with


@pytest.fixture
def terminal(monkeypatch) -> io.StringIO:
    """The command line's stderr as a terminal, written to a buffer the test reads."""
    screen = io.StringIO()
    monkeypatch.setattr(common, "errors", Console(file=screen, force_terminal=True, width=120))
    return screen


def test_claims_shows_its_progress_in_a_terminal_and_prints_only_the_result(terminal, tmp_path):
    out = tmp_path / "claims.md"
    args = ["claims", "--replications", "2", "--only", "short_circuiting", "--out", str(out)]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    shown = terminal.getvalue()
    assert "claims" in shown and "short_circuiting" in shown and "1/1" in shown and BAR in shown
    assert re.fullmatch(rf"[01] of 1 claims hold; written to {re.escape(str(out))}\n", run.stdout)


def test_claims_shows_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    args = ["claims", "--replications", "2", "--only", "short_circuiting", "--out", str(tmp_path / "c.md")]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.output
    assert BAR not in run.stderr and BAR not in run.stdout


def test_run_keeps_its_progress_off_stdout(terminal, tmp_path):
    run = CliRunner().invoke(app, ["run", "dyad", "--steps", "30", "--out", str(tmp_path / "run")])
    assert run.exit_code == 0, run.output
    assert "30/30" in terminal.getvalue()
    assert run.stdout.startswith("dyad: 30 steps") and BAR not in run.stdout


def test_match_json_is_one_object_on_stdout_with_a_terminal_on_stderr(terminal):
    run = CliRunner().invoke(app, ["match", "tit_for_tat", "all_defect", "--turns", "20", "--json"])
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["policies"] == ["tit_for_tat", "all_defect"]
    shown = terminal.getvalue()
    assert "tit_for_tat" in shown and "20/20" in shown and BAR in shown  # the turns, on stderr


def test_the_validation_suite_shows_its_progress_on_stderr_and_its_lines_on_stdout(
    monkeypatch, capsys, tmp_path
):
    def check_one():
        return result("one", "source", "setup", "1", "exact", [Comparison("x", 1.0, 1.0, 1e-9)])

    def check_two():
        return result("two", "source", "setup", "2", "exact", [Comparison("y", 2.0, 2.0, 1e-9)])

    monkeypatch.setattr(validation, "CHECKS", (check_one, check_two))
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # stderr as a terminal, for Rich
    assert validation_main.main(["--out", str(tmp_path / "validation.md")]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [line.split()[0] for line in lines[:2]] == ["pass", "pass"]
    assert lines[0].endswith("one") and lines[1].endswith("two")
    assert lines[2].startswith("2 of 2 checks pass") and BAR not in out
    assert "validation" in err and "2/2" in err and BAR in err


def test_an_analysis_script_shows_its_progress_on_stderr_and_lists_its_files_on_stdout(
    monkeypatch, capsys, tmp_path
):
    scenario = load_scenario("dyad", ["steps=20"])
    folder = tmp_path / "run"
    write_run(simulate(scenario), scenario, folder, source="dyad")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    assert script_main("trajectories", figures.trust_trajectories, [str(folder)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(folder / "figures" / f"trajectories.{kind}") for kind in ("png", "svg")]
    assert "trajectories" in err and "3/3" in err and BAR in err
