"""Stage 2, fetching: the spider (``spider``, one for every site) and the downloader middlewares around it —
``retry_after`` (429/503 slow the site down), ``capture`` (every response into a WARC file, written by
``warc_writer``); ``failures`` names why a request failed, in one line."""
