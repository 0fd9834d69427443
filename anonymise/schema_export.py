"""Writes docs/schema.json, the published JSON Schema of the common schema: `python -m anonymise.schema_export`."""

import json
import sys
from pathlib import Path

from anonymise.schema import json_schema

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "docs" / "schema.json"


def render() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    path.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main()
