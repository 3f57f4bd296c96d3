"""The S3 backend (``s3://BUCKET/PREFIX``): AWS S3 and S3-compatible servers (MinIO, Ceph RGW, SeaweedFS,
Cloudflare R2, Backblaze B2) through boto3.

* Credentials come only from boto3's standard chain (environment, shared profile, instance or pod role);
  nothing here reads or prints them. Error messages name the archive URL, the operation, the S3 error code
  and where the credentials came from ("env", "shared-credentials-file", "iam-role"…), never a key.
* Retries and backoff are botocore's own (``retry_mode``/``max_attempts``); once they are exhausted, an
  endpoint that does not answer (refused, timeout, 5xx) raises :class:`ArchiveUnavailable` (an outage, the
  uploader sends the write to the outbox), a missing bucket or refused credentials raise
  :class:`ArchiveConfigError` (fatal at start, exit 2).
* Every PUT carries Content-MD5 (checked by every S3 implementation) and a SHA-256 flexible checksum that
  the server stores and returns (``x-amz-checksum-sha256``); reads ask for it back and botocore checks it.
* ``if_absent`` is ``If-None-Match: *`` and ``if_match`` is ``If-Match: <etag>``: a 412 answer means "the
  condition failed" and the call returns False. Servers that ignore these headers still work, without
  protection against concurrent writers (the site lease then is the only guard, see
  ``crawler/archive/state/lease.py``).
"""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Iterator
from urllib.parse import urlsplit

import boto3
from botocore import exceptions as bx
from botocore.config import Config

from crawler import __version__
from crawler.config import S3Settings
from crawler.archive.storage.base import Archive, ArchiveConfigError, ArchiveError, ArchiveUnavailable, ObjectInfo

# S3 error codes that mean "these credentials are not accepted".
_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "TokenRefreshRequired",
            "InvalidClientTokenId", "AuthorizationHeaderMalformed", "InvalidSecurity"}
