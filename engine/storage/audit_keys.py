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
import hashlib
import hmac
import json
import os
import secrets
import threading
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
        self._load()
        return key_id in self._keys

    def mac(self, key_id: str, prev_hash: str, text: str) -> str:
        """HMAC-SHA256 of `prev_hash + text` under key `key_id` (hex)."""
        self._load()
        key = self._keys.get(key_id)
        if key is None:
            raise AuditKeyError(f"audit key {key_id!r} is not in {self._where()}")
        return hmac.new(key, (prev_hash + text).encode("utf-8"), hashlib.sha256).hexdigest()

    def rotate(self) -> str:
        """Add a new HMAC key and make it current; the old ones stay for verification."""
        if self._environ.get(ENV_KEYS):
            raise AuditKeyError(f"the audit keys come from {ENV_KEYS}: append a new id:hex pair there")
        with self._lock:
            self._keys = None
            keys, _ = self._read_file()
            key_id = f"k{len(keys) + 1}-{secrets.token_hex(3)}"
            keys[key_id] = secrets.token_bytes(32)
            self._write_file(keys, key_id)
            self._keys, self._current = keys, key_id
        return key_id

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
                if not keys:
                    current = "k1-" + secrets.token_hex(3)
                    keys = {current: secrets.token_bytes(32)}
                    self._write_file(keys, current)
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

    def _write_file(self, keys: dict, current: str) -> None:
        doc = {"current": current, "keys": {key_id: key.hex() for key_id, key in keys.items()}}
        _write_secret(self.folder / HMAC_FILE, json.dumps(doc, indent=1).encode())

    def _where(self) -> str:
        return ENV_KEYS if self._environ.get(ENV_KEYS) else str(self.folder / HMAC_FILE)

    # -- Ed25519 ----------------------------------------------------------------------------

    def signing_key(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._signing is None:
                path = self.folder / SIGNING_FILE
                if path.exists():
                    self._signing = serialization.load_pem_private_key(path.read_bytes(), None)
                else:
                    self._signing = Ed25519PrivateKey.generate()
                    _write_secret(path, self._signing.private_bytes(
                        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()))
                    public = self._signing.public_key().public_bytes(
                        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                    (self.folder / PUBLIC_FILE).write_text(public.hex() + "\n")
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


def _write_secret(path: Path, content: bytes) -> None:
    """Write `content` readable by the owner only (created 0600, replaced atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
