"""The `reelforge` command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from reelforge.errors import InputError, ReelforgeError
from reelforge.pipeline import RenderResult, render
from reelforge.plan.metadata import PublishMetadata
from reelforge.plan.planner import PlanOptions
from reelforge.storyboard import OutputSpec, Storyboard, VoiceSpec, load_storyboard

app = typer.Typer(add_completion=False, no_args_is_help=True, help="reelforge: AI video production studio.")
console = Console(stderr=True)
EXAMPLE = Path(__file__).parent / "examples" / "demo.yaml"

Output = Annotated[Path, typer.Option("--output", "-o", help="Folder for the video and its files.")]
Jobs = Annotated[
    int | None, typer.Option(help="Segments encoded at once; default: CPU cores + 1.", show_default=False)
]


def _fail(exc: ReelforgeError) -> None:
    console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _render(
    board: Storyboard, out: Path, jobs: int | None, publish: PublishMetadata | None = None
) -> RenderResult:
    stages = ("voice", "clips", "edit", "join", "thumbnail")
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=not sys.stderr.isatty(),
    ) as bar:
        tasks = {name: bar.add_task(name, total=None) for name in stages}

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(tasks[stage], completed=done, total=total)

        result = render(board, out, jobs=jobs, progress=progress, publish=publish)
    console.print(f"[green]done:[/] {result.duration:.2f} s video")
    for label, path in (
        ("video", result.video),
        ("thumbnail", result.thumbnail),
        ("captions", result.srt),
        ("", result.vtt),
        ("metadata", result.metadata),
    ):
        console.print(f"  {label:<10} {path}", highlight=False)
    return result


@app.command("render")
def render_cmd(storyboard: Path, output: Output = Path("out"), jobs: Jobs = None) -> None:
    """Render a storyboard (YAML or JSON) to a finished video."""
    try:
        _render(load_storyboard(storyboard), output, jobs)
    except ReelforgeError as exc:
        _fail(exc)


@app.command()
def make(
    script: Annotated[str, typer.Option(help="Narration text; split into 3-8 s scenes.")] = "",
    topic: Annotated[str, typer.Option(help="What the video is about: an LLM plans the scenes.")] = "",
    context: Annotated[str, typer.Option(help="With --topic: audience, angle, facts to include.")] = "",
    reference: Annotated[
        list[Path] | None, typer.Option(help="With --topic: a .txt/.md/.pdf to cite (repeatable).")
    ] = None,
    seconds: Annotated[int, typer.Option(help="With --topic: target length in seconds.")] = 45,
    output: Output = Path("out"),
    aspect: Annotated[str, typer.Option(help="9:16, 16:9 or 1:1")] = "9:16",
    model: Annotated[str, typer.Option(help="Video model for every scene.")] = "motion",
    title: Annotated[str, typer.Option(help="Title (default: the first sentence).")] = "",
    language: Annotated[str, typer.Option(help="Voice language (default: guessed from the script).")] = "",
    resolution: Annotated[int, typer.Option(help="Short side of the frame in pixels.")] = 1080,
    quality: Annotated[str, typer.Option(help="low, medium, high or ultra")] = "medium",
    jobs: Jobs = None,
) -> None:
    """Make a video from narration text (--script) or from a topic an LLM plans (--topic)."""
    from reelforge.plan.script import guess_language, storyboard_from_script

    try:
        if bool(script.strip()) == bool(topic.strip()):
            raise InputError("give either --script TEXT (the narration) or --topic TEXT (an LLM plans it)")
        voice = VoiceSpec(language=language or guess_language(script or topic))
        spec = OutputSpec(aspect=aspect, resolution=resolution, quality=quality)
        if topic:
            options = PlanOptions(model=model, output=spec, voice=voice, seconds=seconds, title=title)
            board, publish = _plan(topic, context, reference or [], options, output)
        else:
            board = storyboard_from_script(script, model=model, output=spec, title=title, voice=voice)
            console.print(f"{len(board.scenes)} scenes from the script")
            publish = None
        _render(board, output, jobs, publish)
    except ReelforgeError as exc:
        _fail(exc)
    except ValidationError as exc:  # the options, checked by the storyboard models
        _bad_option(exc)


def _bad_option(exc: ValidationError) -> None:
    first = exc.errors()[0]
    option = str(first["loc"][-1]) if first["loc"] else "options"
    message = first["msg"].removeprefix("Value error, ")
    _fail(ReelforgeError(f"--{option.replace('_', '-')}: {message} (got {first['input']!r})"))


def _plan(
    topic: str, context: str, references: list[Path], options: PlanOptions, out: Path
) -> tuple[Storyboard, PublishMetadata]:
    """Topic mode: the LLM plans the storyboard and writes the posting metadata. The plan is saved before
    rendering (out/storyboard.yaml, and the passages it cites in out/sources.json), so a failed render can be
    run again with `reelforge render` without planning again."""
    import json

    from reelforge.plan.llm import LLMClient
    from reelforge.plan.metadata import write_metadata
    from reelforge.plan.planner import plan_storyboard

    client = LLMClient.from_settings()
    planned = plan_storyboard(topic, options, context=context, references=references, client=client)
    board = planned.storyboard
    cited = sorted({s for scene in board.scenes for s in scene.sources})
    console.print(
        f"{len(board.scenes)} scenes planned by {client.label}"
        + (f", citing {', '.join(cited)}" if cited else ""),
        highlight=False,
    )
    publish = write_metadata(board, client)
    try:
        out.mkdir(parents=True, exist_ok=True)
        _save_storyboard(board, out / "storyboard.yaml")
        if planned.passages:
            passages = [p.model_dump() for p in planned.passages]
            (out / "sources.json").write_text(
                json.dumps(passages, indent=2, ensure_ascii=False), encoding="utf-8"
            )
    except OSError as exc:
        raise InputError(
            f"{out}: cannot write the output folder ({exc.strerror}): choose another -o"
        ) from None
    return board, publish


def _save_storyboard(board: Storyboard, path: Path) -> None:
    import yaml

    data = board.model_dump(mode="json", exclude_defaults=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    console.print(f"  {'storyboard':<10} {path}", highlight=False)


@app.command()
def demo(output: Output = Path("out/demo"), jobs: Jobs = None) -> None:
    """Render the bundled example storyboard."""
    try:
        _render(load_storyboard(EXAMPLE), output, jobs)
    except ReelforgeError as exc:
        _fail(exc)


@app.command()
def doctor() -> None:
    """Say which tools, engines and models are available here and what each one unlocks."""
    from reelforge.doctor import checks

    table = Table("", "component", "status", "unlocks")
    missing = 0
    for check in checks():
        missing += not check.ok and check.required
        mark = "[green]ok[/]" if check.ok else ("[red]missing[/]" if check.required else "[yellow]off[/]")
        table.add_row(mark, check.name, check.detail, check.unlocks)
    Console().print(table)
    if missing:
        raise typer.Exit(1)


@app.command()
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
) -> None:
    """List the video models: what each makes and costs, and whether it runs here (--json adds chains)."""
    import json

    from reelforge.config import settings
    from reelforge.generate.catalogue import listing, skipped_modules
    from reelforge.generate.coordinator import default_chain, parse_chains

    try:
        chains = parse_chains(settings().chains)
        entries = [(m, chains.get(m.info.id) or default_chain(m.info.id)) for m in listing()]
    except ReelforgeError as exc:
        _fail(exc)
    if as_json:
        rows = [
            {**m.info.model_dump(), "available": m.available, "why": m.why, "chain": chain}
            for m, chain in entries
        ]
        typer.echo(json.dumps({"models": rows, "skipped_modules": skipped_modules()}, indent=2))
        return
    table = Table("id", "name", "category", "provider", "max s", "native", "$/s", "image", "available now")
    for m, _ in entries:
        info = m.info
        cost = _cost(info.cost_per_second)
        table.add_row(
            info.id, info.name, info.category, info.provider, f"{info.max_seconds:g}",
            f"{info.width}x{info.height}@{info.fps}", cost,
            "only" if not info.text_to_video else "yes" if info.image_to_video else info.image_model or "no",
            "[green]ready[/]" if m.available else f"[yellow]{m.why}[/]",
        )  # fmt: skip
    Console().print(table)
    for module, why in skipped_modules().items():
        console.print(f"[yellow]skipped[/] {module}: {why}", highlight=False)


def _cost(per_second: float | None) -> str:
    if per_second is None:
        return "?"
    return "free" if per_second == 0 else f"{per_second:g}"


# -- server: API, workers, users (needs `reelforge[server]`) -------------------------------------------------

users_app = typer.Typer(no_args_is_help=True, help="Users of the API and their credits.")
keys_app = typer.Typer(no_args_is_help=True, help="API keys (shown once, stored hashed).")
db_app = typer.Typer(no_args_is_help=True, help="The job database.")
Slots = Annotated[int, typer.Option(help="GPU slots: jobs making clips at once; default REELFORGE_GPU_SLOTS")]
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(db_app, name="db")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Also run jobs in this process.")] = True,
    slots: Slots = 0,
    executor_id: Annotated[str, typer.Option(help="Stable id: a restarted server resumes its jobs.")] = "",
) -> None:
    """Run the REST API (and, by default, a worker) under uvicorn."""
    import uvicorn

    from reelforge.api.app import create_app

    try:
        api = create_app(worker=worker, executor_id=executor_id or None, slots=slots or None)
        uvicorn.run(
            api, host=host, port=port, log_level="warning", timeout_keep_alive=30, timeout_graceful_shutdown=5
        )
    except ReelforgeError as exc:
        _fail(exc)


@app.command("worker")
def worker_cmd(
    executor_id: Annotated[str, typer.Option("--id", help="Stable id: a restart resumes its jobs.")] = "",
    slots: Slots = 0,
    take_over: Annotated[
        list[str] | None, typer.Option(help="Id of a dead worker: queue its started jobs again (repeatable).")
    ] = None,
) -> None:
    """Take jobs from the queue and run them until stopped."""
    from reelforge.config import settings
    from reelforge.jobs.worker import run_worker
    from reelforge.jobs.workflow import default_executor_id

    config = settings()
    try:
        run_worker(
            config,
            executor_id=executor_id or default_executor_id(),
            slots=slots or config.gpu_slots,
            take_over=take_over or (),
        )
    except ReelforgeError as exc:
        _fail(exc)


@users_app.command("create")
def users_create(
    name: str,
    credits: Annotated[int, typer.Option(help="Starting balance.")] = 0,
    admin: Annotated[bool, typer.Option(help="Sees every user's jobs.")] = False,
) -> None:
    """Create a user; prints its id."""
    from reelforge.jobs.store import open_store

    try:
        user = open_store().create_user(name, admin=admin, credits=credits)
    except ReelforgeError as exc:
        _fail(exc)
    typer.echo(user.id)


@users_app.command("credit")
def users_credit(user: str, credits: int) -> None:
    """Add (or with a negative number, take) credits; prints the new balance."""
    from reelforge.jobs.store import open_store

    try:
        typer.echo(open_store().grant(user, credits))
    except ReelforgeError as exc:
        _fail(exc)


@keys_app.command("create")
def keys_create(user: Annotated[str, typer.Argument(help="User name or id.")]) -> None:
    """Create an API key for a user; prints it (only this once)."""
    from reelforge.jobs.store import open_store

    try:
        typer.echo(open_store().create_key(user))
    except ReelforgeError as exc:
        _fail(exc)


@keys_app.command("list")
def keys_list(user: Annotated[str, typer.Argument(help="User name or id.")]) -> None:
    """List a user's keys: prefix, when it was made, and whether it is revoked."""
    from reelforge.jobs.store import open_store

    try:
        keys = open_store().keys(user)
    except ReelforgeError as exc:
        _fail(exc)
    for key in keys:
        state = "revoked" if key.revoked else "active"
        typer.echo(f"{key.prefix}  {key.created_at:%Y-%m-%d %H:%M}  {state}")


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[str, typer.Argument(help="The key's prefix (from `keys list`) or the whole key.")],
) -> None:
    """Revoke an API key: running servers refuse it within 30 s (they remember a checked key that long)."""
    from reelforge.jobs.store import open_store

    try:
        revoked = open_store().revoke_key(key)
    except ReelforgeError as exc:
        _fail(exc)
    typer.echo(f"revoked {revoked.prefix}")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the job database's tables (servers also do this when they start)."""
    from reelforge.jobs.store import open_store

    try:
        store = open_store()
    except ReelforgeError as exc:
        _fail(exc)
    console.print(f"[green]ok:[/] {store.engine.url.render_as_string(hide_password=True)}", highlight=False)


