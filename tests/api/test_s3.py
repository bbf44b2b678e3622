"""Finished files in S3-compatible storage (moto's server): stored per job, served by presigned URLs."""

from __future__ import annotations

import os

import boto3
import httpx
import pytest

from tests.api.conftest import board, finished, start_server
from tests.jobs.servers import moto_s3

AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    with moto_s3() as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            **{k.lower(): v for k, v in AWS.items() if k != "AWS_DEFAULT_REGION"},
            region_name="us-east-1",
        )
        s3.create_bucket(Bucket="videos")
        folder = tmp_path_factory.mktemp("s3server")
        for server in start_server(
            folder,
            f"sqlite:///{folder / 'jobs.db'}",
            REELFORGE_STORAGE_URL="s3://videos/rf",
            REELFORGE_S3_ENDPOINT_URL=endpoint,
            **AWS,
        ):
            yield server, s3


def test_files_live_in_the_bucket_and_download_by_presigned_url(s3_server):
    server, s3 = s3_server
    api = server.client()
    job = api.post("/api/v1/videos/generate", json={"storyboard": board("Stored in a bucket.")}).json()
    assert finished(api, job["id"])["status"] == "succeeded"
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="videos", Prefix=f"rf/jobs/{job['id']}/")["Contents"]}
    names = ("video.mp4", "thumbnail.jpg", "captions.srt", "captions.vtt", "metadata.json")
    assert keys == {f"rf/jobs/{job['id']}/{n}" for n in names}
    assert not os.path.exists(server.data / "artifacts")  # nothing kept on the server's disk
    stored = s3.get_object(Bucket="videos", Key=f"rf/jobs/{job['id']}/video.mp4")["Body"].read()

    link = api.get(f"/api/v1/videos/jobs/{job['id']}/video-url").json()
    assert "X-Amz-Signature=" in link["url"] and link["expires_in"] == 3600
    assert httpx.get(link["url"]).content == stored  # no key, no AWS credentials: the signature is enough

    redirect = api.get(f"/api/v1/videos/jobs/{job['id']}/download")
    assert redirect.status_code == 307
    download = httpx.get(redirect.headers["location"])
    assert download.content == stored and "attachment" in download.headers["content-disposition"]
    seek = httpx.get(
        api.get(f"/api/v1/videos/jobs/{job['id']}/stream").headers["location"],
        headers={"Range": "bytes=1000-1999"},
    )
    assert seek.status_code == 206 and seek.content == stored[1000:2000]
    meta = api.get(f"/api/v1/videos/jobs/{job['id']}/metadata").json()
    assert meta["resolution"] == "240x426"
    other = server.client()
    assert other.get(f"/api/v1/videos/jobs/{job['id']}/video-url").status_code == 404
