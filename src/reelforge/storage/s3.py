"""Artifacts in S3-compatible object storage (AWS S3, MinIO, R2) through boto3; downloads by presigned URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelforge.errors import ConfigError
from reelforge.storage import check_key

_TYPES = {
    ".mp4": "video/mp4",
    ".jpg": "image/jpeg",
    ".json": "application/json",
    ".srt": "application/x-subrip",
    ".vtt": "text/vtt",
}


class S3Storage:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigError("s3:// storage needs boto3: pip install 'reelforge[server]'") from None
        if not bucket:
            raise ConfigError("REELFORGE_STORAGE_URL: name a bucket, like s3://my-bucket/videos")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, source: Path) -> None:
        extra = {"ContentType": _TYPES.get(Path(key).suffix, "application/octet-stream")}
        self.client.upload_file(str(source), self.bucket, self._key(key), ExtraArgs=extra)

    def get(self, key: str, dest: Path) -> Path:
        self.client.download_file(self.bucket, self._key(key), str(dest))
        return Path(dest)

    def read(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        span = f"bytes={start}-{'' if end is None else end}"
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key), Range=span)["Body"].read()

    def size(self, key: str) -> int:
        return int(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def local_path(self, key: str) -> Path | None:
        return None

    def url(self, key: str, *, expires: int = 3600, filename: str | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
