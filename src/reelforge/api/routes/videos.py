"""Videos: submit (one or a batch), list, status, live progress (SSE), files, cancel, retry, edit."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import ValidationError
from sse_starlette import EventSourceResponse

from reelforge.api import signing
from reelforge.api.auth import CurrentUser, current_user
from reelforge.api.errors import ERROR_RESPONSES, ApiError, ErrorBody
from reelforge.api.schemas import BatchOut, BatchRequest, JobOut, JobPage, Status, StoryboardEdit, VideoUrl
from reelforge.errors import InputError
from reelforge.generate.catalogue import get_info
from reelforge.jobs import workflow
from reelforge.jobs.models import Job, User
from reelforge.jobs.requests import VideoRequest, build_storyboard, checked
from reelforge.jobs.store import credits_for
from reelforge.jobs.urls import check_public_url
from reelforge.storyboard import Storyboard

router = APIRouter(prefix="/videos", tags=["videos"], responses=ERROR_RESPONSES)
_ID = re.compile(r"^[0-9a-f]{32}$")
_FILE_TYPES = {
    "video.mp4": "video/mp4",
    "thumbnail.jpg": "image/jpeg",
    "captions.srt": "application/x-subrip",
    "captions.vtt": "text/vtt",
    "metadata.json": "application/json",
}
_LINK_SECONDS = 3600
_PAYMENT = {402: {"model": ErrorBody, "description": "the balance does not cover the video"}}
_CONFLICT = {409: {"model": ErrorBody, "description": "not possible in the job's current state"}}
_FILE_ERRORS = {
    **_CONFLICT,
    416: {"model": ErrorBody, "description": "range not satisfiable"},
    400: {"model": ErrorBody, "description": "malformed Range header"},
}


def _owned(request: Request, job_id: str, user: User) -> Job:
    """The caller's job; 404 for another user's job as for a missing one, so ids reveal nothing."""
    job = request.app.state.store.job(job_id, user) if _ID.match(job_id) else None
    if job is None:
        raise ApiError(404, f"no job {job_id[:40]!r} among yours")
    return job


def _item(request: Request, body: VideoRequest) -> dict[str, Any]:
    settings = request.app.state.settings
    board = build_storyboard(body)
    if body.callback_url:
        check_public_url(body.callback_url, allow_private=settings.allow_private_urls)
    for scene in board.scenes:
        get_info(board.model_for(scene))  # an unknown model is refused now, not after the job is queued
    model, quality = board.model or "motion", board.output.quality
    return {
        "request": body.model_dump(mode="json"),
        "storyboard": board.model_dump(mode="json"),
        "model": model,
        "quality": quality,
        "priority": body.priority,
        "callback_url": body.callback_url,
        "credits": credits_for(settings, model, quality),
    }


def _enqueue(jobs: list[Job]) -> None:
    for job in jobs:
        workflow.enqueue(job.id, job.attempt, job.priority)


@router.post("/generate", status_code=202, response_model=JobOut, responses=_PAYMENT)
def generate(request: Request, body: VideoRequest, user: CurrentUser) -> JobOut:
    """Queue one video; the credits it costs are taken now and given back if it fails or is cancelled."""
    (job,) = request.app.state.store.create_jobs(user, [_item(request, body)])
    _enqueue([job])
    return JobOut.of(job)


@router.post("/batch", status_code=202, response_model=BatchOut, responses=_PAYMENT)
def batch(request: Request, body: BatchRequest, user: CurrentUser) -> BatchOut:
    """Queue several videos as one batch (one job each); all are paid for at once, or none is queued."""
    items = []
    for index, item in enumerate(body.items):
        try:
            items.append(_item(request, item))
        except InputError as exc:
            raise InputError(f"items[{index}]: {exc}") from None
    jobs = request.app.state.store.create_jobs(user, items, batch=True)
    _enqueue(jobs)
    return BatchOut(batch_id=jobs[0].batch_id or "", jobs=[JobOut.of(j) for j in jobs])


@router.get("/jobs", response_model=JobPage)
def jobs(
    request: Request,
    user: CurrentUser,
    status: Status | None = None,
    batch_id: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JobPage:
    """Your jobs, newest first."""
    rows, total = request.app.state.store.jobs(
        user, status=status, batch_id=batch_id, limit=limit, offset=offset
    )
    return JobPage(jobs=[JobOut.of(j) for j in rows], total=total, limit=limit, offset=offset)


@router.get("/jobs/{job_id}/status", response_model=JobOut)
def status(request: Request, job_id: str, user: CurrentUser) -> JobOut:
    return JobOut.of(_owned(request, job_id, user))


@router.get(
    "/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "progress events"}},
)
async def events(request: Request, job_id: str, user: CurrentUser) -> EventSourceResponse:
    """Server-Sent Events: a `progress` event (the job's status as JSON) whenever it changes, then `end`."""
    await run_in_threadpool(_owned, request, job_id, user)
    hub = request.app.state.progress

    async def stream() -> AsyncIterator[dict[str, str]]:
        async for body, finished in hub.follow(job_id):
            yield {"event": "progress", "data": body}
            if finished:
                status = json.loads(body)["status"]
                yield {"event": "end", "data": json.dumps({"status": status})}

    return EventSourceResponse(stream(), ping=15)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, responses=_CONFLICT)
