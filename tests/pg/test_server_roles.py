"""The shared database enforces who may do what by itself (issue 23): every attack a pen-tester made
with the one shared login, made again as each group role's person, as a plain login and as the
sign-in door, straight at the server (``psycopg``, as ``psql`` would): refused by the server with
nothing changed, and what the role may do still done. The database belongs to an owner role that
is no superuser (as docs/shared-database.md sets it up), so the definer functions hold what the
owner holds, no more."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import sqlalchemy as sa

from app.domain.records import CaseRecord, DosimetryRecord, StaffRecord
from app.domain.security_policy import security_policy
from app.rules.findings import Finding
from app.security.passwords import new_recovery_key
from app.security.signin import AccountLocked, SignInFailed, create_database, sign_in
from app.services import cases, dosimetry, reviews, users
from app.services.maintenance import verify_database
from app.storage.server_names import ServerNames
from tests.conftest import _pg_available, drop_pg_database

pytestmark = pytest.mark.pg
ADMIN, ADMIN_PASSWORD = "dana", "dana's own password"
PEOPLE = {"cy": ("coordinator", "cy's first password"), "phil": ("physics", "phil's first password"),
          "rita": ("reviewer", "rita's first password")}
AS_OF = dt.date(2026, 6, 30)
SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=test"


@dataclass
class Facility:
    """A facility on the shared server whose database an owner role owns, with a person per role."""

    database: str
    owner: str
    names: ServerNames

    @property
    def owner_url(self) -> str:
        return f"postgresql+psycopg://{self.owner}@127.0.0.1:5432/{self.database}"

    @property
    def url(self) -> str:  # the workstations' address: no login in it
        return f"postgresql+psycopg://127.0.0.1:5432/{self.database}"

    def login(self, who: str) -> str:
        return {"door": self.names.signin, "plain": self.plain}.get(who) or self.names.login(who)

    @property
    def plain(self) -> str:
        return f"{self.names.prefix}.plain-login"

    def connect(self, who: str, database: str | None = None) -> psycopg.Connection:
        """A raw connection as ``who`` (a user name, "door" or "plain"), as psql would make it."""
        return psycopg.connect(host="127.0.0.1", port=5432, dbname=database or self.database, user=self.login(who),
                               autocommit=True)

    def superuser(self) -> psycopg.Connection:
        return psycopg.connect(SERVER.replace("dbname=test", f"dbname={self.database}"), autocommit=True)


def _facility(database: str) -> Facility:
    names = ServerNames.of_database(database)
    owner = f"{names.prefix}_owner"
    with psycopg.connect(SERVER, autocommit=True) as conn:  # as IT would, with the statements of the docs
        conn.execute(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        conn.execute(f'CREATE DATABASE "{database}" OWNER "{owner}"')
    return Facility(database, owner, names)


@pytest.fixture(scope="module")
def facility() -> Iterator[Facility]:
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    database = f"mroqc_test_{uuid.uuid4().hex[:10]}"
    found = _facility(database)
    try:
        db, _key = create_database(found.owner_url, ADMIN, ADMIN_PASSWORD, facility="Lakeside RO")
        try:
            from app.services.facility import FacilityDetails, save_facility
            from app.services.staff import save_staff

            save_facility(db, FacilityDetails(name="Lakeside RO", joined_on=dt.date(2019, 1, 1)), today=AS_OF)
            save_staff(db, StaffRecord(staff_id="S-01", name="Phil Lee", profession="physicist"))
            save_staff(db, StaffRecord(staff_id="S-CH", name="Dr. Rita Champion", profession="radiation_oncologist"))
            from app.services.staff import save_role

            save_role(db, "S-CH", "clinical_champion", dt.date(2025, 1, 1), None)
            for name, (role, password) in PEOPLE.items():
                users.add_user(db, name, role, password, staff_id={"phil": "S-01", "rita": "S-CH"}.get(name))
            cases.save_case(db, CaseRecord(case_id="C-1", project="lung", eligible_on=AS_OF, status="pending",
                                           mrn="MRN-0001", name="Pat Doe"))
        finally:
            db.dispose()
        for name, (_role, password) in PEOPLE.items():  # each chose their own password at the first sign-in
            person = sign_in(found.url, name, password)
            users.change_own_password(person, password, password + " now mine")
            person.dispose()
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'CREATE ROLE "{found.plain}" LOGIN')  # a login of the cluster's, given nothing here
        yield found
    finally:
        drop_pg_database(database, extra_roles=(found.owner,))


def _password(name: str) -> str:
    return ADMIN_PASSWORD if name == ADMIN else PEOPLE[name][1] + " now mine"


def _state(facility: Facility) -> dict[str, object]:
    """Everything an attack could have changed, read as the superuser."""
    with facility.superuser() as conn:
        def rows(sql: str) -> list:
            return list(conn.execute(sql).fetchall())

        return {
            "users": rows("SELECT name, role, disabled, password_hash, server_role, must_change_password FROM users "
                          "ORDER BY name"),
            "groups": rows("SELECT r.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                           f"JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname LIKE '{facility.names.prefix}%' "
                           "ORDER BY 1, 2"),
            "passwords": rows("SELECT rolname, rolpassword, rolvaliduntil::text FROM pg_authid "
                              f"WHERE rolname LIKE '{facility.names.prefix}%' ORDER BY 1"),
            "recovery_keys": rows("SELECT * FROM recovery_keys ORDER BY id"),
            "failures": rows("SELECT name, at FROM sign_in_failures ORDER BY id"),
            "audit": rows('SELECT id, "user", hash FROM audit_log ORDER BY id'),
            "head": rows("SELECT last_id, last_hash, entries FROM audit_head"),
            "signatures": rows("SELECT id, user_name, entry_hash FROM audit_signatures ORDER BY id"),
            "certificates": rows("SELECT id, user_name, certificate_pem, superseded_at FROM user_certificates ORDER BY id"),
            "authority": rows("SELECT id, fingerprint, active FROM facility_certificates ORDER BY id"),
            "keys": rows("SELECT user_name, slot, sealed FROM person_keys ORDER BY user_name"),
            "cases": rows("SELECT case_id, status, mrn, note, version FROM cases ORDER BY case_id"),
        }


ROLES = [ADMIN, "cy", "phil", "rita", "plain", "door"]

#: The attacks of issue 23, as statements at the server.
ATTACKS = {
    "make phil an administrator": ["UPDATE users SET role = 'admin' WHERE name = 'phil'",
                                   "SELECT mroqc_set_role('phil', 'admin', NULL)",
                                   "GRANT \"{admin}\" TO \"{phil}\""],
    "add another administrator": ["INSERT INTO users (name, role, disabled, must_change_password, created_at, version) "
                                  "VALUES ('mallory', 'admin', false, false, now(), 1)",
                                  "SELECT mroqc_add_user('mallory', NULL, 'admin', NULL, "
                                  "'SCRAM-SHA-256$4096:AAAA$AAAA:AAAA', NULL, NULL, false)",
                                  "CREATE ROLE mallory_{prefix} LOGIN"],
    "take over the administrator's password": ["UPDATE users SET password_hash = '$argon2id$forged' WHERE name = 'dana'",
                                               "ALTER ROLE \"{dana}\" PASSWORD 'taken over by me'",
                                               "SELECT mroqc_reset_password('dana', "
                                               "'SCRAM-SHA-256$4096:AAAA$AAAA:AAAA', NULL, false)"],
    "plant a recovery key": ["INSERT INTO recovery_keys (key_hash, created_at) VALUES ('$argon2id$mine', now())",
                             "ALTER ROLE \"{recovery}\" LOGIN PASSWORD 'my recovery key'",
                             "SELECT mroqc_set_recovery_key('SCRAM-SHA-256$4096:AAAA$AAAA:AAAA')"],
    "reset the lockout": ["DELETE FROM sign_in_failures", "SELECT mroqc_unlock('dana')",
                          "TRUNCATE sign_in_failures"],
    "forge an audit entry": ["INSERT INTO audit_log (id, at, \"user\", action, table_name, record_key, change_set, "
                             "summary, hash) VALUES (100000, now(), 'cy', 'note', '-', '-', 'x', 'forged', 'x')",
                             "UPDATE audit_head SET last_id = last_id + 1",
                             "SELECT mroqc_append('note', '-', '-', NULL, NULL, 'forged', 'cy')",
                             "SELECT mroqc_note('-', '-', 'forged')",  # (allowed to a person: in their own name)
                             "INSERT INTO audit_signatures (last_entry_id, entry_hash, user_name, certificate_id, "
                             "signature) SELECT id, hash, 'cy', 1, 'ab' FROM audit_log ORDER BY id DESC LIMIT 1"],
    "edit or delete the past": ["UPDATE audit_log SET summary = 'changed' WHERE id = 1",
                                "DELETE FROM audit_log WHERE id = 1", "TRUNCATE audit_log"],
    "change the schema": ["CREATE TABLE mine (id int)", "ALTER TABLE cases ADD COLUMN mine int",
                          "DROP TRIGGER mroqc_audit ON cases", "UPDATE alembic_version SET version_num = '9999'",
                          "ALTER TABLE cases DISABLE TRIGGER mroqc_audit"],
}
#: The secrets of issue 23, as reads.
SECRETS = ["SELECT password_hash FROM users WHERE password_hash IS NOT NULL",
           "SELECT private_key_pem FROM signing_certificates",
           "SELECT key_hash FROM recovery_keys",
           "SELECT * FROM sign_in_failures",
           "SELECT rolpassword FROM pg_authid",
           "SELECT slot FROM person_keys WHERE user_name <> '{me}'"]


def _try(conn: psycopg.Connection, statement: str) -> str:
    """'refused', or 'done' with what a read gave."""
    try:
        cursor = conn.execute(statement)
        rows = cursor.fetchall() if cursor.description else []
        return "done" if not cursor.description else f"done:{len(rows)}"
    except psycopg.Error:
        return "refused"


def _render(facility: Facility, statement: str, me: str = "") -> str:
    return (statement.replace("{admin}", facility.names.group("admin")).replace("{phil}", facility.names.login("phil"))
            .replace("{dana}", facility.names.login("dana")).replace("{recovery}", facility.names.recovery)
            .replace("{prefix}", facility.names.prefix).replace("{me}", me))


@pytest.mark.parametrize("who", ROLES)
def test_a_plain_login_or_the_door_cannot_even_connect_and_a_person_only_to_their_facility(facility, who) -> None:
    if who in ("plain",):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            facility.connect(who)
        return
    facility.connect(who).close()
    other = f"{facility.database}_other"  # another facility's database, set up as the docs say
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{other}"')
        conn.execute(f'REVOKE ALL ON DATABASE "{other}" FROM PUBLIC')
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            facility.connect(who, database=other)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')


#: What an administrator does through the server's own functions (each checks the caller's group and
#: writes its audit entry): their job, not an attack; the same statement straight at a table is refused.
ADMIN_FUNCTIONS = ("SELECT mroqc_set_role(", "SELECT mroqc_add_user(", "SELECT mroqc_reset_password(",
                   "SELECT mroqc_set_recovery_key(", "SELECT mroqc_unlock(")
OWN_NOTE = "SELECT mroqc_note('-', '-', 'forged')"


def _expected(who: str, statement: str) -> str:
    person = who in (ADMIN, "cy", "phil", "rita")
    if statement == OWN_NOTE and person:
        return "done:1"  # a note, in their own name only (below)
    if who == ADMIN and statement.startswith(ADMIN_FUNCTIONS):
        return "allowed"
    if who == ADMIN and statement.startswith('ALTER ROLE "{dana}" PASSWORD'):
        return "allowed"  # (PostgreSQL lets every login change its own password; no one's else)
    return "refused"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
@pytest.mark.parametrize("who", ROLES)
def test_every_attack_is_refused_by_the_server_and_changes_nothing(facility, who, attack) -> None:
    """Each statement in a transaction of its own, rolled back after: what the server refused
    changed nothing, and what it let an administrator do is theirs to do."""
    before = _state(facility)
    if who == "plain":  # even given CONNECT by mistake, a login of no group is given nothing
        with facility.superuser() as conn:
            conn.execute(f'GRANT CONNECT ON DATABASE "{facility.database}" TO "{facility.plain}"')
    results = {}
    try:
        with facility.connect(who) as conn:
            for statement in ATTACKS[attack]:
                conn.execute("BEGIN")
                results[statement] = _try(conn, _render(facility, statement))
                if statement == OWN_NOTE and results[statement] == "done:1":
                    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    written = conn.execute('SELECT "user" FROM audit_log ORDER BY id DESC LIMIT 1').fetchone()
                    assert written == (who,)  # in their own name, whatever they would have liked
                conn.execute("ROLLBACK")
    finally:
        if who == "plain":
            with facility.superuser() as conn:
                conn.execute(f'REVOKE CONNECT ON DATABASE "{facility.database}" FROM "{facility.plain}"')
    for statement, result in results.items():
        expected = _expected(who, statement)
        assert result == expected or (expected == "allowed" and result.startswith("done")), (who, statement, result)
    assert _state(facility) == before, (who, attack)


@pytest.mark.parametrize("who", [ADMIN, "cy", "phil", "rita", "door"])
def test_no_role_reads_a_secret(facility, who) -> None:
    with facility.connect(who) as conn:
        for statement in SECRETS:
            result = _try(conn, _render(facility, statement, me=who))
            # (what users.password_hash would hold is nothing at all on a shared database)
            assert result in ("refused", "done:0"), (who, statement, result)
        if who != "door":
            own = conn.execute("SELECT user_name FROM person_keys").fetchall()
            assert own == [(who,)]  # their own wrapped keys, nobody else's


def test_identified_columns_only_for_the_roles_that_may_export_them(facility) -> None:
    for who, allowed in ((ADMIN, True), ("cy", True), ("phil", False), ("rita", False)):
        with facility.connect(who) as conn:
            assert _try(conn, "SELECT case_id, status FROM cases") == "done:1"
            assert (_try(conn, "SELECT mrn, name, birth_date FROM cases") == "done:1") is allowed, who
            assert (_try(conn, "SELECT * FROM cases") == "done:1") is allowed, who


#: What each role's person may write, table by table, straight at the server (a row made and taken back).
WRITES = {
    "cases": "INSERT INTO cases (case_id, project, eligible_on, status, version) VALUES ('W-1', 'lung', "
             "'2026-06-01', 'pending', 1)",
    "dosimetry_submissions": "INSERT INTO dosimetry_submissions (case_id, submitted_on, staff_id, technique, "
                             "total_dose_gy, fractions, metrics, version) VALUES ('C-1', '2026-06-02', 'S-01', 'vmat', "
                             "50, 25, '{}', 1)",
    "qip_episodes": "INSERT INTO qip_episodes (rule, subject, trigger_message, opened_on, version) VALUES "
                    "('QIP-X', '{}', '', '2026-06-01', 1)",
    "finding_reviews": "INSERT INTO finding_reviews (rule, subject_key, subject, note, reviewed_by, reviewed_at, as_of, "
                       "version) VALUES ('QIP-X', '{}', '{}', 'n', 'x', now(), '2026-06-01', 1)",
    "staff": "INSERT INTO staff (staff_id, name, profession, works_on_mroqc, treats_mroqc_patients, version) "
             "VALUES ('S-99', 'New', 'cda', false, false, 1)",
    "facility settings": "UPDATE facility SET time_zone = 'America/Menominee'",
    "installed_policies": "DELETE FROM installed_policies",
    "users": "UPDATE users SET full_name = 'x'",
}
MAY_WRITE = {
    ADMIN: {"cases", "dosimetry_submissions", "qip_episodes", "finding_reviews", "staff", "facility settings",
            "installed_policies"},
    "cy": {"cases", "dosimetry_submissions", "finding_reviews", "staff"},  # (dosimetry: the workbook import's)
    "phil": {"dosimetry_submissions"},
    "rita": {"qip_episodes", "finding_reviews"},
}


@pytest.mark.parametrize("who", sorted(MAY_WRITE))
def test_grants_follow_the_role_table(facility, who) -> None:
    with facility.connect(who) as conn:
        for table, statement in WRITES.items():
            conn.execute("BEGIN")
            result = _try(conn, statement)
            conn.execute("ROLLBACK")
            assert (result == "done") is (table in MAY_WRITE[who]), (who, table, result)


def test_what_each_role_may_do_still_works_through_the_app(facility) -> None:
    admin = sign_in(facility.url, ADMIN, ADMIN_PASSWORD)
    cy = sign_in(facility.url, "cy", _password("cy"))
    phil = sign_in(facility.url, "phil", _password("phil"))
    rita = sign_in(facility.url, "rita", _password("rita"))
    try:
        saved = cases.get_case(cy, "C-1")
        assert saved.mrn == "MRN-0001"  # a coordinator sees the identifiers ...
        assert cases.get_case(phil, "C-1").mrn is None  # ... a physics lead does not (the server would refuse)
        import dataclasses

        cases.save_case(cy, dataclasses.replace(saved, note="checked"), original_id="C-1")
        dosimetry.save_submission(phil, DosimetryRecord(case_id="C-1", submitted_on=AS_OF, staff_id="S-01",
                                                        technique="vmat", total_dose_gy=50.0, fractions=25))
        reviews.mark_reviewed(rita, Finding("QIP-ENR-ZERO", "trigger", "trigger", {"project": "lung"}, "none"),
                              "no lung referrals", AS_OF)
        users.set_role(admin, "phil", "reviewer")
        with facility.connect("phil") as conn:
            assert conn.execute("SELECT mroqc_my_role()").fetchone() == ("reviewer",)
        users.set_role(admin, "phil", "physics")
        users.unlock_user(admin, "cy")
        assert verify_database(admin).ok
    finally:
        for db in (admin, cy, phil, rita):
            db.dispose()
    with facility.superuser() as conn:
        who = [r[0] for r in conn.execute('SELECT DISTINCT "user" FROM audit_log WHERE table_name IN '
                                          "('cases', 'dosimetry_submissions', 'finding_reviews') AND id > 10")]
    assert set(who) <= {"cy", "phil", "rita", ADMIN}


def test_a_change_made_with_psql_is_in_the_audit_log(facility) -> None:
    """As a coordinator's own login and as the owner (IT), with ``psql`` itself when it is installed:
    the server's trigger writes the entry (who, the server's time, the record in words, before →
    after) in the chain, which still verifies."""
    statement = "UPDATE cases SET note = 'changed with psql' WHERE case_id = 'C-1'"
    psql = shutil.which("psql")
    for login in (facility.names.login("cy"), facility.owner):
        if psql:
            subprocess.run([psql, "-h", "127.0.0.1", "-p", "5432", "-U", login, "-d", facility.database, "-v",
                            "ON_ERROR_STOP=1", "-c", statement], check=True, capture_output=True)
        else:
            with psycopg.connect(host="127.0.0.1", dbname=facility.database, user=login, autocommit=True) as conn:
                conn.execute(statement)
        with facility.superuser() as conn:
            entry = conn.execute('SELECT "user", action, table_name, record_key, summary, "after"::text, at, change_set '
                                 "FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
            conn.execute("UPDATE cases SET note = NULL WHERE case_id = 'C-1'")  # (also an entry: the superuser's)
        who, action, table, key, words, after, at, change_set = entry
        assert who == ("cy" if login != facility.owner else facility.owner)
        assert (action, table, key, words) == ("update", "cases", "C-1", "case C-1")
        assert "changed with psql" in after and change_set.startswith("tx")
        assert abs(dt.datetime.now(dt.UTC).replace(tzinfo=None) - at) < dt.timedelta(minutes=5)  # the server's clock
    db = sign_in(facility.url, ADMIN, ADMIN_PASSWORD)
    try:
        report = verify_database(db)
        assert not [p for p in report.problems if "chain" in p or "hash" in p], report.problems
        assert any("changed with psql" in str(e.after) for e in _entries(db))
        # and verify says which: a person who has keys signs what the app writes; this she did not
        assert any("in the name of cy is not signed by cy: written outside the app" in p for p in report.problems)
    finally:
        db.dispose()


def _entries(db):  # type: ignore[no-untyped-def]
    from app.storage.models import AuditEntry

    with db.reader() as session:
        return list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def test_parallel_guesses_get_exactly_the_attempts_the_policy_allows(facility) -> None:
    """Twenty guesses at once at cy's password: the door counts each before it is tried, so exactly
    the policy's number are tried, the rest refused as locked; only an administrator unlocks."""
    allowed = security_policy().failed_attempts
    with facility.superuser() as conn:
        before = conn.execute("SELECT count(*) FROM audit_log WHERE summary LIKE 'failed sign-in%'").fetchone()[0]
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        try:
            sign_in(facility.url, "cy", f"a wrong guess {n:04d}").dispose()
            result = "in"
        except AccountLocked:
            result = "locked"
        except SignInFailed:
            result = "wrong"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    with facility.superuser() as conn:
        tried = conn.execute("SELECT count(*) FROM audit_log WHERE summary LIKE 'failed sign-in%'").fetchone()[0] - before
    assert outcomes.count("in") == 0
    assert tried == allowed and outcomes.count("locked") == 20 - outcomes.count("wrong")
    with pytest.raises(AccountLocked):
        sign_in(facility.url, "cy", _password("cy"))  # her own password waits for the lock too
    for who in ("cy", "phil", "door"):  # nobody but an administrator forgets the count
        with facility.connect(who) as conn:
            assert _try(conn, "SELECT mroqc_unlock('cy')") == "refused"
            assert _try(conn, "DELETE FROM sign_in_failures") == "refused"
    admin = sign_in(facility.url, ADMIN, ADMIN_PASSWORD)
    try:
        users.unlock_user(admin, "cy")
    finally:
        admin.dispose()
    sign_in(facility.url, "cy", _password("cy")).dispose()


