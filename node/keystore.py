"""Encrypted key files: Web3 Secret Storage (version 3), one per label, in a keys directory.

The files are what geth, MetaMask exports and ``eth_account`` read and write: the crypto is
entirely ``eth_account.Account.encrypt`` / ``Account.decrypt`` (scrypt by default, AES-128-CTR,
keccak MAC); nothing here touches key material beyond passing it through.

Layout: ``<keys dir>/<label>.json``, mode 0600, in a directory created with mode 0700. The keys
directory is, in order: an explicit argument (``--keys-dir``), ``$OPTROLLUP_KEYS_DIR``, or
``~/.optrollup/keys``. A label is 1-64 characters of ``[A-Za-z0-9_.-]`` starting with a letter
or digit. Files are created with ``O_EXCL``, so two writers can never overwrite each other.

The passphrase (``read_passphrase``) comes from, in order: a file (its first line, without the
line break), ``$OPTROLLUP_PASSWORD``, or an interactive prompt (``getpass``; when creating, asked
twice). Failures expected in normal use are typed: ``WrongPassphrase``, ``UnknownKey``,
``DuplicateLabel``, ``BadLabel``, ``BadKeyFile``, ``NoPassphrase`` (all ``KeystoreError``).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Mapping

from eth_account import Account

from node.stf.recover import SECP256K1_N

ENV_KEYS_DIR: Final = "OPTROLLUP_KEYS_DIR"
ENV_PASSWORD: Final = "OPTROLLUP_PASSWORD"
DEFAULT_KEYS_DIR: Final = Path("~/.optrollup/keys")
FILE_MODE: Final = 0o600
DIR_MODE: Final = 0o700
LABEL_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
KDF_ITERATIONS: int | None = None  # None: eth_account's default (scrypt n = 2**18); tests lower it


class KeystoreError(Exception):
    """A keystore operation failed in an expected way (the message is for humans)."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not decrypt the key file (MAC mismatch)."""


class UnknownKey(KeystoreError):
    """No key file with this label."""


class DuplicateLabel(KeystoreError):
    """A key file with this label exists already."""


class BadLabel(KeystoreError):
    """The label is not a valid file-name stem (see ``LABEL_RE``)."""


class BadKeyFile(KeystoreError):
    """The file is not a readable version 3 key file, or a private key is malformed."""


class NoPassphrase(KeystoreError):
    """No passphrase source: no file, no environment variable, no terminal to prompt on."""


class BadPasswordFile(KeystoreError):
    """The password file cannot be read."""


class BadNewPassphrase(KeystoreError):
    """A new key's passphrase is empty, or its two entries differ."""


# What the person asked for cannot be used as given (exit status 2 in the CLI); the other
# errors (a wrong passphrase, a label already taken) are refusals (exit status 1).
INPUT_ERRORS = (UnknownKey, BadLabel, BadKeyFile, NoPassphrase, BadPasswordFile, BadNewPassphrase)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A stored key: its label, 20-byte address (from the file, no passphrase needed) and file."""

    label: str
    address: bytes
    path: Path

    @property
    def address_hex(self) -> str:
        return "0x" + self.address.hex()


def keys_dir(explicit: str | os.PathLike | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The keys directory: ``explicit``, else ``$OPTROLLUP_KEYS_DIR``, else ``~/.optrollup/keys``."""
    env = os.environ if env is None else env
    chosen = explicit if explicit is not None else env.get(ENV_KEYS_DIR) or DEFAULT_KEYS_DIR
    return Path(chosen).expanduser()


def check_label(label: str) -> str:
    if not isinstance(label, str) or not LABEL_RE.fullmatch(label):
        raise BadLabel(f"keystore: bad label {label!r}: 1-64 of A-Z a-z 0-9 _ . - starting with a letter or digit")
    return label


def parse_private_key(text: str) -> bytes:
    """A 32-byte private key from hex text (``0x`` optional, surrounding whitespace ignored)."""
    raw = text.strip()
    raw = raw[2:] if raw[:2].lower() == "0x" else raw
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        raise BadKeyFile("keystore: a private key is 64 hex digits") from None
    if len(key) != 32 or not 0 < int.from_bytes(key, "big") < SECP256K1_N:
        raise BadKeyFile("keystore: a private key is 64 hex digits, a valid secp256k1 scalar")
    return key