def cancel(request: Request, job_id: str, user: CurrentUser) -> JobOut:
    """Stop a queued or running job and refund its credits."""
    _owned(request, job_id, user)
    try:
        return JobOut.of(request.app.state.store.cancel(job_id))
    except InputError as exc:
        raise ApiError(409, str(exc)) from None


@router.post("/jobs/{job_id}/retry", response_model=JobOut, responses={**_CONFLICT, **_PAYMENT})
def retry(request: Request, job_id: str, user: CurrentUser) -> JobOut:
    """Run a failed or cancelled job again; every stage it had finished is reused."""
    job = _owned(request, job_id, user)
    if job.status == "succeeded":
        raise ApiError(409, f"job {job_id} succeeded: nothing to retry (edit its storyboard to change it)")
    return _requeue(request, job, None)


@router.patch("/jobs/{job_id}/storyboard", response_model=JobOut, responses={**_CONFLICT, **_PAYMENT})
def edit_storyboard(request: Request, job_id: str, body: StoryboardEdit, user: CurrentUser) -> JobOut:
    """Change scenes of a finished job and render it again: only what the edit touches is made again."""
    job = _owned(request, job_id, user)
    data = json.loads(json.dumps(job.storyboard))
    if body.title is not None:
        data["title"] = body.title
    for edit in body.scenes:
        if edit.index >= len(data["scenes"]):
            raise ApiError(422, f"scenes: no scene {edit.index} (the storyboard has {len(data['scenes'])})")
        data["scenes"][edit.index].update(edit.model_dump(exclude={"index"}, exclude_none=True))
    try:
        board = checked(Storyboard.model_validate(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ApiError(422, f"storyboard.{where}: {first['msg']}") from None
    return _requeue(request, job, board.model_dump(mode="json"))


def _requeue(request: Request, job: Job, storyboard: dict[str, Any] | None) -> JobOut:
    settings = request.app.state.settings
    try:
        again = request.app.state.store.requeue(
            job.id, storyboard, credits_for(settings, job.model, job.quality)
        )
    except InputError as exc:
        raise ApiError(409, str(exc)) from None
    _enqueue([again])
    return JobOut.of(again)


@router.get("/jobs/{job_id}/video-url", response_model=VideoUrl, responses=_CONFLICT)
def video_url(request: Request, job_id: str, user: CurrentUser) -> VideoUrl:
    """A link a player can open without the API key: presigned on S3, else a signed stream link, 1 hour."""
    job = _owned(request, job_id, user)
    key = _artifact(job, "video.mp4")
    url = request.app.state.storage.url(key, expires=_LINK_SECONDS)
    if url is None:
        token = signing.sign(request.app.state.signing_key, job.id, _LINK_SECONDS)
        url = str(request.url_for("stream", job_id=job.id).include_query_params(token=token))
    return VideoUrl(url=url, expires_in=_LINK_SECONDS)


def _artifact(job: Job, name: str) -> str:
    if job.status != "succeeded" or name not in job.artifacts:
        raise ApiError(409, f"job {job.id} has no {name} (status: {job.status})", "not_ready")
    return job.artifacts[name]


def _viewer(request: Request, job_id: str, token: str | None) -> Job:
    """The job for a file route: by a signed link's token, else by the caller's API key."""
    if token and _ID.match(job_id) and signing.verify(request.app.state.signing_key, job_id, token):
        job = request.app.state.store.job(job_id)
        if job is not None:
            return job
    user = current_user(request, _bearer_of(request), request.headers.get("x-api-key"))
    return _owned(request, job_id, user)


def _bearer_of(request: Request) -> Any:
    from fastapi.security import HTTPAuthorizationCredentials

    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials:
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)


def _file(request: Request, job_id: str, name: str, token: str | None, *, attachment: bool) -> Response:
    job = _viewer(request, job_id, token)
    key = _artifact(job, name)
    storage = request.app.state.storage
    filename = f"{job.id}-{name}" if attachment else None
    path = storage.local_path(key)
    if path is None:
        return RedirectResponse(storage.url(key, expires=300, filename=filename), status_code=307)
    _check_range(request.headers.get("range"), path.stat().st_size)
    return FileResponse(
        path,
        media_type=_FILE_TYPES[name],
        filename=filename,
        content_disposition_type="attachment" if attachment else "inline",
    )


def _check_range(header: str | None, size: int) -> None:
    """400 for a malformed Range header, 416 when no range overlaps the file (in the JSON error shape)."""
    if not header:
        return
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or not spec.strip():
        raise ApiError(400, f"malformed Range header {header[:60]!r}: use bytes=START-END", "invalid_range")
    for part in spec.split(","):
        start, dash, end = part.strip().partition("-")
        if (
            not dash
            or not (start or end)
            or not (start.isdigit() or not start)
            or not (end.isdigit() or not end)
        ):
            raise ApiError(
                400, f"malformed Range header {header[:60]!r}: use bytes=START-END", "invalid_range"
            )
        if start and end and int(end) < int(start):
            raise ApiError(400, f"malformed Range header {header[:60]!r}: END before START", "invalid_range")
        if (start and int(start) < size) or (not start and int(end) > 0):
            return
    raise ApiError(
        416,
        f"range {spec[:60]!r} is outside the file ({size} bytes)",
        headers={"Content-Range": f"bytes */{size}"},
    )


Token = Annotated[str | None, Query(max_length=200, description="a signed link's token (from video-url)")]
_MEDIA = {
    200: {"content": {"video/mp4": {}}},
    206: {"description": "partial content"},
    307: {"description": "to S3"},
}


@router.get(
    "/jobs/{job_id}/stream", name="stream", response_class=Response, responses={**_FILE_ERRORS, **_MEDIA}
)
def stream(request: Request, job_id: str, token: Token = None) -> Response:
    """The video for a player: seekable (HTTP Range, 206 Partial Content)."""
    return _file(request, job_id, "video.mp4", token, attachment=False)


@router.get("/jobs/{job_id}/download", response_class=Response, responses={**_FILE_ERRORS, **_MEDIA})
def download(request: Request, job_id: str, token: Token = None) -> Response:
    """The video as a file download."""
    return _file(request, job_id, "video.mp4", token, attachment=True)


@router.get(
    "/jobs/{job_id}/thumbnail",
    response_class=Response,
    responses={**_FILE_ERRORS, 200: {"content": {"image/jpeg": {}}}},
)
def thumbnail(request: Request, job_id: str, token: Token = None) -> Response:
    return _file(request, job_id, "thumbnail.jpg", token, attachment=False)


@router.get(
    "/jobs/{job_id}/captions.{fmt}",
    response_class=Response,
    responses={**_FILE_ERRORS, 200: {"content": {"text/vtt": {}, "application/x-subrip": {}}}},
)
def captions(request: Request, job_id: str, fmt: Literal["srt", "vtt"], token: Token = None) -> Response:
    return _file(request, job_id, f"captions.{fmt}", token, attachment=False)


@router.get("/jobs/{job_id}/metadata", response_model=dict[str, Any], responses=_CONFLICT)
def metadata(request: Request, job_id: str, user: CurrentUser) -> dict[str, Any]:
    """The finished video's metadata.json (models, timings, loudness, scenes)."""
    job = _owned(request, job_id, user)
    return json.loads(request.app.state.storage.read(_artifact(job, "metadata.json")))
