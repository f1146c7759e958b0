"""What the audit log proves, checked against an insider who holds the database key.

On a SQLite file every user's password opens the database, so anyone signed in can rewrite any
table with another program, the audit log included, and recompute its hash chain. What they
cannot do is make another person's signature, or an administrator's: each transaction's entries
are signed by the person who made them (``app.security.people``), with a key only their
password unwraps, certified by the facility CA, whose key only administrators hold. Each person
also keeps, authenticated under their own password, the facility certificate they trust and the
last position of the audit log they saw. From those this module finds:

- ``check_signatures``: an entry changed, inserted, removed or reordered anywhere before a signed
  transaction (its signature no longer matches the chain), and an entry in the name of someone
  who has keys but did not sign it (written outside the app);
- ``check_seen``: entries cut off after what a person saw (their next sign-in reports it);
- ``check_against``: the log no longer extends what a signed self-audit recorded;
- ``unexplained_rows``: a row whose current values no audit entry explains (changed outside the app);
- ``granted_roles``: the role each user was given by an administrator's signed entry — an edited
  ``users.role`` gives no rights.

What only *detects* (and needs an honest person to look): every one of these. What needs a
secret the insider lacks: writing an entry, a role grant or a self-audit signature in another's
name. docs/security.md states the threat model.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from sqlalchemy import Text, cast, func, inspect, select, tuple_
from sqlalchemy.orm import Session

from app.security import pki
from app.storage import models
from app.storage.audit import PHI_COLUMNS, SECRET_COLUMNS, plain
from app.storage.audit_chain import audit_columns
from app.storage.models import KEPT_COLUMNS, AuditSignature, UserCertificate

SIGNATURE_FORMAT = "MROQC Facility Desk audit signature v1"


def signed_message(last_id: int, last_hash: str, user: str, change_set: str | None) -> bytes:
    """What a person's signature of a transaction covers: the audit chain's hash at the
    transaction's last entry, its author and its change set (signed by ``app.security.people.Person``,
    checked here)."""
    return f"{SIGNATURE_FORMAT}|{last_id}|{last_hash}|{user}|{change_set or ''}".encode()


#: Who writes without a person's keys (never a forgery by itself, said as a warning); a person's
#: signed transaction may carry such entries too (the failed sign-ins they noted at sign-in)
KEYLESS = ("(system)", "(recovery key)", "(not signed in)")


@dataclass
class Evidence:
    """What checking the log found: ``problems`` (tampering), ``warnings`` (unsigned, but nobody's
    to sign), and counts."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signed: int = 0
    transactions: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Cert:
    id: int
    user: str
    certificate: x509.Certificate | None  # None: a request no administrator issued yet
    vouched: bool  # issued by the facility certificate trusted


def _certificates(session: Session, trusted: list[x509.Certificate]) -> dict[int, _Cert]:
    found = {}
    for row in session.scalars(select(UserCertificate)):
        certificate = pki.load_certificate(row.certificate_pem) if row.certificate_pem else None
        vouched = certificate is not None and any(pki.issued_by(certificate, root) for root in trusted)
        if certificate is not None:
            name, _, _ = pki.person_of(certificate)
            vouched = vouched and name == row.user_name
        found[row.id] = _Cert(row.id, row.user_name, certificate, vouched)
    return found


def _entries(session: Session) -> Iterable[Any]:
    table = audit_columns()
    return session.execute(select(table.c.id, table.c.user, table.c.change_set, table.c.hash, table.c.at)
                           .order_by(table.c.id).execution_options(yield_per=5000))


def _transactions(session: Session) -> Iterable[list[Any]]:
    """Consecutive entries of one change set (one transaction) at a time."""
    group: list[Any] = []
    for entry in _entries(session):
        if group and (entry.change_set is None or entry.change_set != group[-1].change_set):
            yield group
            group = []
        group.append(entry)
    if group:
        yield group


