"""The JSON record's schema and the dataset's Arrow schema describe the same fields, and docs/schema.md is
what the generator writes from them."""
import copy
from pathlib import Path

import pyarrow as pa

from crawler.dataset.docs import drift, render
from crawler.dataset.schema import DATASET_SCHEMA, FILE_SCHEMA, PARTITION_SCHEMA
from crawler.extract.record import schema as json_schema

ROOT = Path(__file__).resolve().parent.parent


def test_docs_schema_md_is_generated_from_both_schemas():
    assert (ROOT / "docs" / "schema.md").read_text("utf-8") == render(), \
        "docs/schema.md is out of date: python -m crawler.dataset.docs > docs/schema.md"


def test_the_id_is_described_as_it_is_made_in_the_files_and_the_docs():
    """``id`` is the hash of ``<site>/<article number>`` (crawler/urls.py: article_id), not of the canonical URL:
    the Parquet field's metadata and docs/schema.md say so, in the JSON Schema's words."""
    from crawler.dataset.schema import description

    said = description(FILE_SCHEMA.field("id"))
    assert said.startswith(json_schema()["properties"]["id"]["description"].rstrip("."))
    assert "'<site>/<the site's own article number>'" in said and "of canonical_url" not in said
    assert r"'\<site>/\<the site's own article number>'" in (ROOT / "docs" / "schema.md").read_text("utf-8")


def test_every_json_field_has_a_column_and_every_column_a_field():
    assert drift() == []


def test_drift_is_caught_both_ways_and_in_types():
    record = copy.deepcopy(json_schema())
    record["properties"]["subtitle"] = {"type": ["string", "null"]}
    record["properties"]["warc"]["properties"]["length"] = {"type": "integer"}
    found = drift(record, DATASET_SCHEMA)
    assert any(p.startswith("subtitle: a field of the JSON record with no column") for p in found)
    assert any(p.startswith("warc.length: a field of the JSON record with no column") for p in found)

    arrow = pa.schema([f for f in DATASET_SCHEMA if f.name != "tags"]
                      + [pa.field("lead", pa.string())])
    arrow = arrow.set(arrow.get_field_index("word_count"), pa.field("word_count", pa.string(), nullable=False))
    found = drift(json_schema(), arrow)
    assert any(p.startswith("tags: a field of the JSON record with no column") for p in found)
    assert any(p.startswith("lead: a dataset column with no field") for p in found)
    assert any(p.startswith("word_count: JSON type integer does not match") for p in found)

    arrow = DATASET_SCHEMA.set(DATASET_SCHEMA.get_field_index("description"),
                               pa.field("description", pa.string(), nullable=False))
    assert drift(json_schema(), arrow) == ["description: nullable in one schema and not in the other"]


def test_partition_columns_are_not_stored_in_the_files():
    assert not set(PARTITION_SCHEMA.names) & set(FILE_SCHEMA.names)
    for name in ("published_at", "modified_at", "fetched_at"):
        assert DATASET_SCHEMA.field(name).type == pa.timestamp("us", tz="UTC")


def test_readme_shows_the_reader_code_the_tests_run():
    from tests.dataset_readers import readme_snippets

    readme = (ROOT / "README.md").read_text("utf-8")
    for snippet in readme_snippets():
        assert snippet in readme, f"README.md no longer shows:\n{snippet}"
