"""Item pipelines, one job each: extract (worker processes) → validate (JSON Schema) → archive."""
