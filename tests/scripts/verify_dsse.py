#!/usr/bin/env python3
"""Verify a watermark delivery receipt (a DSSE envelope) independently of
the Rust code: recompute the DSSE v1 pre-authentication encoding and check
the Ed25519 signature with the owner's public key (PEM).

Usage: verify_dsse.py RECEIPT.json OWNER.pub

Exit 0 when a signature verifies, 1 when none does or the receipt is
malformed, 2 on a usage error or an unreadable key. Uses only the standard
library and the `cryptography` package.
"""

import base64
import binascii
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: bytes, payload: bytes) -> bytes:
    """DSSEv1 SP LEN(type) SP type SP LEN(body) SP body."""
    return b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload)


def b64decode_strict(text: str) -> bytes:
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError("non-canonical base64")
    return raw


def verify(envelope_bytes: bytes, key: Ed25519PublicKey) -> str:
    """Return an empty string when valid, else the reason."""
    try:
        envelope = json.loads(envelope_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return f"not JSON: {e}"
    if not isinstance(envelope, dict):
        return "not a JSON object"
    if set(envelope) != {"payloadType", "payload", "signatures"}:
        return f"unexpected fields {sorted(envelope)}"
    payload_type = envelope["payloadType"]
    if payload_type != PAYLOAD_TYPE:
        return f"payloadType is {payload_type!r}"
    try:
        payload = b64decode_strict(envelope["payload"])
    except (AttributeError, ValueError, binascii.Error, UnicodeEncodeError) as e:
        return f"payload is not base64: {e}"
    signatures = envelope["signatures"]
    if not isinstance(signatures, list) or not signatures:
        return "no signatures"
    message = pae(payload_type.encode("utf-8"), payload)
    for entry in signatures:
        try:
            sig = b64decode_strict(entry["sig"])
            key.verify(sig, message)
        except (TypeError, KeyError, AttributeError, ValueError, binascii.Error,
                UnicodeEncodeError, InvalidSignature):
            continue
        try:
            statement = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return f"signed payload is not JSON: {e}"
        if not isinstance(statement, dict) or statement.get("_type") != "https://in-toto.io/Statement/v1":
            return "signed payload is not an in-toto Statement v1"
        return ""
    return "no signature verifies with this key"


def main(argv: list) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    receipt_path, key_path = argv[1], argv[2]
    try:
        with open(key_path, "rb") as f:
            key = load_pem_public_key(f.read())
    except (OSError, ValueError) as e:
        print(f"{key_path}: cannot load public key: {e}", file=sys.stderr)
        return 2
    if not isinstance(key, Ed25519PublicKey):
        print(f"{key_path}: not an Ed25519 public key", file=sys.stderr)
        return 2
    try:
        with open(receipt_path, "rb") as f:
            envelope_bytes = f.read()
    except OSError as e:
        print(f"{receipt_path}: {e}", file=sys.stderr)
        return 1
    reason = verify(envelope_bytes, key)
    if reason:
        print(f"{receipt_path}: INVALID: {reason}", file=sys.stderr)
        return 1
    print(f"{receipt_path}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