@app.command("chat")
def chat_cmd(
    message: Annotated[str, typer.Argument(help="What you ask (not needed with --models).")] = "",
    mode: Annotated[str, typer.Option(help="general, planner, editor or scripter")] = "general",
    storyboard: Annotated[Path | None, typer.Option(help="editor: the storyboard to edit.")] = None,
    save: Annotated[Path | None, typer.Option(help="planner/editor: save the storyboard (YAML).")] = None,
    llm_model: Annotated[str, typer.Option(help="LLM model (default: LLM_MODEL or the preset's).")] = "",
    model: Annotated[str, typer.Option(help="planner: video model for the scenes.")] = "motion",
    list_models: Annotated[bool, typer.Option("--models", help="List the models the LLM serves.")] = False,
) -> None:
    """Chat with the configured LLM: ideas (general), a storyboard (planner), edits to a storyboard
    (editor) or narration (scripter). Text answers stream to stdout; storyboards print as YAML."""
    from reelforge.plan.chat import STREAMING_MODES, ChatRequest, chat, chat_models, chat_stream

    try:
        if list_models:
            typer.echo("\n".join(chat_models()))
            return
        if not message.strip():
            raise InputError('say something: reelforge chat --mode MODE "MESSAGE"')
        board = load_storyboard(storyboard) if storyboard else None
        request = ChatRequest(
            mode=mode, messages=[{"role": "user", "content": message}], model=llm_model, storyboard=board,
            options=PlanOptions(model=model),
        )  # fmt: skip
        if request.mode in STREAMING_MODES:
            for piece in chat_stream(request):
                typer.echo(piece, nl=False)
            typer.echo()
            return
        reply = chat(request)
        console.print(reply.text, highlight=False)
        for edit in reply.edits:
            console.print(f"  {edit.op} {edit.from_ + ' -> ' if edit.from_ else ''}{edit.path}"
                          + (f": {edit.value}" if edit.value else ""), highlight=False)  # fmt: skip
        if reply.storyboard is not None:
            if save:
                _save_storyboard(reply.storyboard, save)
            else:
                import yaml

                data = reply.storyboard.model_dump(mode="json", exclude_defaults=True)
                typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    except ReelforgeError as exc:
        _fail(exc)
    except ValidationError as exc:
        _bad_option(exc)
