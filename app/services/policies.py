"""Which MROQC policy is in force, and the policy files an administrator installs.

``policy_in_force`` is the one way every screen, ``check``, the self-audit and Settings learn the
policy of an as-of date: the files bundled with the app and those installed into the facility's
database, resolved by the pure ``app.rules.policy_file.resolve_policy``. An installed file is
validated exactly as the bundled ones are, kept whole in ``installed_policies`` (audited like
every change) and takes effect from its own ``effective_from`` date, so the coordinating center
can publish a change without a new installer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.permissions import Permission
from app.rules.policy_file import (
    KnownPolicy,
    Policy,
    PolicyFileError,
    PolicyInForce,
    bundled_policies,
    read_policy_text,
    resolve_policy,
)
from app.storage import audit
from app.storage.database import Database
from app.storage.models import Facility, InstalledPolicy

#: Larger than any policy file (the bundled one is about 4 KB): anything bigger is not one.
MAX_FILE_BYTES = 256 * 1024


class PolicyInstallError(ValueError):
    """A policy file that may not be installed (already installed, not newer); says why."""


@dataclass(frozen=True)
class PolicyListing:
    """One policy file the facility knows of, as ``policy list`` and Settings show it."""

    policy: Policy
    source: str
    file_name: str
    installed_by: str | None = None
    installed_at: dt.datetime | None = None
    #: the last day it is in force (the day before the next file takes effect); None: open-ended
    until: dt.date | None = None

    @property
    def line(self) -> str:
        """"MROQC QIP policy 2025 — in force from 2025-01-01 (bundled)"."""
        p = self.policy
        span = (f"in force from {p.effective_from.isoformat()} to {self.until.isoformat()}" if self.until
                else f"in force from {p.effective_from.isoformat()}")
        origin = ("bundled with the app" if self.source == "bundled"
                  else f"installed by {self.installed_by} on {self.installed_at:%Y-%m-%d}" if self.installed_at
                  else "installed")
        replaces = f"; supersedes {p.supersedes}" if p.supersedes else ""
        return f"{p.name} {p.year} — {span} ({origin}{replaces})"


@cache
def _parsed(content: str, file_name: str) -> Policy:
    return read_policy_text(content, file_name)


def _installed(session: Session) -> list[tuple[InstalledPolicy, Policy]]:
    rows = list(session.scalars(select(InstalledPolicy).order_by(InstalledPolicy.id)))
    out = []
    for row in rows:
        try:
            out.append((row, _parsed(row.content, row.file_name)))
        except PolicyFileError as exc:  # a file an earlier version accepted; say so rather than skip it
            raise PolicyFileError(f"The installed policy file {row.file_name} (installed {row.installed_at:%Y-%m-%d}) "
                                  f"does not pass this version's checks: {exc}. An administrator installs a "
                                  "corrected file.") from None
    return out


def known_policies(session: Session) -> list[KnownPolicy]:
    """Every policy file: the bundled ones, then the installed ones in the order installed."""
    return ([KnownPolicy(p, "bundled") for p in bundled_policies()]
            + [KnownPolicy(p, "installed") for _, p in _installed(session)])


def policy_at(session: Session, as_of: dt.date) -> PolicyInForce:
    """The policy ``as_of`` is judged by, inside an open session (``load_snapshot`` uses this)."""
    chosen = session.scalar(select(Facility.policy_year).limit(1))
    return resolve_policy(known_policies(session), as_of, chosen)


def policy_in_force(db: Database, as_of: dt.date) -> PolicyInForce:
    """The policy ``as_of`` is judged by, and the sentence that says so (``statement``)."""
    with db.reader() as session:
        return policy_at(session, as_of)


def list_policies(db: Database) -> list[PolicyListing]:
    """Every policy file known, in the order they take effect (``policy list``, Settings)."""
    with db.reader() as session:
        rows = {p: row for row, p in _installed(session)}
        known = known_policies(session)
    by_date: dict[dt.date, KnownPolicy] = {}
    for item in known:  # an installed file replaces a bundled one of the same date, as resolve_policy reads it
        by_date[item.policy.effective_from] = item
    ordered = [by_date[d] for d in sorted(by_date)]
    listings = []
    for i, item in enumerate(ordered):
        until = ordered[i + 1].policy.effective_from - dt.timedelta(days=1) if i + 1 < len(ordered) else None
        row = rows.get(item.policy) if item.source == "installed" else None
        listings.append(PolicyListing(item.policy, item.source, row.file_name if row else f"{item.policy.year}.toml",
                                      row.installed_by if row else None, row.installed_at if row else None, until))
    return listings


def check_policy_file(text: str, file_name: str) -> Policy:
    """Validate a policy file's text as the bundled ones are (``PolicyFileError`` with key and line)."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise PolicyFileError(f"{file_name}: {len(text.encode('utf-8')):,} bytes is too large for a policy file")
    return read_policy_text(text, file_name)


def read_policy_file(path: str) -> tuple[str, str]:
    """(text, file name) of a policy file on disk; ``PolicyFileError`` says why it cannot be read."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise PolicyFileError(f"{file.name}: {file.stat().st_size:,} bytes is too large for a policy file")
        return file.read_text(encoding="utf-8"), file.name
    except FileNotFoundError:
        raise PolicyFileError(f"No file at {path}.") from None
    except UnicodeDecodeError:
        raise PolicyFileError(f"{file.name}: not a text file (UTF-8)") from None
    except OSError as exc:
        raise PolicyFileError(f"Cannot read {path}: {exc.strerror or exc}") from None


def install_policy(db: Database, text: str, file_name: str) -> PolicyListing:
    """Keep a newer policy file in the database (administrators; audited). Refused, nothing
    written: a file that fails the checks (``PolicyFileError``, key and line), the same file
    again, or a file not newer than every one known — an earlier date would change what the app
    said about dates already judged, which POLICY.md forbids (a past date keeps its verdict)."""
    db.require(Permission.FACILITY)
    policy = check_policy_file(text, file_name)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with db.transaction(Permission.FACILITY, summary=f"policy file {file_name} installed") as session:
        same = session.scalar(select(InstalledPolicy).where(InstalledPolicy.sha256 == digest))
        if same is not None:
            raise PolicyInstallError(f"{file_name} is already installed (by {same.installed_by} on "
                                     f"{same.installed_at:%Y-%m-%d}).")
        newest = max(known_policies(session), key=lambda k: k.policy.effective_from)
        if policy.effective_from <= newest.policy.effective_from:
            raise PolicyInstallError(
                f"{file_name} takes effect on {policy.effective_from.isoformat()}, not after the newest policy "
                f"known ({newest.policy.name} {newest.policy.year}, in force from "
                f"{newest.policy.effective_from.isoformat()}); a policy file must be newer, so dates already "
                "judged keep their verdicts. Ask the coordinating center for a file with a later effective_from.")
        row = InstalledPolicy(year=policy.year, name=policy.name, effective_from=policy.effective_from,
                              supersedes=policy.supersedes, file_name=file_name[:255], sha256=digest, content=text,
                              installed_by=db.actor.name if db.actor else audit.SYSTEM_USER, installed_at=audit.now())
        session.add(row)
        session.flush()
        return PolicyListing(policy, "installed", row.file_name, row.installed_by, row.installed_at)
