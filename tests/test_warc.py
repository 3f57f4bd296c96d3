"""Raw captures: gzip WARC files with seekable response records, rolled at a size limit."""
import os

from warcio.archiveiterator import ArchiveIterator

from crawler.fetch.warc_writer import RollingWarcWriter


def write_one(writer, n):
    return writer.write(url=f"http://127.0.0.1/{n}", method="GET", request_headers=[("User-Agent", "arshif")],
                        status=200, reason="OK", protocol="HTTP/1.1",
                        response_headers=[("Content-Type", "text/html; charset=utf-8")],
                        body=f"<html>صفحة {n}</html>".encode() + os.urandom(1500).hex().encode(), path=f"/{n}")


def test_pointers_seek_to_the_response_and_files_roll(tmp_path):
    closed = []
    writer = RollingWarcWriter(tmp_path, "20261123T000000Z-elbalad-abcd", 4000,
                               on_close=lambda path, name: closed.append((path, name)))
    pointers = [write_one(writer, n) for n in range(6)]
    writer.close()
    assert len(closed) >= 2, "files roll past max_bytes"
    assert [name for _, name in closed][0] == "20261123T000000Z-elbalad-abcd-00001.warc.gz"
    assert not list(tmp_path.glob("*.open"))
    files = {name: path for path, name in closed}
    for n, ptr in enumerate(pointers):
        with open(files[ptr["name"]], "rb") as fh:
            fh.seek(ptr["offset"])
            rec = next(iter(ArchiveIterator(fh)))
            assert rec.rec_type == "response"
            assert rec.rec_headers.get_header("WARC-Record-ID") == ptr["record_id"]
            assert rec.rec_headers.get_header("WARC-Target-URI") == f"http://127.0.0.1/{n}"
            assert rec.content_stream().read().startswith(f"<html>صفحة {n}</html>".encode())


def test_every_file_starts_with_warcinfo_and_pairs_requests(tmp_path):
    closed = []
    writer = RollingWarcWriter(tmp_path, "run", 10**9, on_close=lambda p, n: closed.append(p))
    write_one(writer, 1)
    writer.close()
    with open(closed[0], "rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh)]
    assert types == ["warcinfo", "response", "request", "warcinfo"]      # opened, one pair, sealed


def test_every_file_is_sealed_and_a_copy_cut_between_records_is_not(tmp_path):
    """The closing warcinfo counts the records before it and gives its offset: a copy cut at a record
    boundary (a valid gzip file) lacks it; a copy with a record left out counts wrong."""
    import pytest

    from crawler.fetch.warc_writer import DamagedWarc, check_sealed, gzip_members, warc_fields

    closed = []
    writer = RollingWarcWriter(tmp_path, "run", 10**9, on_close=lambda p, n: closed.append(p))
    for n in range(3):
        write_one(writer, n)
    writer.close()
    data = closed[0].read_bytes()

    def records(blob):
        it = ArchiveIterator(__import__("io").BytesIO(blob))
        out = []
        for r in it:
            body = r.raw_stream.read()
            out.append((it.get_record_offset(), r.rec_type, warc_fields(body) if r.rec_type == "warcinfo" else {}))
        return out

    whole = records(data)
    assert whole[0][2]["arshif-sealed"] == "yes" and whole[-1][2]["arshif-seal"] == "end of file"
    assert whole[-1][2]["records"] == "7" and whole[-1][2]["offset"] == str(whole[-1][0])
    check_sealed(whole)
    members = gzip_members(data)
    assert [(start, rtype) for start, rtype, _ in whole] == [(start, rtype) for (start, _), (_, rtype, _) in
                                                            zip(members, whole)]
    for start, _ in members[1:]:
        with pytest.raises(DamagedWarc, match="without its closing record"):
            check_sealed(records(data[:start]))
    second = members[2]
    with pytest.raises(DamagedWarc, match="records missing"):
        check_sealed(records(data[:second[0]] + data[second[1]:]))
