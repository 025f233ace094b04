"""`kodos schema`: the JSON Schema of the configuration, for editors and CI."""

from __future__ import annotations

import json

from kodos.config.model import Config


def run_schema() -> int:
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "kodos configuration"
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0
