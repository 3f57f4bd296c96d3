"""Re-extraction from the stored captures: the current extractor and rules over the archive's WARC files.

The package: ``warc_read`` (which WARC files, their captures, each file checked whole), ``workers`` (the pure
extraction of captures that workers run, and the extractor's fingerprint), ``dask_cluster`` (the workers of a
Dask cluster), ``checkpoint`` (a site's progress in the local state folder), ``site`` (one site's run: reads,
hands batches to the workers, and stores each result through ``crawler.archive.storage.store.ingest``, as the crawl
does). It imports the stages (fetch, extract, archive) and the run's report; nothing below imports it.

The sites are never asked again. For each site, the WARC files under ``warc/site=<site>/`` (optionally only
the capture dates ``since``…``until``) are read in order, each with one GET; every ``200`` response of an
article URL goes, in batches, to :func:`extract_captures` — a pure function run by workers (a local process
pool, or the workers of a Dask cluster): captures in, results out. This process (the client) writes the results in
capture order, so the archive comes out the same whichever workers ran the extraction:

* the capture that counts for an article is the latest: captures are ordered by WARC file name (which
  starts with the run's start time) and offset, and a capture older than the one the archived record came
  from changes nothing ("older");
* the record is compared with the archived one on text and metadata (``record.CONTENT_FIELDS``): equal is
  "unchanged", no write at all (a new rules version alone is no change). Told without reading the archived
  record when the index keeps its digest (``record.content_digest``, kept with every record the crawl or
  re-extraction writes or reads) and the worker's digest is the same; a new text goes through
  ``store_article`` (the previous text kept under ``versions/``, ``version`` + 1); the same text with new
  metadata replaces the record in place (``store_metadata_change``, ``version`` + 1); a capture that is an
  article now but was not archived is archived ("new"). An archived article that is no article under the
  current rules is left as it is (counted "not_article"): re-extraction never deletes.
* a record keeps the ``fetched_at`` and ``run_id`` of its capture, so re-running re-extraction (or running
  it elsewhere) writes byte-identical records.

Every WARC file is checked whole: every gzip member complete (its trailer checked, before any record is read),
one record per member, every record read to its end with its digest checked, and the file's seal at its end
(``crawler.fetch.warc_writer``: a copy cut exactly between two records is otherwise a valid, shorter file). A file cut
short or damaged is one error line and is left for the next run, never giving a truncated page; the whole
captures before the damage are done (every write is idempotent).

Resumable: after each WARC file the client records it, with the counts and the days it touched, in a
checkpoint in the local state folder (``reextract-<site>.json``; the keys written go to
``reextract-<site>.keys``). A rerun with the same extractor and the same dates skips the files done; every
write is idempotent, so the file that was cut short is simply done again. When the site is finished and
its touched days were handed on, the run's manifest is stored under ``runs/`` and the checkpoint goes.
"""
