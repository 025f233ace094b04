"""`kodos schema`: the JSON Schema of the configuration, for editors and CI."""

from __future__ import annotations

import json

from kodos.config.jsonschema import json_schema
from kodos.config.model import Config


def run_schema() -> int:
    print(json.dumps(json_schema(Config, "kodos configuration"), indent=2, sort_keys=True))
    return 0
