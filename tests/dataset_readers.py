"""How data teams read the dataset — the code README.md shows, run by the tests as written there (a test
checks that README.md still shows it): in each day's folder, the file whose name sorts last; with DuckDB
and with pandas (pyarrow), on a local folder or in a bucket."""
from __future__ import annotations

import inspect
import textwrap

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

#: the README's statement pointing DuckDB at the newest file of every day ({base}: the dataset's folder)
DUCKDB_FILES = """SET VARIABLE arshif_files = (
    SELECT list(newest ORDER BY newest) FROM (
        SELECT max(file) AS newest FROM glob('{base}/*/*/part-*.parquet') GROUP BY parse_dirpath(file)));"""
DUCKDB_VIEW = "CREATE OR REPLACE VIEW articles AS SELECT * FROM read_parquet(getvariable('arshif_files'), hive_partitioning = true);"

#: the README's queries, one per question data teams ask (``articles`` is the relation above)
ARTICLES_PER_SITE_PER_DAY = """SELECT site, date, count(*) AS articles
FROM articles
GROUP BY site, date
ORDER BY date, site;"""

STORIES_OF_BOTH_OUTLETS_THIS_WEEK = """SELECT story_id, min(published_at) AS first_seen, list(DISTINCT site ORDER BY site) AS sites,
       count(*) AS articles, arg_min(title, published_at) AS title
FROM articles
WHERE story_id IS NOT NULL AND date >= current_date - 7
GROUP BY story_id
HAVING count(DISTINCT site) = 2
ORDER BY first_seen;"""


def duckdb_dataset(con, base: str) -> str:
    """Run the README's statements for ``base`` (``archive/datasets/articles`` or
    ``s3://BUCKET/PREFIX/datasets/articles``) and return the name of the view to query."""
    con.execute(DUCKDB_FILES.format(base=base))
    con.execute(DUCKDB_VIEW)
    return "articles"


def read_articles(base, fs=pafs.LocalFileSystem(), columns=None):
    newest = {}                                   # the newest file of each day's folder
    for info in fs.get_file_info(pafs.FileSelector(base, recursive=True)):
        folder, name = info.path.rsplit("/", 1)
        if name.startswith("part-") and name.endswith(".parquet"):
            newest[folder] = max(newest.get(folder, ""), info.path)
    partitioning = ds.partitioning(pa.schema([("site", pa.string()), ("date", pa.date32())]), flavor="hive")
    dataset = ds.dataset(sorted(newest.values()), filesystem=fs, format="parquet", partitioning=partitioning,
                         partition_base_dir=base)
    return dataset.to_table(columns=columns).to_pandas()


def readme_snippets() -> list[str]:
    """What README.md must show verbatim."""
    return [DUCKDB_FILES.format(base="archive/datasets/articles"),
            DUCKDB_VIEW,
            ARTICLES_PER_SITE_PER_DAY, STORIES_OF_BOTH_OUTLETS_THIS_WEEK,
            textwrap.dedent(inspect.getsource(read_articles))]
