"""The episode contract: what the host asks a sandbox to record, and the defaults it is recorded with.

The lowest layer of the package (it imports nothing of it but `errors` and `appearance`): the host side (fleet,
station, backends) builds an `EpisodeSpec`, the sandbox side (`cleantrace.episode`) reads it.
The spec names no path inside a sandbox: each backend tells the episode where its folders are
(`SandboxPaths`). Every default that shapes a recording has one constant here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cleantrace.appearance import RANDOM_CHOICE, Appearance, Choice
from cleantrace.seeds import (  # noqa: F401 - re-exported: the seed streams are part of the contract
    SEED_CONSUMERS,
    SEED_DERIVATION,
    seed_for,
    seed_stream,
)

DEFAULT_SCREEN: tuple[int, int] = (1280, 800)
DEFAULT_FPS = 2.0  # interval frames per second (0: only on actions and changes)
DEFAULT_CHANGE_FPS = 5.0  # at most this many frames a second on a screen change (0: none)
DEFAULT_BACKEND = "local"
DEFAULT_PERSONA = "default"
DEFAULT_MOTION = "model"  # pointer paths from the movement model, or `library:<run folder>`
EPISODE_TIMEOUT_S = 120.0  # an episode's sandbox is killed after this long (`--timeout`)
VOLUNTEER_TIMEOUT_S = 1800.0  # a volunteer's episode at the station
HEARTBEAT_TIMEOUT_S = 15.0  # a station page silent this long has left
PROFILES = ("kiosk", "desktop")  # the sandbox a task runs in (Task.profile; docs/desktop.md)
DEFAULT_PROFILE = "kiosk"

class RecordingSettings(BaseModel):
    """Settings that shape the recorded data: every episode of a run shares them (kept in run.json)."""

    model_config = ConfigDict(frozen=True)

    screen: tuple[int, int] | None = None  # overrides each episode's drawn screen size (default look: DEFAULT_SCREEN)
    appearance: Choice = RANDOM_CHOICE  # the axes each episode's look is drawn within (cleantrace.appearance)
    fps: float = DEFAULT_FPS
    change_fps: float = DEFAULT_CHANGE_FPS
    backend: str = DEFAULT_BACKEND
    motion: str = DEFAULT_MOTION  # where pointer paths come from: the model or library:<run folder>
    frame_format: Literal["png", "webp"] = "png"  # how frames are stored (both lossless)


class ScriptPerformer(BaseModel):
    """The task's own `solve()`, acted out by the persona's motion model."""

    kind: Literal["script"] = "script"
    motion_library: str | None = None  # for motion library:RUN, RUN's movements saved by the runner (host file)


class VolunteerPerformer(BaseModel):
    """A consenting person at the station (a pseudonymous id, never a name) and what they consented to."""

    kind: Literal["volunteer"] = "volunteer"
    id: str
    consent_version: str
    consent_time: str
    control_dir: str = ""  # the host folder of the station's control and VNC sockets (the booth makes it)


class ReplayPerformer(BaseModel):
    """The recorded input of an earlier episode (`source`: its folder on the host), played again."""

    kind: Literal["replay"] = "replay"
    source: str


PerformerSpec = Annotated[ScriptPerformer | VolunteerPerformer | ReplayPerformer, Field(discriminator="kind")]


class EpisodeSpec(BaseModel):
    """Everything an episode needs to know; the same spec always gives the same episode."""

    run_id: str
    episode_id: str
    task: str
    seed: int
    persona: str = DEFAULT_PERSONA
    persona_params: dict[str, Any] | None = None  # a fitted persona's parameters, read from its file on the host
    tasks_dir: str  # the task packs on the host (a backend may mount them elsewhere inside)
    settings: RecordingSettings = RecordingSettings()
    performer: PerformerSpec = ScriptPerformer()
    appearance: Appearance = Appearance()  # this episode's look, drawn on the host from its seed
    profile: Literal["kiosk", "desktop"] = DEFAULT_PROFILE  # the task's sandbox profile (Task.profile)
    web_apps: tuple[str, ...] = ()  # desktop: the web apps served at http://<name>.test/ (Task.web_apps)
    keep_dir: str | None = None  # `tasks try --keep`: a host folder through which the browser stays reachable

    @property
    def screen(self) -> tuple[int, int]:
        return tuple(self.settings.screen) if self.settings.screen else self.appearance.screen

    @property
    def look(self) -> Appearance:
        """The appearance at the screen size the display really has."""
        return self.appearance.model_copy(update={"screen": self.screen})

    @property
    def backend(self) -> str:
        return self.settings.backend


class SandboxPaths(BaseModel):
    """Where a backend put the episode's folders inside its sandbox: given to the episode beside its spec."""

    out: str  # the episode's folder: the only writable one
    tasks: str  # the task packs, read-only
    replay_source: str | None = None  # a replay's source episode, read-only
    control: str | None = None  # a volunteer's control folder (the station's sockets)
    motion_library: str | None = None  # the movement library file, read-only (motion library:RUN)
    keep: str | None = None  # `tasks try --keep`: where the browser's DevTools socket is served after the episode


def episode_args(spec: EpisodeSpec, paths: SandboxPaths) -> list[str]:
    """The arguments of `python -m cleantrace.episode` for `spec` with its folders at `paths`."""
    return [spec.model_dump_json(), paths.model_dump_json()]


class PlaceholderMeta(BaseModel):
    """What the host knows of an episode's meta.json before (or without) the sandbox writing it."""

    run_id: str
    episode_id: str
    task: str
    seed: int
    persona: str
    performer: Literal["script", "volunteer"]
    performer_id: str
    consent_version: str | None = None
    consent_time: str | None = None
    backend: str
    screen: tuple[int, int]
    appearance: Appearance | None = None
    profile: str = DEFAULT_PROFILE


def placeholder_meta(spec: EpisodeSpec) -> PlaceholderMeta:
    """The host's stand-in for the meta of `spec`'s episode (used when the sandbox died before writing it)."""
    volunteer = spec.performer if isinstance(spec.performer, VolunteerPerformer) else None
    return PlaceholderMeta(
        run_id=spec.run_id, episode_id=spec.episode_id, task=spec.task, seed=spec.seed,
        persona="human" if volunteer else spec.persona,
        performer="volunteer" if volunteer else "script",
        performer_id=volunteer.id if volunteer else f"script:{spec.task}",
        consent_version=volunteer.consent_version if volunteer else None,
        consent_time=volunteer.consent_time if volunteer else None,
        backend=spec.backend, screen=spec.screen, appearance=spec.look, profile=spec.profile,
    )