def test_the_server_words_each_record_as_the_app_does(facility) -> None:
    """The trigger's words (``mroqc_words``) are the app's (``app.storage.audit_words``), table by table."""
    from app.storage.audit_words import words

    samples = [
        ("cases", "C-1", {"case_id": "C-1"}),
        ("dosimetry_submissions", "7", {"case_id": "C-1", "submitted_on": "2026-06-02"}),
        ("data_entries", "3", {"case_id": "C-1", "kind": "pro", "date": "2026-06-03"}),
        ("data_entries", "4", {"case_id": None, "kind": "followup", "date": "2026-06-03"}),
        ("finding_reviews", "2", {"rule": "QIP-ENR-ZERO", "subject": {"project": "lung"}}),
        ("finding_reviews", "3", {"rule": "QIP-MEET", "subject": {"role": "clinical_champion", "meeting_id": "M-3"}}),
        ("finding_reviews", "4", {"rule": "QIP-X", "subject": {}}),
        ("staff", "S-01", {"staff_id": "S-01", "name": "Phil Lee"}),
        ("role_assignments", "5", {"role": "physics_lead", "staff_id": "S-01"}),
        ("attendance", "6", {"meeting_id": "M-1", "role": "cda", "staff_id": "S-01"}),
        ("absences", "8", {"staff_id": "S-01", "kind": "vacation", "start": "2026-07-01", "end": "2026-07-05"}),
        ("absences", "9", {"staff_id": None, "kind": "enrollment_pause", "project": "bone_mets",
                           "start": "2026-07-01", "end": "2026-07-05"}),
        ("absences", "10", {"staff_id": None, "kind": "enrollment_pause", "project": None,
                            "start": "2026-07-01", "end": "2026-07-05"}),
        ("meetings", "M-1", {"meeting_id": "M-1"}),
        ("correspondence", "2", {"letter_id": "L-1", "subject": "Annual report"}),
        ("program_years", "2025", {"year": 2025}),
        ("qip_episodes", "4", {"id": 4, "rule": "QIP-ENR-ZERO", "subject": {"project": "bone_mets"}}),
        ("qip_steps", "11", {"episode_id": 4, "step": "outreach"}),
        ("users", "3", {"name": "cy"}),
        ("screening_profiles", "1", {"name": "ARIA weekly"}),
        ("facility", "1", {"name": "Lakeside RO"}),
        ("recovery_keys", "1", {}),
        ("installed_policies", "1", {"name": "x"}),
    ]
    import json

    with facility.superuser() as conn:
        for table, key, values in samples:
            names = {"S-01": "Phil Lee"}
            server = conn.execute("SELECT mroqc_words(%s, %s, %s::json)", (table, key, json.dumps(values))).fetchone()[0]
            assert server == words(table, key, values, names), (table, values)