_DENIED = {"AccessDenied", "AllAccessDisabled", "AccountProblem"}
_MISSING_BUCKET = {"NoSuchBucket"}
_PRECONDITION = {"PreconditionFailed", "ConditionalRequestConflict"}
# Answers that mean the service is there but not able to serve now (after botocore's retries).
_OUTAGE_CODES = {"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "RequestTimeTooSkewed"}
_OUTAGE_EXC = (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.HTTPClientError, bx.ProxyConnectionError)


def split_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix/`` → ``("bucket", "some/prefix/")`` (prefix empty or ending with '/')."""
    parts = urlsplit(url)
    prefix = parts.path.strip("/")
    return parts.netloc, (prefix + "/" if prefix else "")


def client_config(s3: S3Settings) -> Config:
    return Config(
        region_name=s3.region or None,
        retries={"mode": s3.retry_mode, "max_attempts": s3.max_attempts},
        connect_timeout=s3.connect_timeout,
        read_timeout=s3.read_timeout,
        max_pool_connections=s3.upload_workers + 4,
        s3={"addressing_style": s3.addressing_style},
        # Checksums only where an operation requires them: the SHA-256 checksum on PUT is asked explicitly,
        # and "when_required" keeps botocore from sending aws-chunked trailers that some S3-compatible
        # servers (older Ceph, B2, R2) reject.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_supported",
        user_agent_appid=f"arshif-{__version__}",
    )


class S3Archive(Archive):
    #: keys asked per LIST request (S3's maximum is 1000; tests lower it to exercise pagination)
    page_size = 1000
    remote = True
    has_locks = False         # the site lease is an object taken with conditional writes (state/lease.py)

    def __init__(self, url: str, settings: S3Settings, *, session: boto3.session.Session | None = None):
        self.url = url.rstrip("/")
        self.bucket, self.prefix = split_url(url)
        self.settings = settings
        verify: bool | str | None = None            # None: botocore's default (system CAs, AWS_CA_BUNDLE)
        if not settings.verify_tls:
            verify = False
        elif settings.ca_bundle:
            verify = settings.ca_bundle
        self._session = session or boto3.session.Session()
        try:
            self._client = self._session.client(
                "s3", endpoint_url=settings.endpoint_url or None, verify=verify, config=client_config(settings))
        except (bx.ProfileNotFound, bx.InvalidConfigError) as exc:
            raise ArchiveConfigError(f"archive {self.url}: {type(exc).__name__}: {exc}") from None
        except ValueError as exc:  # bad region name and the like
            raise ArchiveConfigError(f"archive {self.url}: {exc}") from None

    # ------------------------------------------------------------------------------------------ errors

    def _credential_source(self) -> str:
        try:
            creds = self._session.get_credentials()
        except bx.BotoCoreError:
            return "unknown source"
        return f"credentials from {creds.method}" if creds is not None else "no credentials"

    def _error(self, exc: Exception, op: str, key: str | None = None) -> ArchiveError:
        """The archive error for a botocore exception: one line, no secret, no server message."""
        where = f"archive {self.url}"
        what = f"{op} {key}" if key else op
        if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError)):
            return ArchiveConfigError(
                f"{where}: no usable credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, "
                f"or use an instance/pod role): {type(exc).__name__}")
        if isinstance(exc, bx.SSLError):
            return ArchiveConfigError(
                f"{where}: TLS verification of {self.settings.endpoint_url or 'the endpoint'} failed "
                "(set archive.s3.ca_bundle for a private CA)")
        if isinstance(exc, _OUTAGE_EXC):
            endpoint = self.settings.endpoint_url or "S3"
            return ArchiveUnavailable(
                f"{where}: {endpoint} not answering after {self.settings.max_attempts} attempts "
                f"({type(exc).__name__}) during {what}")
        if isinstance(exc, bx.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _MISSING_BUCKET or (op == "head_bucket" and status == 404):
                return ArchiveConfigError(f"{where}: bucket {self.bucket!r} does not exist")
            if code in _REFUSED:
                return ArchiveConfigError(f"{where}: credentials refused ({code}; {self._credential_source()})")
            if code in _DENIED or status == 403:
                return ArchiveConfigError(
                    f"{where}: access denied to bucket {self.bucket!r} ({code or status}; "
                    f"{self._credential_source()})")
            if code in _OUTAGE_CODES or status >= 500:
                return ArchiveUnavailable(f"{where}: server error {code or status} after "
                                          f"{self.settings.max_attempts} attempts during {what}")
            return ArchiveError(f"{where}: {what} failed: {code or status}")
        if isinstance(exc, bx.BotoCoreError):
            return ArchiveError(f"{where}: {what} failed: {type(exc).__name__}")
        raise exc

    @staticmethod
    def _code(exc: bx.ClientError) -> str:
        return str(exc.response.get("Error", {}).get("Code", ""))

    @staticmethod
    def _status(exc: bx.ClientError) -> int:
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))

    # ------------------------------------------------------------------------------------------ keys

    def _key(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"bad archive key {key!r}")
        return self.prefix + key

    # ------------------------------------------------------------------------------------------ API

    def check(self, *, create: bool = True) -> None:
        try:                        # a bucket is never created: a missing one is fatal either way
            self._client.head_bucket(Bucket=self.bucket)
        except bx.ClientError as exc:
            if self._status(exc) == 403:
                # HEAD answers carry no error code: ask once more with a request whose answer names it.
                try:
                    self._client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
                except (bx.BotoCoreError, bx.ClientError) as exc2:
                    raise self._error(exc2, "list_objects_v2") from None
            raise self._error(exc, "head_bucket") from None
        except bx.BotoCoreError as exc:
            raise self._error(exc, "head_bucket") from None

    def _put_args(self, key, content_type, content_encoding, metadata) -> dict:
        args = {"Bucket": self.bucket, "Key": self._key(key), "ContentType": content_type,
                "ChecksumAlgorithm": "SHA256"}
        if content_encoding:
            args["ContentEncoding"] = content_encoding
        if metadata:
            args["Metadata"] = {k: str(v) for k, v in metadata.items()}
        return args

    def put(self, key, data, *, content_type, content_encoding=None, metadata=None, if_absent=False,
            if_match: str | None = None) -> bool:
        """Store ``data``. ``if_absent``: only when no object is there; ``if_match``: only when the object's
        ETag is still this one. Returns False when such a condition failed (HTTP 412), True when written."""
        args = self._put_args(key, content_type, content_encoding, metadata)
        args["Body"] = data
        args["ContentMD5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        if if_absent:
            args["IfNoneMatch"] = "*"
        if if_match:
            args["IfMatch"] = if_match
        try:
            self._client.put_object(**args)
        except bx.ClientError as exc:
            if (if_absent or if_match) and (self._code(exc) in _PRECONDITION or self._status(exc) == 412):
                return False
            raise self._error(exc, "put", key) from None
        except bx.BotoCoreError as exc:
            raise self._error(exc, "put", key) from None
        return True

    def put_file(self, key, path, *, content_type, content_encoding=None, metadata=None) -> None:
        """One PUT from the open file (botocore rewinds it on retries); WARC files stay well under S3's 5 GB
        single-PUT limit (``archive.warc_max_bytes``)."""
        args = self._put_args(key, content_type, content_encoding, metadata)
        md5 = hashlib.md5()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                md5.update(block)
            fh.seek(0)
            args["Body"] = fh
            args["ContentMD5"] = base64.b64encode(md5.digest()).decode()
            try:
                self._client.put_object(**args)
            except (bx.BotoCoreError, bx.ClientError) as exc:
                raise self._error(exc, "put", key) from None

    def get_with_etag(self, key: str) -> tuple[bytes, str] | None:
        """The object's bytes and ETag (for a later ``put(..., if_match=etag)``), or None when absent."""
        try:
            resp = self._client.get_object(Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED")
            return resp["Body"].read(), resp["ETag"]
        except bx.ClientError as exc:
            if self._status(exc) == 404 and self._code(exc) not in _MISSING_BUCKET:
                return None
            raise self._error(exc, "get", key) from None
        except bx.BotoCoreError as exc:
            raise self._error(exc, "get", key) from None

    def get(self, key: str) -> bytes | None:
        got = self.get_with_etag(key)
        return got[0] if got else None

    def stat(self, key: str) -> ObjectInfo | None:
        try:
            h = self._client.head_object(Bucket=self.bucket, Key=self._key(key), ChecksumMode="ENABLED")
        except bx.ClientError as exc:
            if self._status(exc) == 404:
                return None
            raise self._error(exc, "head", key) from None
        except bx.BotoCoreError as exc:
            raise self._error(exc, "head", key) from None
        return ObjectInfo(key=key, size=h.get("ContentLength", 0), etag=h.get("ETag", ""),
                          content_type=h.get("ContentType"), content_encoding=h.get("ContentEncoding"),
                          metadata=h.get("Metadata", {}), checksum_sha256=h.get("ChecksumSHA256"))

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def delete(self, key: str, *, if_match: str | None = None) -> bool:
        """Remove ``key`` (only while its ETag is ``if_match`` when given). False when the condition failed."""
        args = {"Bucket": self.bucket, "Key": self._key(key)}
        if if_match:
            args["IfMatch"] = if_match
        try:
            self._client.delete_object(**args)
        except bx.ClientError as exc:
            if if_match and (self._code(exc) in _PRECONDITION or self._status(exc) == 412):
                return False
            if self._status(exc) == 404:
                return True
            raise self._error(exc, "delete", key) from None
        except bx.BotoCoreError as exc:
            raise self._error(exc, "delete", key) from None
        return True

    def lock(self, key: str) -> int | None:
        raise NotImplementedError(f"archive {self.url}: an object store has no locks (the site lease is an object)")

    def unlock(self, handle: int) -> None:
        raise NotImplementedError(f"archive {self.url}: an object store has no locks (the site lease is an object)")

    def list_info(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        paginator = self._client.get_paginator("list_objects_v2")
        cut = len(self.prefix)
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix),
                                           PaginationConfig={"PageSize": self.page_size}):
                for obj in page.get("Contents", ()):
                    yield obj["Key"][cut:], obj["LastModified"]
        except (bx.BotoCoreError, bx.ClientError) as exc:
            raise self._error(exc, "list", prefix) from None

    def close(self) -> None:
        self._client.close()
