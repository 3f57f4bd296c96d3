"""How data teams read the dataset — the code README.md shows, run by the tests as it is written there: in
each day's folder, the file whose name sorts last; with DuckDB and with pandas (pyarrow), on a local folder
or in a bucket."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs


def duckdb_dataset(con, base: str) -> str:
    """Point DuckDB at the newest file of every day and return the relation to query.
    ``base``: ``archive/datasets/articles`` or ``s3://BUCKET/PREFIX/datasets/articles``."""
    con.execute(f"""
        SET VARIABLE arshif_files = (
            SELECT list(newest ORDER BY newest) FROM (
                SELECT max(file) AS newest FROM glob('{base}/*/*/part-*.parquet') GROUP BY parse_dirpath(file)))""")
    return "read_parquet(getvariable('arshif_files'), hive_partitioning = true)"


def pandas_dataset(base: str, filesystem: pafs.FileSystem | None = None, columns: list[str] | None = None) -> pd.DataFrame:
    """The dataset as a DataFrame: the newest file of every day, the partition columns typed."""
    fs = filesystem or pafs.LocalFileSystem()
    newest: dict[str, str] = {}
    for info in fs.get_file_info(pafs.FileSelector(base, recursive=True)):
        folder, name = info.path.rsplit("/", 1)
        if name.startswith("part-") and name.endswith(".parquet"):
            newest[folder] = max(newest.get(folder, ""), info.path)
    partitioning = ds.partitioning(pa.schema([("site", pa.string()), ("date", pa.date32())]), flavor="hive")
    dataset = ds.dataset(sorted(newest.values()), filesystem=fs, format="parquet", partitioning=partitioning,
                         partition_base_dir=base)
    return dataset.to_table(columns=columns).to_pandas()
