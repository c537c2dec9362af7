"""The signed envelope: sign a payload, open an envelope, handle the keys.

An envelope is JSON: `{"payload": base64 of the exact JSON bytes,
"signature": base64 Ed25519 signature over those bytes, "key_id": short id
of the signing key}`. Private keys are PEM files; a public key in the
settings is base64 of its raw 32 bytes. The cryptography library (7 MB) is
imported by the functions that sign or verify, not with the pages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey, Ed25519PublicKey)

MAX_KEY_ID = 64


class Rejection(Exception):
    """A summary or envelope that must not be accepted, and why.

    `reason` is a stable code (documented in the README); `detail` says
    more, in English, for the log and the operator.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Opened:
    """An envelope whose signature checked out."""

    payload: bytes
    signature: str
    key_id: str


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the short id of a public key: 16 hex digits of its SHA-256."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw,
                                  serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_text(public_key: Ed25519PublicKey) -> str:
    """Return a public key as base64 of its raw 32 bytes."""
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw,
                                  serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_public_key(text: str) -> Ed25519PublicKey:
    """Read a public key given as base64 of its raw 32 bytes.

    Raises ValueError saying what is wrong with the text.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PublicKey)

    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the public key is not base64")
    if len(raw) != 32:
        raise ValueError(f"the public key has {len(raw)} bytes, not 32")
    return Ed25519PublicKey.from_public_bytes(raw)


def new_private_key(path: Path) -> Ed25519PrivateKey:
    """Create a key pair and write its private half to a new PEM file.

    Raises FileExistsError rather than overwrite a key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey)

    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return private_key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read an Ed25519 private key from a PEM file.

    Raises ValueError when the file holds no unencrypted Ed25519 key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey)

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), None)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} is not an unencrypted PEM key: {error}")
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds a {type(key).__name__}, "
                         "not an Ed25519 key")
    return key


def sign(payload: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """Wrap payload bytes in a signed envelope; return the envelope JSON."""
    envelope = {
        "payload": base64.b64encode(payload).decode("ascii"),
        "signature": base64.b64encode(private_key.sign(payload))
        .decode("ascii"),
        "key_id": key_id(private_key.public_key()),
    }
    return (json.dumps(envelope, indent=2) + "\n").encode("utf-8")


def open_envelope(raw: bytes, public_key: Ed25519PublicKey) -> Opened:
    """Check an envelope's shape, key and signature; return its payload.

    Raises Rejection with reason not_json, bad_envelope, missing_signature,
    unknown_key or bad_signature.
    """
    from cryptography.exceptions import InvalidSignature

    try:
        envelope = json.loads(raw)
    except (ValueError, RecursionError) as error:
        # RecursionError: brackets nested deeper than Python's stack.
        raise Rejection("not_json", f"the body is not JSON ({error}); "
                        f"it starts with {raw[:40]!r}")
    if not isinstance(envelope, dict) or "payload" not in envelope:
        raise Rejection("bad_envelope",
                        "the JSON is not an envelope with a payload")

    if not envelope.get("signature"):
        raise Rejection("missing_signature", "the envelope has no signature")
    payload_text = _text_field(envelope, "payload")
    signature_text = _text_field(envelope, "signature")
    envelope_key_id = _text_field(envelope, "key_id")

    expected = key_id(public_key)
    if envelope_key_id != expected:
        raise Rejection("unknown_key",
                        f"signed with key {envelope_key_id[:MAX_KEY_ID]!r}, "
                        f"this node trusts key {expected}")

    try:
        payload = base64.b64decode(payload_text, validate=True)
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError):
        raise Rejection("bad_envelope", "payload or signature is not base64")
    try:
        public_key.verify(signature, payload)
    except InvalidSignature:
        raise Rejection("bad_signature",
                        "the signature does not match the payload")
    return Opened(payload=payload, signature=signature_text,
                  key_id=envelope_key_id)


def _text_field(envelope: dict[str, object], name: str) -> str:
    """Return a string field of an envelope; raises Rejection otherwise."""
    value = envelope.get(name)
    if not isinstance(value, str):
        raise Rejection("bad_envelope", f"the envelope's {name} must be a "
                        "string")
    return value
