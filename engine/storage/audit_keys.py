"""The audit trail's keys, kept outside the database.

Someone who can write to the database can rewrite an event and recompute an unkeyed hash;
without the key an HMAC cannot be recomputed. Two kinds of key:

- **HMAC keys** chain the events (`mac`). They live in `<audit keys dir>/hmac-keys.json`
  (created on first use, mode 0600, the folder 0700), or come from the environment variable
  `LIANDONG_AUDIT_HMAC_KEYS` as `id:hex[,id:hex...]` (the last is current; the file is then
  not read). Every keyed event records its key's id; `rotate` adds a new key and makes it
  current, and the old keys stay in the file so older events still verify.
- **The checkpoint signing key** (Ed25519) signs the checkpoints of the chains' heads
  written outside the database (engine.ops.checkpoints): `checkpoint-ed25519.pem` (0600)
  beside its public half `checkpoint-ed25519.pub` (hex), which a verifier may hold elsewhere.

The default folder is `<instance>/audit-keys`; the setting `audit_keys_dir` moves it (put it
on another volume than the database's, and back it up separately from the database).
"""
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import LiandongError

ENV_KEYS = "LIANDONG_AUDIT_HMAC_KEYS"
HMAC_FILE = "hmac-keys.json"
SIGNING_FILE = "checkpoint-ed25519.pem"
PUBLIC_FILE = "checkpoint-ed25519.pub"


class AuditKeyError(LiandongError):
    """A key is missing or malformed (the message says which and where)."""


def legacy_hash(prev_hash: str, text: str) -> str:
    """The unkeyed SHA-256 chain of events written before keys (migration 0012)."""
    return hashlib.sha256((prev_hash + text).encode("utf-8")).hexdigest()


class Keyring:
    def __init__(self, folder: Path, environ=None):
        self.folder = Path(folder)
        self._environ = os.environ if environ is None else environ
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] | None = None
        self._current: str | None = None
        self._signing: Ed25519PrivateKey | None = None

    # -- HMAC -------------------------------------------------------------------------------

    @property
    def current_id(self) -> str:
        self._load()
        return self._current

    def known(self, key_id: str) -> bool:
        return self._key(key_id) is not None

    def mac(self, key_id: str, prev_hash: str, text: str) -> str:
        """HMAC-SHA256 of `prev_hash + text` under key `key_id` (hex)."""
        key = self._key(key_id)
        if key is None:
            raise AuditKeyError(f"audit key {key_id!r} is not in {self._where()}")
        return hmac.new(key, (prev_hash + text).encode("utf-8"), hashlib.sha256).hexdigest()

    def rotate(self) -> str:
        """Add a new HMAC key and make it current; the old ones stay for verification."""
        if self._environ.get(ENV_KEYS):
            raise AuditKeyError(f"the audit keys come from {ENV_KEYS}: append a new id:hex pair there")
        self._load()
        with self._lock, _locked(self.folder):
            keys, _ = self._read_file()
            key_id = f"k{len(keys) + 1}-{secrets.token_hex(3)}"
            keys[key_id] = secrets.token_bytes(32)
            _write_secret(self.folder / HMAC_FILE, _key_file(keys, key_id))
            self._keys, self._current = keys, key_id
        return key_id

    def _key(self, key_id: str) -> bytes | None:
        """The key `key_id`; the file is read again for one this process has not seen (a
        rotation by another process, which this one takes up as current when restarted)."""
        self._load()
        if key_id not in self._keys and not self._environ.get(ENV_KEYS):
            with self._lock:
                current = self._current
                self._keys = {**self._keys, **self._read_file()[0]}
                self._current = current
        return self._keys.get(key_id)

    def _load(self) -> None:
        if self._keys is not None:
            return
        with self._lock:
            if self._keys is not None:
                return
            raw = self._environ.get(ENV_KEYS)
            if raw:
                keys, current = _parse_env(raw)
            else:
                keys, current = self._read_file()
                if not keys:  # the first key; another process may be making it too
                    current = "k1-" + secrets.token_hex(3)
                    _write_secret(self.folder / HMAC_FILE, _key_file({current: secrets.token_bytes(32)},
                                                                    current), exclusive=True)
                    keys, current = self._read_file()
            self._keys, self._current = keys, current

    def _read_file(self):
        path = self.folder / HMAC_FILE
        if not path.exists():
            return {}, None
        try:
            doc = json.loads(path.read_text("utf-8"))
            keys = {key_id: bytes.fromhex(value) for key_id, value in doc["keys"].items()}
            current = doc["current"]
        except (ValueError, KeyError, TypeError) as error:
            raise AuditKeyError(f"{path} is not a valid audit key file: {error}") from None
        if current not in keys:
            raise AuditKeyError(f"{path}: the current key {current!r} is not among its keys")
        return keys, current

    def _where(self) -> str:
        return ENV_KEYS if self._environ.get(ENV_KEYS) else str(self.folder / HMAC_FILE)

    # -- Ed25519 ----------------------------------------------------------------------------

    def signing_key(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._signing is None:
                path = self.folder / SIGNING_FILE
                if not path.exists():  # made once; another process may be making it too
                    _write_secret(path, Ed25519PrivateKey.generate().private_bytes(
                        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()), exclusive=True)
                self._signing = serialization.load_pem_private_key(path.read_bytes(), None)
                public = self._signing.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex() + "\n"
                if not (self.folder / PUBLIC_FILE).exists():
                    (self.folder / PUBLIC_FILE).write_text(public)
            return self._signing

    def public_key(self) -> Ed25519PublicKey | None:
        """The checkpoints' public key: from its own file (which may be kept elsewhere too)."""
        path = self.folder / PUBLIC_FILE
        if path.exists():
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(path.read_text().strip()))
        if (self.folder / SIGNING_FILE).exists():
            return self.signing_key().public_key()
        return None


def _parse_env(raw: str):
    keys, current = {}, None
    for part in raw.split(","):
        key_id, sep, value = part.strip().partition(":")
        try:
            key = bytes.fromhex(value)
        except ValueError:
            key = b""
        if not sep or not key_id or len(key) < 16:
            raise AuditKeyError(f"{ENV_KEYS} must be id:hex pairs of keys of 16 bytes or more, "
                            "separated by commas")
        keys[key_id], current = key, key_id
    return keys, current


def _key_file(keys: dict, current: str) -> bytes:
    doc = {"current": current, "keys": {key_id: key.hex() for key_id, key in keys.items()}}
    return json.dumps(doc, indent=1).encode()


def _write_secret(path: Path, content: bytes, exclusive: bool = False) -> None:
    """Write `content` readable by the owner only (0600), atomically; `exclusive`: only if
    no file is there yet (a concurrent first writer wins, the others read its file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if not exclusive:
            os.replace(temporary, path)
            return
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def _locked(folder: Path):
    """An exclusive lock between processes rotating keys in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