class Keystore:
    """The key files in one directory. ``kdf_iterations`` (tests only; default ``KDF_ITERATIONS``)
    lowers scrypt's ``n``: keep eth_account's default for real keys."""

    def __init__(self, directory: str | os.PathLike | None = None, *, kdf_iterations: int | None = None) -> None:
        self.directory = keys_dir(directory)
        self.kdf_iterations = KDF_ITERATIONS if kdf_iterations is None else kdf_iterations

    def path(self, label: str) -> Path:
        return self.directory / f"{check_label(label)}.json"

    def list(self) -> list[KeyInfo]:
        """Every readable key file, by label (files that are not key files are skipped)."""
        if not self.directory.is_dir():
            return []
        out = []
        for path in sorted(self.directory.glob("*.json")):
            if not LABEL_RE.fullmatch(path.stem):
                continue
            try:
                out.append(KeyInfo(path.stem, self._read(path)[1], path))
            except BadKeyFile:
                continue
        return out

    def info(self, label: str) -> KeyInfo:
        path = self.path(label)
        return KeyInfo(label, self._read(path)[1], path)

    def create(self, label: str, passphrase: str) -> KeyInfo:
        """A new random key (``eth_account.Account.create``, OS randomness) stored as ``label``."""
        self.check_new(label)
        return self.import_key(label, bytes(Account.create().key), passphrase)

    def import_key(self, label: str, private_key: bytes, passphrase: str) -> KeyInfo:
        """Store ``private_key`` (32 bytes) encrypted under ``passphrase`` as ``label``."""
        path = self.check_new(label)
        if not passphrase:
            raise BadNewPassphrase("keystore: an empty passphrase is not allowed")
        if not isinstance(private_key, bytes) or len(private_key) != 32:
            raise BadKeyFile("keystore: a private key is 32 bytes")
        document = Account.encrypt(private_key, passphrase, iterations=self.kdf_iterations)
        self.directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        data = json.dumps(document, indent=2, sort_keys=True).encode() + b"\n"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            raise DuplicateLabel(f"keystore: a key labelled {label!r} exists already ({path})") from None
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        os.chmod(path, FILE_MODE)  # whatever the umask
        return KeyInfo(label, bytes.fromhex(document["address"]), path)

    def load(self, label: str, passphrase: str) -> bytes:
        """The 32-byte private key stored as ``label``."""
        path = self.path(label)
        document, address = self._read(path)
        try:
            key = bytes(Account.decrypt(document, passphrase))
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise WrongPassphrase(f"keystore: wrong passphrase for key {label!r}") from None
            raise BadKeyFile(f"keystore: cannot decrypt {path}: {exc}") from None
        if Account.from_key(key).address.lower() != "0x" + address.hex():
            raise BadKeyFile(f"keystore: {path} decrypts to a key of another address")
        return key

    def check_new(self, label: str) -> Path:
        """The path for a new key ``label``; ``BadLabel`` / ``DuplicateLabel`` if it cannot be one."""
        path = self.path(label)
        if path.exists():
            raise DuplicateLabel(f"keystore: a key labelled {label!r} exists already ({path})")
        return path

    @staticmethod
    def _read(path: Path) -> tuple[dict, bytes]:
        try:
            document = json.loads(path.read_text())
        except FileNotFoundError:
            raise UnknownKey(f"keystore: no key labelled {path.stem!r} in {path.parent}") from None
        except (OSError, ValueError) as exc:
            raise BadKeyFile(f"keystore: cannot read {path}: {exc}") from None
        try:
            if document.get("version") != 3:
                raise ValueError("not a version 3 key file")
            address = bytes.fromhex(document["address"].removeprefix("0x"))
            if len(address) != 20:
                raise ValueError("bad address")
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise BadKeyFile(f"keystore: {path} is not a version 3 key file: {exc}") from None
        return document, address


def read_passphrase(password_file: str | os.PathLike | None = None, *, confirm: bool = False,
                    prompt: str = "passphrase: ", env: Mapping[str, str] | None = None) -> str:
    """The passphrase: first line of ``password_file``, else ``$OPTROLLUP_PASSWORD``, else a prompt.

    ``confirm`` asks twice at the prompt (for a new key). Raises ``NoPassphrase`` when there is
    no source (no terminal), ``KeystoreError`` when the two entries differ or the file is unreadable.
    """
    env = os.environ if env is None else env
    if password_file is not None:
        try:
            text = Path(password_file).expanduser().read_text()
        except OSError as exc:
            raise BadPasswordFile(f"keystore: cannot read the password file: {exc}") from None
        return text.splitlines()[0] if text else ""
    if env.get(ENV_PASSWORD):
        return env[ENV_PASSWORD]
    if not sys.stdin.isatty():
        raise NoPassphrase(f"keystore: no passphrase: pass --password-file FILE or set {ENV_PASSWORD}")
    passphrase = getpass.getpass(prompt)
    if confirm and getpass.getpass("repeat " + prompt) != passphrase:
        raise BadNewPassphrase("keystore: the passphrases differ")
    return passphrase