def test_the_server_hashes_the_chain_as_the_app_does(facility) -> None:
    """Entries the server wrote (with quotes, line breaks, non-ASCII and a masked identifier) verify
    with the app's own chain walk."""
    from app.storage import audit

    with facility.connect("cy") as conn:
        conn.execute("UPDATE cases SET note = %s, name = 'Zoë \"Q\" O''Hara' WHERE case_id = 'C-1'",
                     ("a note\nwith \"quotes\", a tab\t, é, 漢字 and \\ backslash",))
    db = sign_in(facility.url, ADMIN, ADMIN_PASSWORD)
    try:
        with db.reader() as session:
            report = audit.verify_chain(session)
        assert report.intact, report.problem
        last = [e for e in _entries(db) if e.table_name == "cases"][-1]
        assert last.after["name"] == audit.PHI_MASK and "Zoë" not in json_text(last)
        assert "漢字" in last.after["note"]
    finally:
        db.dispose()


def json_text(entry) -> str:  # type: ignore[no-untyped-def]
    return f"{entry.before} {entry.after} {entry.summary}"


def test_a_new_recovery_key_only_by_an_administrator(facility) -> None:
    from app.security.server_signin import scram_verifier
    from app.security.signin import sign_in_with_recovery_key

    key = new_recovery_key()
    admin = sign_in(facility.url, ADMIN, ADMIN_PASSWORD)
    try:
        from app.security.passwords import normal_recovery_key

        verifier = scram_verifier(admin, facility.names.recovery, normal_recovery_key(key))
        for who in ("cy", "phil", "rita", "door"):
            with facility.connect(who) as conn:
                assert _try(conn, f"SELECT mroqc_set_recovery_key('{verifier}')") == "refused"
        with admin.transaction(None) as session:
            session.execute(sa.select(sa.func.mroqc_set_recovery_key(verifier)))
    finally:
        admin.dispose()
    rescued = sign_in_with_recovery_key(facility.url, key)
    try:
        assert rescued.actor.role == "admin"
    finally:
        rescued.dispose()