def signed_from(session: Session) -> int | None:
    """The first entry of the first signed transaction (signatures began there)."""
    first = session.scalar(select(AuditSignature.last_entry_id).order_by(AuditSignature.last_entry_id).limit(1))
    if first is None:
        return None
    change_set = session.scalar(select(models.AuditEntry.change_set).where(models.AuditEntry.id == first))
    start = session.scalar(select(models.AuditEntry.id).where(models.AuditEntry.change_set == change_set)
                           .order_by(models.AuditEntry.id).limit(1))
    return int(start or first)


def check_signatures(session: Session, trusted: list[x509.Certificate], *, since: int | None = None) -> Evidence:
    """Every transaction from ``since`` (where signatures began; the earliest a person recorded
    seeing wins over what the table says) signed by its author with a certificate of the facility."""
    evidence = Evidence()
    certificates = _certificates(session, trusted)
    with_keys = {c.user for c in certificates.values() if c.certificate is not None and c.vouched}
    if session.get_bind().dialect.name == "postgresql":
        # a shared database's log is written by the server, which names who made each change by their
        # login: a person who has no keys there (directory sign-in) signs nothing, and is no forgery
        current = set(session.scalars(select(UserCertificate.user_name).where(UserCertificate.superseded_at.is_(None),
                                                                              UserCertificate.certificate_pem.is_not(None))))
        with_keys &= current
    signatures = {s.last_entry_id: s for s in session.scalars(select(AuditSignature))}
    start = signed_from(session)
    if since is not None:
        start = since if start is None else min(start, since)
    seen_ids: set[int] = set()
    unsigned_keyless: dict[str, int] = defaultdict(int)
    for group in _transactions(session):
        last = group[-1]
        seen_ids.add(last.id)
        if start is None or last.id < start:
            continue
        evidence.transactions += 1
        users = {e.user for e in group}
        authors = users - set(KEYLESS) or users  # who the transaction is by (bookkeeping it carries aside)
        signature = signatures.get(last.id)
        several = len(group) > 1
        where = f"entries {group[0].id}–{last.id}" if several else f"entry {last.id}"
        were, are = ("were", "are") if several else ("was", "is")
        if signature is None:
            author = last.user
            if len(authors) > 1:
                evidence.problems.append(f"audit {where} name several people ({', '.join(sorted(users))}) in one "
                                         "transaction: written outside the app")
            elif author in with_keys:
                evidence.problems.append(f"audit {where} in the name of {author} {are} not signed by {author}: "
                                         "written outside the app, or changed")
            else:
                unsigned_keyless[author] += len(group)
            continue
        cert = certificates.get(signature.certificate_id)
        message = signed_message(last.id, last.hash, signature.user_name, last.change_set)
        if signature.entry_hash != last.hash:
            evidence.problems.append(f"audit {where} {were} changed after {signature.user_name} signed "
                                     f"{'them' if several else 'it'} (or an entry before was removed, added or changed)")
        elif cert is None or cert.certificate is None:
            evidence.warnings.append(f"audit {where}: signed by {signature.user_name} with a key the facility has not "
                                     "vouched for yet (a certificate request waiting for an administrator)")
        elif not cert.vouched or cert.user != signature.user_name:
            evidence.problems.append(f"audit {where}: signed with a certificate that is not one of this facility's "
                                     f"for {signature.user_name}")
        elif not pki.verify(cert.certificate, message, bytes.fromhex(signature.signature)):
            evidence.problems.append(f"audit {where}: the signature of {signature.user_name} does not match "
                                     "(changed after signing, or an entry before it was removed, added or changed)")
        elif authors != {signature.user_name}:
            evidence.problems.append(f"audit {where}: signed by {signature.user_name} but in the name of "
                                     f"{', '.join(sorted(authors - {signature.user_name}))}")
        else:
            evidence.signed += 1
    for last_id in sorted(set(signatures) - seen_ids):
        evidence.problems.append(f"audit entry {last_id}, which {signatures[last_id].user_name} signed, is gone "
                                 "(removed from the log)")
    for author, count in sorted(unsigned_keyless.items()):
        reason = "work no person did (upgrades, sign-in bookkeeping)" if author == "(system)" else (
            "the recovery key signs nothing" if author == "(recovery key)" else f"{author} has no certificate yet"
            if session.get_bind().dialect.name != "postgresql" else
            f"{author} has no keys here (directory sign-in, or a server login with no person's keys): the server's "
            "log names who made them")
        evidence.warnings.append(f"{count} audit entries by {author} are not signed: {reason}")
    return evidence


