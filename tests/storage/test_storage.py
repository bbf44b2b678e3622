"""Artifact storage: the same behaviour from a local folder and from a real S3-compatible server (moto)."""

from __future__ import annotations

import os

import httpx
import pytest

from reelforge.config import Settings
from reelforge.errors import InputError
from reelforge.storage import open_storage
from reelforge.storage.local import LocalStorage
from tests.jobs.servers import moto_s3


@pytest.fixture(scope="module")
def s3_endpoint():
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with moto_s3() as url:
        yield url


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch):
    if request.param == "local":
        return LocalStorage(tmp_path / "artifacts")
    endpoint = request.getfixturevalue("s3_endpoint")
    import boto3

    bucket = f"b{os.urandom(4).hex()}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    monkeypatch.setenv("REELFORGE_STORAGE_URL", f"s3://{bucket}/videos")
    monkeypatch.setenv("REELFORGE_S3_ENDPOINT_URL", endpoint)
    return open_storage(Settings())


def test_put_read_ranges_and_delete(store, tmp_path):
    payload = bytes(range(256)) * 40  # 10240 bytes
    source = tmp_path / "video.mp4"
    source.write_bytes(payload)
    key = "jobs/abc/video.mp4"
    assert not store.exists(key)
    store.put(key, source)
    assert store.exists(key) and store.size(key) == len(payload)
    assert store.read(key) == payload
    assert store.read(key, 100, 199) == payload[100:200]
    assert store.read(key, 10_000) == payload[10_000:]
    copy = store.get(key, tmp_path / "copy.mp4")
    assert copy.read_bytes() == payload
    store.delete(key)
    assert not store.exists(key)


def test_presigned_url_downloads_without_credentials(store, tmp_path):
    source = tmp_path / "thumb.jpg"
    source.write_bytes(b"\xff\xd8 jpeg bytes")
    store.put("jobs/x/thumbnail.jpg", source)
    url = store.url("jobs/x/thumbnail.jpg", expires=60, filename="thumb.jpg")
    if isinstance(store, LocalStorage):
        assert url is None and store.local_path("jobs/x/thumbnail.jpg").read_bytes() == source.read_bytes()
        return
    answer = httpx.get(url)  # a plain GET: the signature in the URL is the only credential
    assert answer.status_code == 200 and answer.content == source.read_bytes()
    assert answer.headers["content-type"] == "image/jpeg"
    assert 'filename="thumb.jpg"' in answer.headers["content-disposition"]
    tampered = url.replace("thumbnail.jpg", "video.mp4")
    assert httpx.get(tampered).status_code == 403


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/etc/passwd", "jobs/../../x", "jobs/./x", "a//b", "", "a\\b"]
)
def test_keys_cannot_leave_the_store(store, key):
    with pytest.raises(InputError, match="invalid storage key"):
        store.exists(key)
