"""Validates every message the connector printed with the real airbyte-protocol-models.

Usage: validate_airbyte.py FILE...   (each FILE holds one command's stdout)
Also validates the checked-in configured catalogs.  Exits non-zero on the first problem.
"""
import json
import sys
from pathlib import Path

from airbyte_protocol.models import AirbyteMessage, ConfiguredAirbyteCatalog, Type


def parse(model, obj):
    return model.model_validate(obj) if hasattr(model, "model_validate") else model.parse_obj(obj)


def main(paths):
    counts = {}
    for path in paths:
        for n, line in enumerate(Path(path).read_text().splitlines(), 1):
            try:
                msg = parse(AirbyteMessage, json.loads(line))
            except Exception as e:  # noqa: BLE001 - report any failure with its place
                sys.exit(f"{path}:{n}: not a valid AirbyteMessage: {e}\n{line[:300]}")
            counts[msg.type.value] = counts.get(msg.type.value, 0) + 1
            if msg.type == Type.RECORD and not isinstance(msg.record.emitted_at, int):
                sys.exit(f"{path}:{n}: emitted_at must be an integer")
    root = Path(__file__).resolve().parents[2]
    for cat in sorted((root / "catalog").glob("*.json")):
        parse(ConfiguredAirbyteCatalog, json.loads(cat.read_text()))
        counts["configured catalogs"] = counts.get("configured catalogs", 0) + 1
    print("airbyte-protocol-models accepted:", ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main(sys.argv[1:])