def check_seen(session: Session, seen: dict | None, person: str) -> str | None:
    """Whether the log still holds the entry ``person`` last saw, unchanged (None: it does)."""
    if not seen or not seen.get("last_id"):
        return None
    entry = session.get(models.AuditEntry, int(seen["last_id"]))
    if entry is None:
        return (f"the audit log no longer holds entry {seen['last_id']}, which {person} saw last: entries were removed "
                "from its end since")
    if entry.hash != seen.get("last_hash"):
        return (f"audit entry {seen['last_id']} is not the one {person} saw last: the log was rewritten up to "
                "there since")
    return None


def check_against(session: Session, last_id: int, last_hash: str, entries: int) -> str | None:
    """Whether the log still extends the position a signed self-audit recorded."""
    entry = session.get(models.AuditEntry, last_id)
    if entry is None:
        return f"the audit log no longer holds entry {last_id}, the last one the self-audit recorded"
    if entry.hash != last_hash:
        return f"audit entry {last_id} is not the one the self-audit recorded: the log was rewritten up to there"
    count = session.scalar(select(func.count()).select_from(models.AuditEntry).where(models.AuditEntry.id <= last_id))
    if count is not None and int(count) != entries:
        return (f"the audit log holds {count} entries up to entry {last_id}, the self-audit recorded {entries}: "
                "entries were removed")
    return None


# ---- rows no entry explains -------------------------------------------------------------------

#: What the log's entries do not describe (bookkeeping of the log itself, sign-in counters).
NOT_REPLAYED = {"audit_log", "audit_head", "audit_signatures", "alembic_version", "sign_in_failures", "person_keys"}
#: Never read back (no person may read them on a shared database; nothing to compare there).
UNREAD_COLUMNS = {"signing_certificates": {"private_key_pem"}}
#: What nobody reads on a shared database (the server's definer functions keep them).
SERVER_UNREADABLE = {"recovery_keys"}
#: Columns written without an entry on purpose (the time of a sign-in or a digest shown; what the
#: database keeps itself, ``app.storage.models.KEPT_COLUMNS``).
UNAUDITED_COLUMNS = {"users": {"last_sign_in_at", "last_digest_at"},
                     **{table: set(columns) for table, columns in KEPT_COLUMNS.items()}}


def _tables() -> dict[str, type]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in models.Base.registry.mappers
            if getattr(mapper.class_, "__tablename__", None) not in NOT_REPLAYED}


def _key(obj: Any, mapper: Any) -> str:
    return "/".join(str(getattr(obj, col.key)) for col in mapper.primary_key)


def _bulk_allowance(session: Session) -> dict[str, int]:
    """Rows per table that bulk fixtures (the demo facility) or an earlier version wrote without
    an entry each, as a signed note recorded them (an unsigned one counts for nothing: anyone could
    write it; a forged signature is reported by ``check_signatures``)."""
    table = audit_columns()
    allowed: dict[str, int] = defaultdict(int)
    notes = session.execute(select(table.c.change_set, cast(table.c.after, Text))
                            .where(table.c.action == "note", cast(table.c.after, Text).like("%bulk_rows%"))).all()
    ends = _transaction_ends(session, {c for c, _ in notes if c})
    signed = set(session.scalars(select(AuditSignature.last_entry_id)))
    for change_set, after in notes:
        if change_set not in ends or ends[change_set][0] not in signed:
            continue
        for name, count in (json.loads(after).get("bulk_rows") or {}).items():
            allowed[str(name)] += int(count)
    return allowed


def unrecorded_counts(session: Session) -> dict[str, int]:
    """Rows per table no audit entry records (written by an earlier version before it kept an entry
    per row): what the first administrator's sign-in after the upgrade records, signed."""
    table = audit_columns()
    found = {}
    for name, model in _tables().items():
        mapper = inspect(model)
        keys = set(session.scalars(select(table.c.record_key).where(table.c.table_name == name,
                                                                    table.c.action == "insert")))
        count = sum(1 for obj in session.scalars(select(model).execution_options(yield_per=5000))
                    if _key(obj, mapper) not in keys)
        if count:
            found[name] = count
        session.expunge_all()
    return found


