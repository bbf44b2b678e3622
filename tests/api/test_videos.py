"""The video API over a real server: submit, follow live progress, fetch and seek the files, credits."""

from __future__ import annotations

import json

import httpx

from tests.api.conftest import board, finished
from tests.conftest import ffprobe
from tests.jobs.servers import wait_for


def sse(client: httpx.Client, path: str) -> list[tuple[str, dict]]:
    """Every (event, data) of a Server-Sent Events stream, read until the server ends it."""
    events, name = [], None
    with client.stream("GET", path, timeout=60) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        for line in answer.iter_lines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                events.append((name, json.loads(line.removeprefix("data:").strip())))
    return events


def test_generate_follow_progress_and_fetch_every_file(server, tmp_path):
    api = server.client(credits=3)
    answer = api.post("/api/v1/videos/generate", json={"storyboard": board("Rivers carve stone.", "Slowly.")})
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["status"] in ("queued", "running") and job["credits_charged"] == 1
    assert [s["name"] for s in job["stages"]] == ["voice", "clips", "edit", "join", "thumbnail", "store"]
    assert api.get("/api/v1/account").json()["credits"] == 2  # charged when queued

    events = sse(api, f"/api/v1/videos/jobs/{job['id']}/events")
    progress = [data for name, data in events if name == "progress"]
    assert events[-1] == ("end", {"status": "succeeded"})
    percents = [p["percent"] for p in progress]
    assert percents == sorted(percents) and percents[-1] == 100 and len(progress) >= 2
    assert {p["current_stage"] for p in progress} - {None} <= {
        "voice",
        "clips",
        "edit",
        "join",
        "thumbnail",
        "store",
    }

    status = api.get(f"/api/v1/videos/jobs/{job['id']}/status").json()
    assert status["files"] == ["captions.srt", "captions.vtt", "metadata.json", "thumbnail.jpg", "video.mp4"]
    assert all(s["done"] == s["total"] > 0 for s in status["stages"]), status["stages"]

    whole = api.get(f"/api/v1/videos/jobs/{job['id']}/download")
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
    assert "attachment" in whole.headers["content-disposition"]
    video = tmp_path / "v.mp4"
    video.write_bytes(whole.content)
    info = ffprobe(video)
    assert abs(float(info["format"]["duration"]) - status["duration"]) < 0.1
    assert {(s["codec_name"], s.get("width")) for s in info["streams"]} == {("h264", 240), ("aac", None)}

    size = len(whole.content)
    part = api.get(f"/api/v1/videos/jobs/{job['id']}/stream", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == whole.content[100:1100]
    tail = api.get(f"/api/v1/videos/jobs/{job['id']}/stream", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == whole.content[-500:]
    beyond = api.get(f"/api/v1/videos/jobs/{job['id']}/stream", headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"

    thumb = api.get(f"/api/v1/videos/jobs/{job['id']}/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"
    srt = api.get(f"/api/v1/videos/jobs/{job['id']}/captions.srt").text
    vtt = api.get(f"/api/v1/videos/jobs/{job['id']}/captions.vtt").text
    assert "Rivers carve" in srt and "-->" in srt and vtt.startswith("WEBVTT") and "Slowly." in vtt
    meta = api.get(f"/api/v1/videos/jobs/{job['id']}/metadata").json()
    assert meta["resolution"] == "240x426" and len(meta["scenes"]) == 2

    # A signed link plays without the key (a <video> element sends none), and only with a valid signature.
    link = api.get(f"/api/v1/videos/jobs/{job['id']}/video-url").json()
    played = httpx.get(link["url"], headers={"Range": "bytes=0-99"})
    assert played.status_code == 206 and played.content == whole.content[:100]
    assert httpx.get(link["url"][:-4] + "0000").status_code == 401


def test_list_is_paged_newest_first_and_filtered(server):
    api = server.client(credits=5)
    # The same storyboard three times: the second and third jobs reuse the first one's stages.
    ids = [
        api.post(
            "/api/v1/videos/generate", json={"storyboard": board("Rivers carve stone.", "Slowly.")}
        ).json()["id"]
        for _ in range(3)
    ]
    for job_id in ids:
        finished(api, job_id)
    page = api.get("/api/v1/videos/jobs", params={"limit": 2}).json()
    assert page["total"] == 3 and [j["id"] for j in page["jobs"]] == ids[::-1][:2]
    rest = api.get("/api/v1/videos/jobs", params={"limit": 2, "offset": 2}).json()
    assert [j["id"] for j in rest["jobs"]] == ids[:1]
    assert api.get("/api/v1/videos/jobs", params={"status": "failed"}).json()["total"] == 0
    assert api.get("/api/v1/videos/jobs", params={"status": "succeeded"}).json()["total"] == 3


def test_a_short_balance_is_refused_with_402(server):
    api = server.client(credits=0)
    answer = api.post("/api/v1/videos/generate", json={"script": "Hello there."})
    assert answer.status_code == 402
    assert answer.json()["error"]["code"] == "insufficient_credits"
    assert "costs 1 credits and the balance is 0" in answer.json()["error"]["message"]
    assert api.get("/api/v1/videos/jobs").json()["total"] == 0


def test_a_failed_job_is_refunded_and_says_why(server):
    api = server.client(credits=1)
    job = api.post(
        "/api/v1/videos/generate", json={"storyboard": board("fail here|It fails.", model="gated")}
    )
    assert job.status_code == 202
    done = finished(api, job.json()["id"])
    assert done["status"] == "failed" and "test model refused" in done["error"]
    assert done["credits_charged"] == 0 and api.get("/api/v1/account").json()["credits"] == 1
    ledger = [(e.delta, e.reason) for e in server.store.ledger(api.user_id)]
    assert ledger == [(1, "grant"), (-1, "charge"), (1, "refund")]
    missing = api.get(f"/api/v1/videos/jobs/{done['id']}/download")
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "not_ready"


def test_cancel_refunds_and_retry_reuses_finished_stages(server):
    api = server.client(credits=2)
    job = api.post(
        "/api/v1/videos/generate",
        json={"storyboard": board("ready scene|One.", "wait scene|Two.", model="gated")},
    ).json()
    calls = server.gate / "calls.log"
    wait_for(lambda: calls.exists() and "start wait scene" in calls.read_text(), 60, "the blocked clip")
    cancelled = api.post(f"/api/v1/videos/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.get("/api/v1/account").json()["credits"] == 2
    again = api.post(f"/api/v1/videos/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    (server.gate / "open").touch()  # the blocked clip finishes; the job notices the cancel and stops
    wait_for(lambda: calls.read_text().count("done wait scene") == 1, 60, "the released clip")
    retried = api.post(f"/api/v1/videos/jobs/{job['id']}/retry")
    assert retried.status_code == 200 and retried.json()["attempt"] == 2
    done = finished(api, job["id"])
    assert done["status"] == "succeeded", done["error"]
    # Everything the cancelled attempt finished (both voices, both clips) was reused, nothing made twice.
    assert done["reused"]["voice"] == {"ran": 0, "reused": 2}
    clips = {k: v for k, v in done["reused"].items() if k.startswith("clip")}
    assert sum(v["ran"] for v in clips.values()) == 0 and sum(v["reused"] for v in clips.values()) == 2
    assert calls.read_text().count("start ready scene") == 1
    assert api.get("/api/v1/account").json()["credits"] == 1
    (server.gate / "open").unlink()


def test_editing_one_scene_re_renders_only_that_scene(sqlite_server):
    server = sqlite_server
    api = server.client(credits=2)
    job = api.post(
        "/api/v1/videos/generate", json={"storyboard": board("Rivers carve stone.", "Slowly.")}
    ).json()
    first = finished(api, job["id"])
    assert first["status"] == "succeeded"
    edit = {"scenes": [{"index": 1, "narration": "A different second scene."}]}
    answer = api.patch(f"/api/v1/videos/jobs/{job['id']}/storyboard", json=edit)
    assert answer.status_code == 200 and answer.json()["status"] == "queued"
    done = finished(api, job["id"])
    assert done["status"] == "succeeded"
    assert done["reused"]["voice"] == {"ran": 1, "reused": 1}
    clips = {k: v for k, v in done["reused"].items() if k.startswith("clip")}
    assert sum(v["ran"] for v in clips.values()) == 1 and sum(v["reused"] for v in clips.values()) == 1
    srt = api.get(f"/api/v1/videos/jobs/{job['id']}/captions.srt").text
    assert "different" in srt
    bad = api.patch(
        f"/api/v1/videos/jobs/{job['id']}/storyboard", json={"scenes": [{"index": 7, "narration": "x"}]}
    )
    assert bad.status_code == 422 and "no scene 7" in bad.json()["error"]["message"]


def test_batch_queues_one_job_per_item(sqlite_server):
    server = sqlite_server
    api = server.client(credits=2)
    script = {"script": "Cats sleep a lot.", "resolution": 240, "quality": "low", "music": "none"}
    plain = {"storyboard": board("Slowly."), "thumbnail": False, "subtitles": False}
    answer = api.post("/api/v1/videos/batch", json={"items": [script, plain]})
    assert answer.status_code == 202, answer.text
    batch = answer.json()
    assert len(batch["jobs"]) == 2 and {j["batch_id"] for j in batch["jobs"]} == {batch["batch_id"]}
    done = [finished(api, job["id"]) for job in batch["jobs"]]
    assert [job["status"] for job in done] == ["succeeded", "succeeded"]
    # The script was split into scenes and rendered at the size asked for; the second has no thumbnail.
    assert api.get(f"/api/v1/videos/jobs/{done[0]['id']}/metadata").json()["resolution"] == "240x426"
    assert "thumbnail.jpg" in done[0]["files"] and "thumbnail.jpg" not in done[1]["files"]
    assert api.get(f"/api/v1/videos/jobs/{done[1]['id']}/thumbnail").status_code == 409
    assert api.get(f"/api/v1/videos/jobs/{done[1]['id']}/metadata").json()["captions"]["burned"] is False
    listed = api.get("/api/v1/videos/jobs", params={"batch_id": batch["batch_id"]}).json()
    assert listed["total"] == 2
    short = server.client(credits=1).post("/api/v1/videos/batch", json={"items": [script, script]})
    assert short.status_code == 402  # all or nothing


def test_models_and_health(sqlite_server):
    server = sqlite_server
    models = {m["id"]: m for m in httpx.get(f"{server.url}/api/v1/models").json()}
    assert models["motion"]["available"] is True and models["gated"]["category"] == "offline"
    health = httpx.get(f"{server.url}/api/v1/health").json()
    assert health["status"] == "ok" and health["database"] in ("sqlite", "postgresql")


def test_higher_priority_jobs_start_first(sqlite_server):
    server = sqlite_server
    api = server.client(credits=4)
    # A worker runs GPU slots + 1 jobs at once: one holds the GPU (its clip waits for the gate), the other
    # waits for the slot, so nothing else can start until the gate opens.
    blocker = api.post(
        "/api/v1/videos/generate", json={"storyboard": board("wait a moment|Hold.", model="gated")}
    ).json()
    calls = server.gate / "calls.log"
    wait_for(lambda: calls.exists() and "start wait a moment" in calls.read_text(), 60, "the blocking job")
    second = api.post(
        "/api/v1/videos/generate", json={"storyboard": board("queued behind|Behind.", model="gated")}
    ).json()
    status = f"/api/v1/videos/jobs/{second['id']}/status"
    wait_for(lambda: api.get(status).json()["current_stage"] == "clips", 60, "the job waiting for the GPU")
    same = {"storyboard": board("Rivers carve stone.", "Slowly.")}  # rendered before: reused, so quick
    low = api.post("/api/v1/videos/generate", json={**same, "priority": "low"}).json()
    high = api.post("/api/v1/videos/generate", json={**same, "priority": "high"}).json()
    (server.gate / "open").touch()
    try:
        done = {job["id"]: finished(api, job["id"]) for job in (blocker, second, low, high)}
    finally:
        (server.gate / "open").unlink()
    assert all(job["status"] == "succeeded" for job in done.values())
    assert done[high["id"]]["started_at"] < done[low["id"]]["started_at"]  # queued later, started first
    first_free = min(done[job["id"]]["finished_at"] for job in (blocker, second))
    assert first_free <= done[high["id"]]["started_at"]  # slots + 1 jobs at a time
