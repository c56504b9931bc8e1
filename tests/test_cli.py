"""neurn_keras.cli: one-line errors with exit code 2, Ctrl-C as 130, argument types."""

from __future__ import annotations

import argparse

import pytest

from neurn_keras import cli
from neurn_keras.cli import Parser, UsageError, run_cli


def parse(capsys, parser: Parser, argv: list[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as stop:
        parser.parse_args(argv)
    return stop.value.code, capsys.readouterr().err


EPILOG = "exit status:\n  0  success\n  2  bad input\n"


def small_parser() -> Parser:
    parser = Parser(prog="tool", description="a tool", epilog=EPILOG)
    parser.add_argument("--count", type=cli.positive_int, default=1)
    parser.add_argument("--size", type=cli.size_hw)
    return parser


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--count", "0"], "argument --count: 0 must be >= 1"),
        (["--count", "many"], "argument --count: 'many' is not an integer"),
        (["--size", "3by4"], "argument --size: expected HxW such as 31x31, got '3by4'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_parser_errors_are_one_line_with_exit_2(capsys, argv, message):
    code, err = parse(capsys, small_parser(), argv)
    assert code == cli.EXIT_USAGE == 2
    assert err == f"tool: error: {message} (see --help)\n"


def test_parser_help_keeps_the_epilog_layout(capsys):
    with pytest.raises(SystemExit) as stop:
        small_parser().parse_args(["--help"])
    assert stop.value.code == 0
    assert EPILOG in capsys.readouterr().out  # laid out as written, not re-wrapped


def test_subcommand_errors_are_one_line_too(capsys):
    parser = Parser(prog="tool")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("go").add_argument("--n", type=cli.positive_int)
    code, err = parse(capsys, parser, ["go", "--n", "-3"])
    assert code == 2 and err == "tool go: error: argument --n: -3 must be >= 1 (see --help)\n"


def test_run_cli_returns_what_the_body_returns(capsys):
    assert run_cli("tool", lambda: 0) == 0
    assert run_cli("tool", lambda: 3) == 3
    assert capsys.readouterr().err == ""


def test_usage_error_is_one_line_with_exit_2(capsys):
    def body() -> int:
        raise UsageError("no file\n  data/x.npz;\tset NEURN_DATA_DIR")

    assert run_cli("tool", body) == 2
    assert capsys.readouterr().err == "tool: error: no file data/x.npz; set NEURN_DATA_DIR\n"


def test_keyboard_interrupt_exits_130_with_the_tools_message(capsys):
    def body() -> int:
        raise KeyboardInterrupt

    assert run_cli("tool", body, interrupted="files so far are complete") == 130
    assert capsys.readouterr().err == "tool: interrupted; files so far are complete\n"
    assert run_cli("tool", body) == cli.EXIT_INTERRUPTED
    assert "run the same command again" in capsys.readouterr().err


def test_other_exceptions_are_not_hidden():
    def body() -> int:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError, match="a bug"):
        run_cli("tool", body)


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (cli.positive_int, "1", 1),
        (cli.positive_int, "250", 250),
        (cli.limit, "all", None),
        (cli.limit, "ALL", None),
        (cli.limit, "500", 500),
        (cli.fraction, "0.2", 0.2),
        (cli.positive_float, "1e-3", 1e-3),
        (cli.size_hw, "31x31", (31, 31)),
        (cli.size_hw, "115X147", (115, 147)),
    ],
)
def test_argument_types_accept_good_values(kind, text, expected):
    assert kind(text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (cli.positive_int, "0", "must be >= 1"),
        (cli.positive_int, "-2", "must be >= 1"),
        (cli.positive_int, "1.5", "not an integer"),
        (cli.positive_int, "", "not an integer"),
        (cli.limit, "none", "not an integer"),
        (cli.limit, "0", "must be >= 1"),
        (cli.fraction, "0", "between 0 and 1"),
        (cli.fraction, "1", "between 0 and 1"),
        (cli.fraction, "-0.1", "between 0 and 1"),
        (cli.fraction, "nan", "between 0 and 1"),
        (cli.fraction, "half", "not a number"),
        (cli.positive_float, "0", "must be positive"),
        (cli.positive_float, "-1e-3", "must be positive"),
        (cli.positive_float, "nan", "must be positive"),
        (cli.positive_float, "fast", "not a number"),
        (cli.size_hw, "31", "expected HxW"),
        (cli.size_hw, "3by4", "expected HxW"),
        (cli.size_hw, "1x2x3", "expected HxW"),
        (cli.size_hw, "0x5", "must be >= 1"),
        (cli.size_hw, "5x-1", "must be >= 1"),
    ],
)
def test_argument_types_reject_bad_values(kind, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        kind(text)


def _tool_mains():
    from neurn_keras import sweep, table, train
    from neurn_keras.cli import archsim, cortex, demo, neuro

    return {
        "python -m neurn_keras.cortex": (
            cortex.main,
            ["--model", "m.keras", "--output", "o", "--clusters", "0"],
        ),
        "python -m neurn_keras.neuro": (
            neuro.main,
            ["from-nwb", "--output", "x.npz", "--scene-size", "0x3"],
        ),
        "python -m neurn_keras.archsim": (archsim.main, ["--output", "o", "--match", "one"]),
        "python -m neurn_keras.demo": (demo.main, ["--per-domain", "0"]),
        "python -m neurn_keras.train": (train.main, ["--epochs", "zero"]),
        "python -m neurn_keras.sweep": (sweep.main, ["--output", "o", "--seeds", "x"]),
        "python -m neurn_keras.table": (table.main, ["runs", "--format", "xml"]),
    }


@pytest.mark.parametrize(
    "prog",
    [
        "python -m neurn_keras.cortex",
        "python -m neurn_keras.neuro",
        "python -m neurn_keras.archsim",
        "python -m neurn_keras.demo",
        "python -m neurn_keras.train",
        "python -m neurn_keras.sweep",
        "python -m neurn_keras.table",
    ],
)
def test_every_tool_uses_the_shared_parser(prog, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    main, bad = _tool_mains()[prog]
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    assert "exit status" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(bad)
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.startswith(f"{prog}") and err.count("\n") == 1 and err.endswith("(see --help)\n")
    assert not list(tmp_path.iterdir())  # nothing written on bad input