def unexplained_rows(session: Session, *, limit: int = 50) -> list[str]:
    """Rows whose current values the audit log does not explain, table by table: replaying every
    entry (insert, update, delete) must give each row as it is. Patient identifiers and secrets,
    masked in the log, are not compared. Rows a bulk fixture wrote without an entry each (the demo
    facility) are held to the number it recorded: one more row than that is reported.

    Only the rows the log names are read (by key, in chunks); the rest are counted in SQL, so a
    register of 200,000 bulk-loaded cases costs a count, not 200,000 rows read."""
    problems: list[str] = []
    table = audit_columns()
    bulk = _bulk_allowance(session)
    server = session.get_bind().dialect.name == "postgresql"
    for name, model in sorted(_tables().items()):
        if server and name in SERVER_UNREADABLE:
            continue
        mapper = inspect(model)
        keys = list(mapper.primary_key)
        masked = PHI_COLUMNS.get(name, frozenset()) | SECRET_COLUMNS.get(name, frozenset()) | \
            UNAUDITED_COLUMNS.get(name, set()) | {"version"}  # the version moves in the flush, after its entry
        unread = PHI_COLUMNS.get(name, frozenset()) | SECRET_COLUMNS.get(name, frozenset()) | \
            UNREAD_COLUMNS.get(name, set())  # never read back: a shared database lets only some roles read them
        state: dict[str, dict[str, Any] | None] = {}
        rows = session.execute(select(table.c.action, table.c.record_key, cast(table.c.after, Text), table.c.change_set)
                               .where(table.c.table_name == name).order_by(table.c.id)
                               .execution_options(yield_per=10000))
        # keys whose existence the log holds the table to: every entry but an update of a version
        # that kept no change sets (its row may be gone with a version that logged no deletes)
        asserted: set[str] = set()
        for action, key, after, change_set in rows:
            if action == "delete":
                state[key] = None
            elif action in ("insert", "update"):
                values = json.loads(after) if after else {}
                current = state.get(key) if action == "update" else None
                state[key] = {**(current or {}), **values}
                if action == "insert" or change_set is not None:
                    asserted.add(key)
        total = int(session.scalar(select(func.count()).select_from(model.__table__)) or 0)
        found: set[str] = set()
        recorded = [k for k in state if k not in ("(new)", "-")]
        columns = model.__table__.c
        readable = [c for c in columns if c.name not in unread]
        typed = [_key_type(c) for c in keys]
        for start in range(0, len(recorded), 500):
            chunk = [_typed_key(k, typed) for k in recorded[start:start + 500]]
            chunk = [k for k in chunk if k is not None]
            if not chunk:
                continue
            where = (tuple_(*(columns[c.name] for c in keys)).in_(chunk) if len(keys) > 1
                     else columns[keys[0].name].in_([k[0] for k in chunk]))
            for row in session.execute(select(*readable).where(where)).mappings():
                key = "/".join(str(row[c.name]) for c in keys)
                found.add(key)
                expected = state.get(key)
                if expected is None:  # deleted in the log, here again without an entry
                    continue
                for column, value in expected.items():
                    if column in masked or column not in row:
                        continue
                    if plain(row[column]) != value:
                        problems.append(f"{name} {key}: {column} is not what the audit log last recorded "
                                        "(changed outside the app)")
                        break
                if len(problems) >= limit:
                    return problems
        explained = sum(1 for k in found if state.get(k) is not None)
        unrecorded = total - explained
        if unrecorded > bulk.get(name, 0):
            extra = unrecorded - bulk.get(name, 0)
            shown = _sample_unrecorded(session, model, keys, found, state)
            problems.append(f"{name} {shown}: no audit entry records {'it' if extra == 1 else 'them'} "
                            f"(added outside the app: {extra} row(s) more than the log explains)")
        for key in recorded:
            if state[key] is not None and key not in found and key in asserted:
                problems.append(f"{name} {key}: the audit log has it, the table does not (removed outside the app)")
            if len(problems) >= limit:
                return problems
    return problems


