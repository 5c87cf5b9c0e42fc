"""``optrollup node --config FILE``: every flag from a TOML file, checked like the command line."""

from __future__ import annotations

import pytest

from node.cli import node as node_cli
from node.cli.config_file import ConfigError, apply
from node.cli.main import build_parser


def parsed(tmp_path, text: str, *argv: str):
    path = tmp_path / "node.toml"
    path.write_text(text)
    args = build_parser().parse_args(["node", "--config", str(path), *argv])
    return apply(args.parser, args, path)


def test_every_flag_from_the_file_and_the_command_line_wins(tmp_path):
    args = parsed(tmp_path, '''
l1 = "http://127.0.0.1:8545"
deployment = "deployment.json"
batch-interval = 0.5
confirmations = 0
l1_head_tag = "finalized"
l1-max-fee-gwei = 80
batcher-key = "ops"
oracle = false
dev = true
''', "--confirmations", "3")
    assert args.l1 == "http://127.0.0.1:8545" and args.deployment == "deployment.json"
    assert args.batch_interval == 0.5 and args.l1_head_tag == "finalized" and args.l1_max_fee_gwei == 80.0
    assert args.batcher_key == "ops" and args.oracle is False and args.dev is True
    assert args.confirmations == 3  # given on the command line
    assert node_cli.l1_settings(args).max_fee_wei == 80 * 10**9


@pytest.mark.parametrize("text, message", [
    ("sequencer_private_key = '0x01'", "unknown setting"),
    ("batch-interval = -1", "batch-interval"),
    ("l1-head-tag = 'pending'", "must be one of"),
    ("oracle = 'no'", "true or false"),
    ("listen = [1, 2]", "single value"),
    ("l1 = ", "not valid TOML"),
])
def test_a_bad_file_names_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        parsed(tmp_path, text)


def test_the_node_command_refuses_a_bad_file(tmp_path, capsys):
    path = tmp_path / "node.toml"
    path.write_text("bogus = 1\n")
    args = build_parser().parse_args(["node", "--config", str(path)])
    assert args.func(args) == 2 and "unknown setting 'bogus'" in capsys.readouterr().err


def test_the_oracle_takes_its_sources_as_a_list(tmp_path):
    path = tmp_path / "oracle.toml"
    path.write_text('source = ["http://127.0.0.1:8600/prices", "chainlink:ETH=0x11@http://l1"]\n'
                    'max-move-pct = 5\nkey = "oracle"\n')
    args = build_parser().parse_args(["oracle", "--config", str(path)])
    apply(args.parser, args, path)
    assert args.source == ["http://127.0.0.1:8600/prices", "chainlink:ETH=0x11@http://l1"]
    assert args.max_move_pct == 5.0 and args.key == "oracle"
    args = build_parser().parse_args(["oracle", "--config", str(path), "--source", "http://x"])
    assert apply(args.parser, args, path).source == ["http://x"]  # the command line wins
    path.write_text("max-move-pct = 500\n")
    with pytest.raises(ConfigError, match="max-move-pct"):
        apply(args.parser, args, path)
