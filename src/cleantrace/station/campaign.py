"""Campaigns: which tasks and seeds volunteers perform, how many of each, for what pay.

A campaign file (TOML):

    id = "crm-pilot"                 # the key in links: /c/crm-pilot?workerId=…
    tasks = ["crm/set-lead-status", "crm/*"]   # task ids or globs
    seeds = "0-4"                    # 0-9, 1,5,7 or 0-3,10
    quota = 2                        # episodes wanted per task × seed (rejected ones do not count)
    max_per_volunteer = 5            # tasks one volunteer may do in this campaign
    time_limit = 600                 # seconds a volunteer has for one task
    pay_per_episode = 0.50           # per accepted episode
    pay_per_hour = 0.0               # per hour recorded, accepted episodes only
    currency = "USD"
"""

from __future__ import annotations

import fnmatch
import hashlib
import hmac
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from cleantrace.errors import CleantraceError


class Campaign(BaseModel, extra="forbid"):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    tasks: list[str] = Field(min_length=1)
    seeds: str = "0"
    quota: int = Field(1, ge=1)
    max_per_volunteer: int = Field(10, ge=1)
    time_limit: float = Field(1800.0, gt=0)
    pay_per_episode: float = Field(0.0, ge=0)
    pay_per_hour: float = Field(0.0, ge=0)
    currency: str = "USD"

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: str) -> str:
        parse_seeds(value)
        return value

    def slots(self, task_ids: list[str]) -> list[tuple[str, int]]:
        """Every (task, seed) of the campaign, in file order; raises when a pattern matches no task."""
        chosen: list[str] = []
        for pattern in self.tasks:
            matched = [t for t in task_ids if fnmatch.fnmatchcase(t, pattern)]
            if not matched:
                raise CleantraceError(f"campaign {self.id}: no task matches {pattern!r}",
                                      "see `cleantrace tasks` for the task ids")
            chosen += [t for t in matched if t not in chosen]
        return [(task, seed) for task in chosen for seed in parse_seeds(self.seeds)]

    def pay(self, accepted: int, seconds: float) -> float:
        """What `accepted` episodes recorded over `seconds` earn."""
        return round(accepted * self.pay_per_episode + seconds / 3600 * self.pay_per_hour, 2)


def parse_seeds(text: str) -> list[int]:
    """`0-9`, `1,5,7` or `0-3,10` → the seeds, in order."""
    seeds: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in str(text).split(","))):
            lo, _, hi = part.partition("-")
            seeds += range(int(lo), int(hi or lo) + 1)
    except ValueError:
        raise ValueError(f"seeds {text!r} are not like 0-9, 1,5,7 or 0-3,10") from None
    if not seeds:
        raise ValueError("seeds is empty")
    return seeds


def load_campaign(path: Path) -> Campaign:
    """Read and check a campaign file; a CleantraceError names the file and the field."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CleantraceError(f"cannot read campaign file {path} ({exc.strerror or exc})", "check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise CleantraceError(f"campaign file {path} is not valid TOML ({exc})", "fix the file") from None
    try:
        return Campaign.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        pattern = first["type"] == "string_pattern_mismatch"
        msg = "use lower-case letters, digits and dashes" if pattern else first["msg"]
        raise CleantraceError(f"campaign file {path}: {field}: {msg}",
                              "see docs/volunteer.md#campaigns for the fields") from None


def completion_code(key: bytes, campaign: str, volunteer: str) -> str:
    """The code a volunteer pastes into the crowd platform: the station's HMAC of who did which campaign."""
    digest = hmac.new(key, f"{campaign}:{volunteer}".encode(), hashlib.sha256).hexdigest()
    return f"CT-{digest[:10].upper()}"


INVITE_SALT = "cleantrace-invite"


WORKER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # what a worker id may be (crowd platforms' ids fit)


def check_worker_id(worker: str) -> str:
    if not WORKER_ID.fullmatch(worker):
        raise CleantraceError(f"worker id {worker!r} is not valid",
                              "use 1-64 letters, digits, '_', '.' or '-' (as crowd platforms' ids are)")
    return worker


def invite_token(key: bytes, campaign: str, worker: str) -> str:
    """A signed, timestamped invitation of `worker` to `campaign` (the station's key signs it)."""
    from itsdangerous import URLSafeTimedSerializer

    check_worker_id(worker)
    return URLSafeTimedSerializer(key, salt=INVITE_SALT).dumps({"c": campaign, "w": worker})


def read_invite(key: bytes, token: str, max_age_s: float) -> tuple[str, str]:
    """The (campaign, worker) of an invitation; CleantraceError when it is forged or older than `max_age_s`."""
    from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

    try:
        data = URLSafeTimedSerializer(key, salt=INVITE_SALT).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise CleantraceError("this invitation has expired", "ask for a new link") from None
    except BadSignature:
        raise CleantraceError("this invitation link is not valid", "open the link exactly as you got it") from None
    return data["c"], data["w"]