def _key_type(column: Any) -> type:
    try:
        return int if column.type.python_type is int else str
    except NotImplementedError:
        return str


def _typed_key(key: str, types: list[type]) -> tuple | None:
    """A record key of the log (``"12"``, ``"M-1/chair"``) as the key columns' values (None: not one)."""
    parts = key.split("/") if len(types) > 1 else [key]
    if len(parts) != len(types):
        return None
    try:
        return tuple(kind(part) for kind, part in zip(types, parts, strict=True))
    except ValueError:
        return None


def _sample_unrecorded(session: Session, model: Any, keys: list, found: set[str], state: dict) -> str:
    """A few keys of rows no entry records (the newest first: an addition is usually recent)."""
    columns = model.__table__.c
    sample = []
    for row in session.execute(select(*(columns[c.name] for c in keys)).order_by(*(columns[c.name].desc() for c in keys))
                               .limit(2000)):
        key = "/".join(str(v) for v in row)
        if key not in found or state.get(key) is None:
            sample.append(key)
            if len(sample) == 3:
                break
    return ", ".join(sample)


# ---- roles an administrator granted -----------------------------------------------------------


def granted_roles(session: Session, trusted: list[x509.Certificate]) -> dict[str, str]:
    """Each user's role as administrators' signed entries gave it. Entries from before signatures
    began are taken as they are (nothing can be proved of them); after, a role counts only if the
    transaction setting it was signed by someone who was an administrator then — or it is the
    database's first administrator, certified by the facility in the same signed transaction."""
    certificates = _certificates(session, trusted)
    signatures = {s.last_entry_id: s for s in session.scalars(select(AuditSignature))}
    start = signed_from(session)
    table = audit_columns()
    rows = session.execute(select(table.c.id, table.c.user, table.c.change_set, table.c.action, table.c.record_key,
                                  cast(table.c.after, Text), table.c.hash)
                           .where(table.c.table_name == "users", table.c.action.in_(("insert", "update")))
                           .order_by(table.c.id)).all()
    keys_by_id: dict[str, str] = {}
    ends = _transaction_ends(session, {r.change_set for r in rows if r.change_set})
    roles: dict[str, str] = {}
    for entry_id, author, change_set, action, key, after, _hash in rows:
        values = json.loads(after) if after else {}
        name = values.get("name") or keys_by_id.get(key)
        if action == "insert" and name:
            keys_by_id[key] = name
        if action not in ("insert", "update") or "role" not in values or not name:
            continue
        if start is None or entry_id < start:
            roles[name] = values["role"]
            continue
        end = ends.get(change_set)
        signature = signatures.get(end[0]) if end else None
        cert = certificates.get(signature.certificate_id) if signature is not None else None
        valid = (signature is not None and end is not None and cert is not None and cert.certificate is not None
                 and cert.vouched and signature.user_name == author and signature.entry_hash == end[1]
                 and pki.verify(cert.certificate, signed_message(end[0], end[1], author, change_set),
                                bytes.fromhex(signature.signature)))
        first_administrator = not roles and name == author and values["role"] == "admin"
        if valid and (roles.get(author) == "admin" or first_administrator):
            roles[name] = values["role"]
    return roles


def _transaction_ends(session: Session, change_sets: set[str]) -> dict[str, tuple[int, str]]:
    """The last entry (id, hash) of each change set."""
    if not change_sets:
        return {}
    ends: dict[str, tuple[int, str]] = {}
    listed = list(change_sets)
    for start in range(0, len(listed), 500):
        chunk = listed[start:start + 500]
        for change_set, entry_id, entry_hash in session.execute(
                select(models.AuditEntry.change_set, models.AuditEntry.id, models.AuditEntry.hash)
                .where(models.AuditEntry.change_set.in_(chunk)).order_by(models.AuditEntry.id)):
            ends[change_set] = (entry_id, entry_hash)
    return ends
