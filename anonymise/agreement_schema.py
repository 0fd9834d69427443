"""The JSON Schema of agreement files, generated from the model; ``python -m anonymise.agreement_schema`` writes it.

>>> agreement_json_schema()["title"]
'msht-hub data-sharing agreement'
"""

import json
import sys
from pathlib import Path
from typing import Any, Final

from anonymise.agreement import AGREEMENT_FORMAT_VERSION, Agreement

SCHEMA_PATH: Final = Path("policies") / "agreement.schema.json"


def agreement_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every file in ``policies/`` obeys.

    Editors can validate against it; the hub validates with the model itself, which also checks
    the rules a schema cannot say (parties named by grants exist, dates in order).
    """
    schema = Agreement.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "msht-hub data-sharing agreement"
    schema["description"] = (
        f"Agreement file format {AGREEMENT_FORMAT_VERSION}. Generated from anonymise.agreement.Agreement: "
        "do not edit; run `python -m anonymise.agreement_schema`."
    )
    return schema


def render() -> str:
    """The schema as written to ``policies/agreement.schema.json`` (stable key order, newline at end)."""
    return json.dumps(agreement_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else SCHEMA_PATH
    target.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
