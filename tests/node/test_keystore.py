"""Key files: Web3 Secret Storage v3 via eth_account, labels, modes, typed failures, passphrases."""

from __future__ import annotations

import json
import stat

import pytest
from eth_account import Account

from node import keystore
from node.keystore import (
    BadKeyFile,
    BadLabel,
    DuplicateLabel,
    Keystore,
    KeystoreError,
    NoPassphrase,
    UnknownKey,
    WrongPassphrase,
    keys_dir,
    parse_private_key,
    read_passphrase,
)
from node.sequencer.dev import dev_key
from node.wallet import address_of

FAST = 2  # scrypt n for tests (the default, 2**18, takes about a second per operation)


@pytest.fixture
def store(tmp_path):
    return Keystore(tmp_path / "keys", kdf_iterations=FAST)


def test_create_then_load(store):
    info = store.create("mm", "correct horse")
    key = store.load("mm", "correct horse")
    assert len(key) == 32 and address_of(key) == info.address
    assert info.path == store.directory / "mm.json" and info.address_hex == "0x" + info.address.hex()
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700
    assert store.info("mm") == info


def test_files_are_standard_v3(store):
    key = dev_key("alice")
    info = store.import_key("alice", key, "pw")
    document = json.loads(info.path.read_text())
    assert document["version"] == 3 and document["address"].lower() == address_of(key).hex()
    assert bytes(Account.decrypt(document, "pw")) == key  # any v3 reader opens it


def test_default_kdf_is_eth_accounts_scrypt(tmp_path):
    info = Keystore(tmp_path).import_key("k", dev_key("bob"), "pw")
    params = json.loads(info.path.read_text())["crypto"]
    assert params["kdf"] == "scrypt" and params["kdfparams"]["n"] == 2**18


def test_typed_failures(store):
    store.import_key("a", dev_key("alice"), "pw")
    with pytest.raises(WrongPassphrase):
        store.load("a", "nope")
    with pytest.raises(UnknownKey):
        store.load("b", "pw")
    with pytest.raises(DuplicateLabel):
        store.import_key("a", dev_key("bob"), "pw")
    with pytest.raises(DuplicateLabel):
        store.create("a", "pw")
    for label in ("", "../x", "a/b", ".hidden", "x" * 65, "sp ace"):
        with pytest.raises(BadLabel):
            store.create(label, "pw")
    with pytest.raises(KeystoreError):
        store.create("empty", "")
    assert all(issubclass(e, KeystoreError) for e in (WrongPassphrase, UnknownKey, DuplicateLabel, BadLabel))


def test_list_skips_other_files(store):
    store.import_key("b", dev_key("bob"), "pw")
    store.import_key("a", dev_key("alice"), "pw")
    (store.directory / "notes.json").write_text("{}")
    (store.directory / "README").write_text("hi")
    assert [(i.label, i.address) for i in store.list()] == [
        ("a", address_of(dev_key("alice"))), ("b", address_of(dev_key("bob")))]
    (store.directory / "bad.json").write_text("not json")
    with pytest.raises(BadKeyFile):
        store.load("bad", "pw")
    assert Keystore(store.directory / "missing").list() == []


def test_parse_private_key():
    key = dev_key("carol")
    assert parse_private_key("0x" + key.hex() + "\n") == key == parse_private_key(key.hex().upper())
    for bad in ("", "0x12", "zz" * 32, "00" * 32, "ff" * 32):
        with pytest.raises(BadKeyFile):
            parse_private_key(bad)


def test_keys_dir_precedence(tmp_path):
    assert keys_dir(tmp_path / "x", env={"OPTROLLUP_KEYS_DIR": "/elsewhere"}) == tmp_path / "x"
    assert keys_dir(None, env={"OPTROLLUP_KEYS_DIR": str(tmp_path)}) == tmp_path
    assert keys_dir(None, env={}).parts[-2:] == (".optrollup", "keys") and keys_dir(None, env={}).is_absolute()


def test_read_passphrase(tmp_path, monkeypatch):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\nignored\n")
    assert read_passphrase(secret, env={"OPTROLLUP_PASSWORD": "env"}) == "s3cret"
    assert read_passphrase(None, env={"OPTROLLUP_PASSWORD": "env"}) == "env"
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(NoPassphrase):
        read_passphrase(None, env={})
    with pytest.raises(KeystoreError):
        read_passphrase(tmp_path / "missing", env={})
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["one", "two"])
    monkeypatch.setattr(keystore.getpass, "getpass", lambda prompt: next(answers))
    with pytest.raises(KeystoreError, match="differ"):
        read_passphrase(None, confirm=True, env={})