# ---- the upgrade from one shared login, tested on a copy -----------------------------------------------


def _earlier_shared_database(database: str, owner: str, desk: str) -> None:
    """A shared database as the earlier version left it: schema 0009, set up with the statements of the
    earlier docs/shared-database.md (an owner, one ``desk`` login for every workstation), users with
    the app's Argon2id hashes, a recovery key's hash, a case and an audit log chained by the app."""
    from alembic import command

    from app.security.passwords import hash_password, normal_recovery_key
    from app.storage import audit
    from app.storage.database import alembic_config, create_db_engine

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN CREATEROLE')
        conn.execute(f'CREATE ROLE "{desk}" LOGIN')
        conn.execute(f'CREATE DATABASE "{database}" OWNER "{owner}"')
        conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{desk}"')
    with psycopg.connect(SERVER.replace("dbname=test", f"dbname={database}"), autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(f'ALTER SCHEMA public OWNER TO "{owner}"')
        conn.execute(f'GRANT USAGE ON SCHEMA public TO "{desk}"')
        conn.execute(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public '
                     f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{desk}"')
        conn.execute(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{desk}"')
    engine = create_db_engine(f"postgresql+psycopg://{owner}@127.0.0.1:5432/{database}")
    now = dt.datetime(2026, 11, 1, 9, 0)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0009")
    with engine.begin() as conn:
        for name, role, password in ((ADMIN, "admin", "dana's earlier password"),
                                     ("cy", "coordinator", "cy's earlier password"),
                                     ("phil", "physics", "phil's earlier password")):
            conn.execute(sa.text("INSERT INTO users (name, role, disabled, must_change_password, password_hash, "
                                 "created_at, version) VALUES (:n, :r, false, false, :h, :t, 1)"),
                         {"n": name, "r": role, "h": hash_password(password), "t": now})
        conn.execute(sa.text("INSERT INTO recovery_keys (key_hash, created_at) VALUES (:h, :t)"),
                     {"h": hash_password(normal_recovery_key(new_recovery_key())), "t": now})
        conn.execute(sa.text("INSERT INTO cases (case_id, project, eligible_on, status, version) VALUES "
                             "('C-1', 'lung', '2026-06-01', 'pending', 1)"))
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            session.info.update(user=ADMIN, change_set="earlier", at=now)
            audit.append(session, [audit._entry(session, "insert", "users", str(i), None, {"name": n})
                                   for i, n in enumerate((ADMIN, "cy", "phil"), start=1)]
                         + [audit._entry(session, "insert", "cases", "C-1", None, {"case_id": "C-1"})])
            session.flush()
    with engine.begin() as conn:  # what the earlier docs took back after the copy
        conn.execute(sa.text(f'REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM "{desk}"'))
        conn.execute(sa.text(f'REVOKE UPDATE, DELETE ON audit_log FROM "{desk}"'))
    engine.dispose()


def test_the_upgrade_from_one_shared_login_to_a_login_per_person_on_a_copy(capsys) -> None:
    from tests.support import cli

    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    stem = f"mroqc_test_{uuid.uuid4().hex[:8]}"
    original, copy = f"{stem}_live", f"{stem}_copy"
    owner, desk = f"{stem}_owner", f"{stem}_desk"
    try:
        _earlier_shared_database(original, owner, desk)
        with psycopg.connect(host="127.0.0.1", dbname=original, user=desk) as conn:  # the hole of issue 23
            conn.execute("UPDATE users SET role = 'admin' WHERE name = 'phil'")
            conn.rollback()
        with psycopg.connect(SERVER, autocommit=True) as conn:  # IT's copy, set up as the live one
            conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{original}" OWNER "{owner}"')
            conn.execute(f'REVOKE ALL ON DATABASE "{copy}" FROM PUBLIC')
            conn.execute(f'GRANT CONNECT ON DATABASE "{copy}" TO "{desk}"')
        owner_url = f"postgresql+psycopg://{owner}@127.0.0.1:5432/{copy}"
        assert cli(["server-logins", "--db-url", owner_url, "--user", ADMIN, "--password-stdin"],
                   ["dana's earlier password"]) == 0
        out = capsys.readouterr().out
        first = {line.split(": ", 1)[0].removeprefix("first password for "): line.split(": ", 1)[1]
                 for line in out.splitlines() if line.startswith("first password for ")}
        recovery_key = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("recovery key: "))
        assert set(first) == {"cy", "phil"} and desk in out

        url = f"postgresql+psycopg://127.0.0.1:5432/{copy}"
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(host="127.0.0.1", dbname=copy, user=desk)  # the shared login opens nothing any more
        dana = sign_in(url, ADMIN, "dana's earlier password")  # hers, now her own login's
        try:
            assert dana.actor.role == "admin"
            report = verify_database(dana)
            assert report.ok, report.problems
            assert report.audit_entries > 4  # the earlier log, unbroken, and what followed
            with dana.reader() as session:
                assert session.execute(sa.text("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")).scalar() == 0
        finally:
            dana.dispose()
        with pytest.raises(SignInFailed):
            sign_in(url, "cy", "cy's earlier password")  # the earlier hashes are gone with the shared login
        phil = sign_in(url, "phil", first["phil"])
        try:
            assert phil.actor.role == "physics" and phil.actor.must_change_password
        finally:
            phil.dispose()
        names = ServerNames.of_database(copy)
        with psycopg.connect(host="127.0.0.1", dbname=copy, user=names.login("phil"), autocommit=True) as conn:
            assert _try(conn, "UPDATE users SET role = 'admin' WHERE name = 'phil'") == "refused"
        from app.security.signin import sign_in_with_recovery_key

        sign_in_with_recovery_key(url, recovery_key).dispose()
        with psycopg.connect(host="127.0.0.1", dbname=original, user=desk) as conn:  # the live one is untouched
            assert conn.execute("SELECT count(*) FROM users WHERE password_hash IS NOT NULL").fetchone() == (3,)
    finally:
        drop_pg_database(copy)
        drop_pg_database(original, extra_roles=(owner, desk))


def test_the_clinical_champion_signs_the_self_audit_with_her_own_key_from_the_server(facility, tmp_path) -> None:
    """Her keys reached the server wrapped under her password (nobody else reads her row) and came
    back at her sign-in: the self-audit is signed by her and vouched for by the facility certificate."""
    from app.reports.signing import save_signed, sign_audit, verify_pdf
    from app.security.people import authorities

    rita = sign_in(facility.url, "rita", _password("rita"))
    try:
        signed = sign_audit(rita, year=2026, as_of=AS_OF, signer_role="Clinical champion")
        out = tmp_path / "self-audit.pdf"
        save_signed(rita, signed, out)
        with rita.reader() as session:
            roots = authorities(session)
        check = verify_pdf(out, roots)
        assert check.ok and check.trusted and check.signer == "Dr. Rita Champion" and check.staff_id == "S-CH"
        assert not [p for p in verify_database(rita).problems if "rita" in p]  # every one of hers signed
    finally:
        rita.dispose()


def test_a_role_that_reads_no_identifiers_gets_the_same_data_quality_problems(facility) -> None:
    """The age and duplicate-MRN checks need birth dates and MRNs, which a reviewer or physics lead
    may not read on the server: the server names the failing cases (never the dates or MRNs), so their
    Data quality screen and self-audit list what an administrator's do."""
    from app.services.quality import evaluate_quality

    cy = sign_in(facility.url, "cy", _password("cy"))
    try:
        for case_id, born, on in (("Q-1", dt.date(2015, 3, 1), dt.date(2026, 3, 1)),  # 11 at eligibility
                                  ("Q-2", dt.date(1950, 5, 5), dt.date(2026, 3, 2)),
                                  ("Q-3", dt.date(1950, 5, 5), dt.date(2026, 4, 2))):  # Q-2's patient again
            cases.save_case(cy, CaseRecord(case_id=case_id, project="breast", eligible_on=on, status="pending",
                                           mrn="MRN-Q1" if case_id == "Q-1" else "MRN-Q2", birth_date=born))
    finally:
        cy.dispose()

    def problems(who: str) -> set[tuple[str, str, str]]:
        person = sign_in(facility.url, who, _password(who))
        try:
            return {(p.rule, str(p.subject), p.message) for p in evaluate_quality(person, AS_OF).problems}
        finally:
            person.dispose()

    admin, rita, phil = problems(ADMIN), problems("rita"), problems("phil")
    assert rita == admin == phil
    mentioned = {subject for _rule, subject, _message in admin}
    assert any("Q-1" in s for s in mentioned) and any("Q-3" in s for s in mentioned)  # the age and the repeat found
    assert not any("MRN-Q" in m or "1950" in m or "2015-03-01" in m for _r, _s, m in rita)
    with facility.connect("rita") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("SELECT birth_date FROM cases")
