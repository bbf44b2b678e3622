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

from reelforge.errors import ReelforgeError
from reelforge.pipeline import RenderResult, render
from reelforge.storyboard import OutputSpec, Storyboard, VoiceSpec, load_storyboard

app = typer.Typer(add_completion=False, no_args_is_help=True, help="reelforge: AI video production studio.")
console = Console(stderr=True)
EXAMPLE = Path(__file__).parent / "examples" / "demo.yaml"

Output = Annotated[Path, typer.Option("--output", "-o", help="Folder for the video and its files.")]
Jobs = Annotated[int, typer.Option(help="Segments encoded at once.")]


def _fail(exc: ReelforgeError) -> None:
    console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _render(board: Storyboard, out: Path, jobs: int) -> RenderResult:
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

        result = render(board, out, jobs=jobs, progress=progress)
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
def render_cmd(storyboard: Path, output: Output = Path("out"), jobs: Jobs = 2) -> None:
    """Render a storyboard (YAML or JSON) to a finished video."""
    try:
        _render(load_storyboard(storyboard), output, jobs)
    except ReelforgeError as exc:
        _fail(exc)


@app.command()
def make(
    script: Annotated[str, typer.Option(help="Narration text; split into 3-8 s scenes.")],
    output: Output = Path("out"),
    aspect: Annotated[str, typer.Option(help="9:16, 16:9 or 1:1")] = "9:16",
    model: Annotated[str, typer.Option(help="Video model for every scene.")] = "motion",
    title: Annotated[str, typer.Option(help="Title (default: the first sentence).")] = "",
    language: Annotated[str, typer.Option(help="Voice language (default: guessed from the script).")] = "",
    resolution: Annotated[int, typer.Option(help="Short side of the frame in pixels.")] = 1080,
    quality: Annotated[str, typer.Option(help="low, medium, high or ultra")] = "medium",
    jobs: Jobs = 2,
) -> None:
    """Make a video from narration text alone."""
    from reelforge.plan.script import guess_language, storyboard_from_script

    try:
        voice = VoiceSpec(language=language or guess_language(script))
        spec = OutputSpec(aspect=aspect, resolution=resolution, quality=quality)
        board = storyboard_from_script(script, model=model, output=spec, title=title, voice=voice)
        console.print(f"{len(board.scenes)} scenes from the script")
        _render(board, output, jobs)
    except ReelforgeError as exc:
        _fail(exc)
    except ValidationError as exc:  # the options, checked by the storyboard models
        first = exc.errors()[0]
        option = str(first["loc"][-1]) if first["loc"] else "options"
        message = first["msg"].removeprefix("Value error, ")
        _fail(ReelforgeError(f"--{option}: {message} (got {first['input']!r})"))


@app.command()
def demo(output: Output = Path("out/demo"), jobs: Jobs = 2) -> None:
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
