"""What the shared database's server enforces by itself (PostgreSQL): who may do what, and the audit log.

On a SQLite file every signed-in user holds the database key and the app's checks are the only
ones. A shared database can do better, and does: each person connects as their own login role
(``app.storage.server_names``), and ``install`` gives the database

- **group roles per app role** with the grants of docs/security.md's role table (physics writes
  dosimetry only; reviewers write QIP steps and reviews only; coordinators what a CDA does, their
  imports included), patient identifiers readable only by the roles that may export them (column
  privileges), and row-level security where a row's owner matters (a person's own wrapped keys,
  their own reminder time, their own signatures);
- **users, role grants, recovery key, lockout and certificates changed only through ``SECURITY
  DEFINER`` functions** owned by the owner role, which check the caller's group and leave their
  own audit entry; ``users.password_hash`` and ``recovery_keys`` hold nothing on a server (the
  server keeps the logins' SCRAM verifiers in its own catalogue, which no person reads);
- **an audit log the server writes**: a trigger on every audited table records who
  (``session_user``, in the facility's user names), when (the server's clock), the table, the
  record in people's words and before → after, in the same transaction, hash-chained exactly as
  the app chains a file's log (``app.storage.audit_chain``: the Audit log screen, ``verify`` and
  the exports read it unchanged). No person may insert, change or delete an audit row; a change
  made with ``psql`` is in the log like one made in the window; every audited change is also
  announced (``NOTIFY``) to the workstations' watchers;
- **a lockout the server counts**: the sign-in door (``mroqc_signin``) counts an attempt under a
  per-name lock *before* the password is tried, so parallel guesses get exactly the attempts the
  policy allows; a name that reaches the limit has its login's password made invalid until the
  lock ends; only an administrator's function forgets failures.

``install`` is idempotent and runs as the owner role: migration 0011 runs it, and every later
schema upgrade runs it again (``app.storage.database``), so grants, policies and triggers follow
the schema. It needs ``CREATEROLE`` (or a superuser) for the groups and logins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.domain.fields import PHI_CASE_FIELDS
from app.domain.qip_process import process_steps
from app.domain.security_policy import security_policy
from app.domain.vocabulary import CODES, PROJECT_LABELS, ROLE_LABELS, SPECIAL_LABELS, label
from app.domain.wording import FIELD_WORDS
from app.storage.audit import PHI_COLUMNS as PHI
from app.storage.audit import PHI_MASK, SECRET_COLUMNS, SECRET_MASK
from app.storage.models import KEPT_COLUMNS, Base
from app.storage.server_names import DOOR_PASSWORD, GROUP_ROLES, ServerNames

#: Raised with each change to what ``install`` makes; the open checks it (an older setup is renewed).
SETUP_VERSION = 2

#: Tables whose changes the trigger records (every table the app's own log records on a file).
NOT_AUDITED = frozenset({"audit_log", "audit_head", "audit_signatures", "alembic_version", "sign_in_failures",
                         "person_keys"})
#: Written by the sign-in and the reminders without an entry (as on a file); kept by the database's
#: own triggers (``app.storage.models.KEPT_COLUMNS``: a case's first dosimetry date).
UNAUDITED_COLUMNS = {"users": ("last_sign_in_at", "last_digest_at", "version"), **KEPT_COLUMNS}
#: The columns that identify a patient: readable only by the roles that may export them.
PHI_COLUMNS = {"cases": PHI_CASE_FIELDS}
#: The roles that may read (and export) patient identifiers.
IDENTIFIED_ROLES = ("admin", "coordinator")
#: The facility columns a coordinator's workbook import writes (not the settings: idle lock, date
#: format, time zone).
WORKBOOK_FACILITY_COLUMNS = ("name", "kind", "radiation_oncologists", "joined_on", "baseline_year",
                             "active_projects", "enrollment_period_start", "policy_year")

_ALL = "INSERT, UPDATE, DELETE"
#: What each group may write, table by table (docs/security.md's role table; reading is below).
WRITES: dict[str, dict[str, str]] = {
    "facility": {"admin": _ALL, "coordinator": "INSERT, UPDATE ({})".format(", ".join(WORKBOOK_FACILITY_COLUMNS))},
    "staff": {"admin": _ALL, "coordinator": _ALL},
    "role_assignments": {"admin": _ALL, "coordinator": _ALL},
    "absences": {"admin": _ALL, "coordinator": _ALL},
    "cases": {"admin": _ALL, "coordinator": _ALL},
    "data_entries": {"admin": _ALL, "coordinator": _ALL},
    # a coordinator's workbook import carries the dosimetry sheet: it adds and corrects, never deletes
    "dosimetry_submissions": {"admin": _ALL, "physics": _ALL, "coordinator": "INSERT, UPDATE"},
    "meetings": {"admin": _ALL, "coordinator": _ALL},
    "attendance": {"admin": _ALL, "coordinator": _ALL},
    "correspondence": {"admin": _ALL, "coordinator": _ALL},
    "program_years": {"admin": _ALL, "coordinator": _ALL},
    "screening_profiles": {"admin": _ALL, "coordinator": _ALL},
    "finding_reviews": {"admin": _ALL, "coordinator": _ALL, "reviewer": _ALL},
    "qip_episodes": {"admin": _ALL, "reviewer": _ALL},
    "qip_steps": {"admin": _ALL, "reviewer": _ALL},
    "installed_policies": {"admin": _ALL},
}
#: Nobody reads these but the definer functions (lockout counts; an earlier version's hashes).
UNREADABLE = frozenset({"sign_in_failures", "recovery_keys"})
#: Never readable: the self-audit key an earlier version kept (emptied by migration 0007).
HIDDEN_COLUMNS = {"signing_certificates": ("private_key_pem",)}


def _tables(connection: Connection) -> dict[str, list[str]]:
    """The app's tables at the database, each with its primary-key columns in order."""
    existing = set(sa.inspect(connection).get_table_names())
    return {t.name: [c.name for c in t.primary_key.columns] for t in Base.metadata.sorted_tables
            if t.name in existing}


def _columns(connection: Connection, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(connection).get_columns(table)]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _run(connection: Connection, sql: str) -> None:
    """One or more statements as they are (no parameters: a ``%`` in a function body is a ``%``)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def _render(sql: str, names: ServerNames) -> str:
    """``«admin»`` and friends → the database's role names (made of ``[a-z0-9_]``: safe as they are)."""
    values = {f"«{role}»": names.group(role) for role in GROUP_ROLES}
    values.update({"«people»": names.people, "«signin»": names.signin, "«recovery»": names.recovery,
                   "«prefix»": names.prefix})
    for token, value in values.items():
        sql = sql.replace(token, value)
    return sql


# ---- words: the record in people's words, as app/storage/audit_words.py says it --------------------


def _words_data() -> dict[str, str]:
    """The vocabulary the server's words need, as JSON literals (rendered from the app's own)."""
    labels = {**SPECIAL_LABELS, **ROLE_LABELS, **PROJECT_LABELS}  # label()'s order: projects, roles, special
    return {
        "labels": json.dumps(labels, ensure_ascii=False),
        "codes": json.dumps({code: label(code) for code in sorted(CODES)}, ensure_ascii=False),
        "fields": json.dumps(FIELD_WORDS, ensure_ascii=False),
        "steps": json.dumps({s.key: s.title for s in process_steps()}, ensure_ascii=False),
    }


_WORDS_SQL = r"""
CREATE OR REPLACE FUNCTION mroqc_label(p_code text) RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN p_code IS NULL OR p_code = '' THEN ''
    ELSE COALESCE(«labels»::jsonb ->> p_code,
                  upper(left(replace(p_code, '_', ' '), 1)) || lower(substr(replace(p_code, '_', ' '), 2))) END
$f$;

CREATE OR REPLACE FUNCTION mroqc_field_words(p_key text) RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN p_key ~ '(_gy|_pct|_cc)$' THEN
    (SELECT upper(left(w, 1)) || substr(w, 2) || u FROM (SELECT
       regexp_replace(regexp_replace(replace(regexp_replace(p_key, '(_gy|_pct|_cc)$', ''), '_', ' '),
                                     '\mv(\d+)\M', 'V\1', 'g'), '\md(\d+)\M', 'D\1', 'g') AS w,
       CASE WHEN p_key ~ '_gy$' THEN ' (Gy)' WHEN p_key ~ '_pct$' THEN ' (%)' ELSE ' (cc)' END AS u) x)
    ELSE COALESCE(«fields»::jsonb ->> p_key, replace(p_key, '_', ' ')) END
$f$;

CREATE OR REPLACE FUNCTION mroqc_value_words(v json) RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = public, pg_temp AS $f$
DECLARE s text; parts text[]; kind text := json_typeof(v);
BEGIN
  IF v IS NULL OR kind = 'null' THEN RETURN '(blank)'; END IF;
  IF kind = 'boolean' THEN RETURN CASE WHEN v::text = 'true' THEN 'yes' ELSE 'no' END; END IF;
  IF kind = 'number' THEN RETURN v::text; END IF;
  IF kind = 'string' THEN
    s := v #>> '{}';
    IF s = '' THEN RETURN '(blank)'; END IF;
    IF s ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$' THEN
      RETURN to_char(s::timestamp, 'YYYY-MM-DD HH24:MI:SS') || ' UTC';
    END IF;
    IF «codes»::jsonb ? s THEN RETURN «codes»::jsonb ->> s; END IF;
    IF position(',' IN s) > 0 THEN
      parts := string_to_array(s, ',');
      IF NOT EXISTS (SELECT 1 FROM unnest(parts) p WHERE NOT «codes»::jsonb ? p) THEN
        RETURN (SELECT string_agg(«codes»::jsonb ->> p, ', ' ORDER BY o) FROM unnest(parts) WITH ORDINALITY t(p, o));
      END IF;
    END IF;
    RETURN s;
  END IF;
  IF kind = 'object' THEN
    IF NOT EXISTS (SELECT 1 FROM json_each(v)) THEN RETURN '(blank)'; END IF;
    RETURN '(' || (SELECT string_agg(mroqc_field_words(key) || ' ' || mroqc_value_words(value), ', ')
                   FROM json_each(v)) || ')';
  END IF;
  IF json_array_length(v) = 0 THEN RETURN '(blank)'; END IF;
  RETURN (SELECT string_agg(mroqc_value_words(e), ', ') FROM json_array_elements(v) e);
END $f$;

CREATE OR REPLACE FUNCTION mroqc_subject_words(s json) RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = public, pg_temp AS $f$
DECLARE t text;
BEGIN
  IF s IS NULL OR json_typeof(s) <> 'object' OR NOT EXISTS (SELECT 1 FROM json_each(s)) THEN
    RETURN 'the facility';
  END IF;
  SELECT string_agg(CASE WHEN key IN ('project', 'role', 'kind') THEN mroqc_value_words(value)
                         ELSE mroqc_field_words(key) || ' ' || mroqc_value_words(value) END, ', ')
    INTO t FROM json_each(s);
  RETURN upper(left(t, 1)) || substr(t, 2);
END $f$;

CREATE OR REPLACE FUNCTION mroqc_words(p_table text, p_key text, v json) RETURNS text LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE t text; who text := ''; staff_name text; sid text := NULLIF(v ->> 'staff_id', '');
  cid text := NULLIF(v ->> 'case_id', ''); the_case text;
BEGIN
  the_case := CASE WHEN cid IS NOT NULL THEN 'case ' || cid ELSE '' END;
  IF p_table IN ('role_assignments', 'attendance', 'absences') AND sid IS NOT NULL THEN
    SELECT name INTO staff_name FROM staff WHERE staff_id = sid;
    who := CASE WHEN staff_name IS NOT NULL AND staff_name <> '' THEN sid || ' ' || staff_name ELSE sid END;
  END IF;
  t := CASE p_table
    WHEN 'cases' THEN 'case ' || COALESCE(cid, p_key)
    WHEN 'dosimetry_submissions' THEN array_to_string(array_remove(ARRAY[the_case,
      CASE WHEN NULLIF(v ->> 'submitted_on', '') IS NOT NULL THEN 'dosimetry submitted ' || left(v ->> 'submitted_on', 10)
           ELSE '' END], ''), ': ')
    WHEN 'data_entries' THEN array_to_string(array_remove(ARRAY[the_case,
      CASE WHEN NULLIF(v ->> 'kind', '') IS NOT NULL THEN mroqc_label(v ->> 'kind') || ' data entry on '
           || COALESCE(left(NULLIF(v ->> 'date', ''), 10), '?') ELSE '' END], ''), ': ')
    WHEN 'finding_reviews' THEN CASE WHEN NULLIF(v ->> 'rule', '') IS NOT NULL
      THEN 'review of ' || (v ->> 'rule') || ', ' || mroqc_subject_words(v -> 'subject') ELSE '' END
    WHEN 'staff' THEN trim(COALESCE(NULLIF(v ->> 'staff_id', ''), p_key) || ' ' || COALESCE(v ->> 'name', ''))
    WHEN 'role_assignments' THEN array_to_string(array_remove(ARRAY[
      CASE WHEN NULLIF(v ->> 'role', '') IS NOT NULL THEN mroqc_label(v ->> 'role') ELSE '' END, who], ''), ': ')
    WHEN 'attendance' THEN array_to_string(array_remove(ARRAY[
      CASE WHEN NULLIF(v ->> 'meeting_id', '') IS NOT NULL THEN 'meeting ' || (v ->> 'meeting_id') ELSE '' END,
      CASE WHEN NULLIF(v ->> 'role', '') IS NOT NULL AND sid IS NOT NULL
           THEN who || ' (' || mroqc_label(v ->> 'role') || ')' ELSE who END], ''), ': ')
    WHEN 'absences' THEN CASE WHEN sid IS NOT NULL THEN array_to_string(array_remove(ARRAY[who,
        CASE WHEN NULLIF(v ->> 'kind', '') IS NOT NULL THEN mroqc_label(v ->> 'kind') || ' '
             || COALESCE(left(NULLIF(v ->> 'start', ''), 10), '?') || ' to '
             || COALESCE(left(NULLIF(v ->> 'end', ''), 10), '?') ELSE '' END], ''), ': ')
      ELSE CASE WHEN NULLIF(v ->> 'start', '') IS NOT NULL THEN 'enrollment pause ('
             || CASE WHEN NULLIF(v ->> 'project', '') IS NOT NULL THEN mroqc_label(v ->> 'project') ELSE 'every project' END
             || ') ' || left(v ->> 'start', 10) || ' to ' || COALESCE(left(NULLIF(v ->> 'end', ''), 10), '?')
           ELSE '' END END
    WHEN 'meetings' THEN 'meeting ' || COALESCE(NULLIF(v ->> 'meeting_id', ''), p_key)
    WHEN 'correspondence' THEN array_to_string(array_remove(ARRAY[
      CASE WHEN NULLIF(v ->> 'letter_id', '') IS NOT NULL THEN 'letter ' || (v ->> 'letter_id') ELSE '' END,
      COALESCE(v ->> 'subject', '')], ''), ': ')
    WHEN 'program_years' THEN 'program year ' || COALESCE(NULLIF(NULLIF(v ->> 'year', ''), '0'), p_key)
    WHEN 'qip_episodes' THEN CASE WHEN NULLIF(v ->> 'rule', '') IS NOT NULL
      THEN 'QIP episode ' || COALESCE(NULLIF(NULLIF(v ->> 'id', ''), '0'), p_key) || ': ' || (v ->> 'rule') || ', '
           || mroqc_subject_words(v -> 'subject') ELSE '' END
    WHEN 'qip_steps' THEN CASE WHEN NULLIF(NULLIF(v ->> 'episode_id', ''), '0') IS NOT NULL
                               AND NULLIF(v ->> 'step', '') IS NOT NULL
      THEN 'QIP episode ' || (v ->> 'episode_id') || ': ' || COALESCE(«steps»::jsonb ->> (v ->> 'step'), v ->> 'step')
      ELSE '' END
    WHEN 'users' THEN CASE WHEN NULLIF(v ->> 'name', '') IS NOT NULL THEN 'user ' || (v ->> 'name') ELSE '' END
    WHEN 'screening_profiles' THEN CASE WHEN NULLIF(v ->> 'name', '') IS NOT NULL
      THEN 'screening profile ' || (v ->> 'name') ELSE '' END
    WHEN 'facility' THEN CASE WHEN NULLIF(v ->> 'name', '') IS NOT NULL THEN 'facility ' || (v ->> 'name') ELSE '' END
    WHEN 'recovery_keys' THEN 'the recovery key'
    WHEN 'signing_certificates' THEN 'the self-audit signing certificate'
    ELSE NULL END;
  RETURN left(NULLIF(t, ''), 200);
END $f$;
"""


# ---- the audit log: appended, hashed and announced by the server ----------------------------------------

_AUDIT_SQL = r"""
CREATE OR REPLACE FUNCTION mroqc_is_owner() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
  SELECT session_user = (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
      OR COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
$f$;

-- who this connection is, in the facility's words: the user whose login it is, the recovery key,
-- or else the server role's own name (IT with psql, the owner during an upgrade)
CREATE OR REPLACE FUNCTION mroqc_me() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN session_user = '«recovery»' THEN '(recovery key)'
    ELSE COALESCE((SELECT name FROM users WHERE server_role = session_user LIMIT 1), session_user::text) END
$f$;

-- this connection's app role, as the server's groups say (never as the users table says)
CREATE OR REPLACE FUNCTION mroqc_my_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN pg_has_role(session_user, '«admin»', 'MEMBER') THEN 'admin'
              WHEN pg_has_role(session_user, '«coordinator»', 'MEMBER') THEN 'coordinator'
              WHEN pg_has_role(session_user, '«physics»', 'MEMBER') THEN 'physics'
              WHEN pg_has_role(session_user, '«reviewer»', 'MEMBER') THEN 'reviewer' END
$f$;

CREATE OR REPLACE FUNCTION mroqc_require_admin() RETURNS void LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
BEGIN
  IF mroqc_is_owner() OR pg_has_role(session_user, '«admin»', 'MEMBER') THEN RETURN; END IF;
  RAISE EXCEPTION 'not allowed: only an administrator may manage users, roles, the recovery key and certificates'
    USING ERRCODE = '42501';
END $f$;

-- the data-quality checks that need a patient's identifiers, for the roles that may not read them
-- (physics, reviewers): only which cases fail, never a birth date or an MRN
CREATE OR REPLACE FUNCTION mroqc_age_outside(p_min integer, p_max integer)
  RETURNS TABLE (case_id text, project text, eligible_on date, status text, enrolled_on date, age_years integer)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
  SELECT * FROM (
    SELECT c.case_id::text, c.project::text, c.eligible_on, c.status::text, c.enrolled_on,
           date_part('year', age(c.eligible_on, c.birth_date))::integer AS age_years
    FROM cases c WHERE c.birth_date IS NOT NULL AND c.eligible_on IS NOT NULL) a
  WHERE a.age_years < p_min OR a.age_years > p_max
$f$;

CREATE OR REPLACE FUNCTION mroqc_same_mrn()
  RETURNS TABLE (case_id text, project text, eligible_on date, mrn_group text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
  SELECT c.case_id::text, c.project::text, c.eligible_on, g.first_case
  FROM cases c JOIN (SELECT mrn, project, min(case_id)::text AS first_case FROM cases
                     WHERE mrn IS NOT NULL AND mrn <> '' GROUP BY mrn, project HAVING count(*) > 1) g
    ON g.mrn = c.mrn AND g.project = c.project
$f$;

CREATE OR REPLACE FUNCTION mroqc_setup_version() RETURNS integer LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp AS $f$ SELECT «version» $f$;

-- one entry at the end of the chain: numbered, hashed exactly as app/storage/audit_chain.py hashes,
-- the head moved, the change announced; the head's row lock makes every workstation's entries one chain
CREATE OR REPLACE FUNCTION mroqc_append(p_action text, p_table text, p_key text, p_before text, p_after text,
                                        p_summary text, p_user text DEFAULT NULL, p_at timestamp DEFAULT NULL,
                                        p_change_set text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE h record; v_id integer; v_at timestamp; v_user text; v_cs text; v_hash text; v_canon text;
BEGIN
  v_user := COALESCE(p_user, mroqc_me());
  v_cs := COALESCE(p_change_set, NULLIF(current_setting('mroqc.change_set', true), ''));
  IF v_cs IS NULL THEN v_cs := 'tx' || txid_current()::text; END IF;
  v_at := COALESCE(p_at, date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC'));
  SELECT last_id, last_hash, entries INTO h FROM audit_head WHERE id = 1 FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_head (id, last_id, last_hash, entries)
      SELECT 1, COALESCE(max(id), 0), COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)),
             count(*) FROM audit_log;
    SELECT last_id, last_hash, entries INTO h FROM audit_head WHERE id = 1 FOR UPDATE;
  END IF;
  v_id := h.last_id + 1;
  p_summary := left(p_summary, 300);
  v_canon := '{"action":' || to_json(p_action)::text
    || ',"after":' || COALESCE(to_json(p_after)::text, 'null')
    || ',"at":' || to_json(to_char(v_at, 'YYYY-MM-DD HH24:MI:SS'))::text
    || ',"before":' || COALESCE(to_json(p_before)::text, 'null')
    || ',"change_set":' || to_json(v_cs)::text
    || ',"id":' || v_id::text
    || ',"record_key":' || to_json(p_key)::text
    || ',"summary":' || COALESCE(to_json(p_summary)::text, 'null')
    || ',"table_name":' || to_json(p_table)::text
    || ',"user":' || to_json(v_user)::text || '}';
  v_hash := encode(sha256(convert_to(h.last_hash || E'\n' || v_canon, 'UTF8')), 'hex');
  INSERT INTO audit_log (id, "at", "user", action, table_name, record_key, "before", "after", change_set, summary, hash)
    VALUES (v_id, v_at, v_user, p_action, p_table, p_key, p_before::json, p_after::json, v_cs, p_summary, v_hash);
  UPDATE audit_head SET last_id = v_id, last_hash = v_hash, entries = h.entries + 1 WHERE id = 1;
  PERFORM pg_notify('mroqc_desk_changes', json_build_object('cs', v_cs, 't', json_build_array(p_table))::text);
  RETURN v_id;
END $f$;

-- an entry of this transaction, appended to the chain when it commits (mroqc_flush_audit): the chain's
-- head is locked last, after every row the transaction writes, so two workstations changing the same
-- rows in another order wait for each other as they would without an audit log, never deadlock on it
CREATE OR REPLACE FUNCTION mroqc_queue(p_action text, p_table text, p_key text, p_before text, p_after text,
                                       p_summary text, p_user text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  INSERT INTO audit_pending (txid, action, table_name, record_key, "before", "after", summary, "user", "at", change_set)
    VALUES (txid_current(), p_action, p_table, p_key, p_before, p_after, left(p_summary, 300), COALESCE(p_user, mroqc_me()),
            date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC'),
            COALESCE(NULLIF(current_setting('mroqc.change_set', true), ''), 'tx' || txid_current()::text));
  RETURN 0;
END $f$;

-- at commit (or when the app asks for it first, to sign: SET CONSTRAINTS ALL IMMEDIATE): this
-- transaction's entries, in order, at the end of the chain
CREATE OR REPLACE FUNCTION mroqc_flush_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE p record;
BEGIN
  FOR p IN SELECT * FROM audit_pending WHERE txid = txid_current() ORDER BY seq LOOP
    PERFORM mroqc_append(p.action, p.table_name, p.record_key, p."before", p."after", p.summary, p."user", p."at",
                         p.change_set);
  END LOOP;
  DELETE FROM audit_pending WHERE txid = txid_current();
  RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_masked(p_table text, v jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE
SET search_path = public, pg_temp AS $f$
DECLARE k text; hidden jsonb := «masks»::jsonb -> p_table;
BEGIN
  IF v IS NULL OR hidden IS NULL THEN RETURN v; END IF;
  FOR k IN SELECT jsonb_object_keys(hidden) LOOP
    IF v ? k AND v -> k <> 'null'::jsonb THEN v := jsonb_set(v, ARRAY[k], hidden -> k); END IF;
  END LOOP;
  RETURN v;
END $f$;

-- the trigger on every audited table: one entry per row changed, whoever changed it and however
CREATE OR REPLACE FUNCTION mroqc_audit_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE o jsonb; n jsonb; b jsonb; a jsonb; v_key text; v_action text; quiet text[];
BEGIN
  IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
  SELECT string_agg(COALESCE(COALESCE(n, o) ->> c, 'None'), '/' ORDER BY ord) INTO v_key
    FROM unnest(TG_ARGV) WITH ORDINALITY AS t(c, ord);
  IF TG_OP = 'UPDATE' THEN
    SELECT jsonb_object_agg(k, o -> k), jsonb_object_agg(k, n -> k) INTO b, a
      FROM jsonb_object_keys(n) AS k WHERE k <> 'version' AND (o -> k) IS DISTINCT FROM (n -> k);
    IF b IS NULL THEN RETURN NULL; END IF;
    quiet := ARRAY(SELECT jsonb_array_elements_text(«quiet»::jsonb -> TG_TABLE_NAME));
    IF NOT EXISTS (SELECT 1 FROM jsonb_object_keys(a) k WHERE k <> ALL (quiet)) THEN RETURN NULL; END IF;
    v_action := 'update';
  ELSIF TG_OP = 'INSERT' THEN
    a := n; v_action := 'insert';
  ELSE
    b := o; v_action := 'delete';
  END IF;
  PERFORM mroqc_queue(v_action, TG_TABLE_NAME, v_key, mroqc_masked(TG_TABLE_NAME, b)::text,
                       mroqc_masked(TG_TABLE_NAME, a)::text,
                       mroqc_words(TG_TABLE_NAME, v_key, CASE WHEN TG_OP = 'DELETE' THEN to_json(OLD) ELSE to_json(NEW) END));
  RETURN NULL;
END $f$;

-- a note: an operation rather than a record (a sign-in, an export, an integrity alarm), in the caller's name
CREATE OR REPLACE FUNCTION mroqc_note(p_table text, p_key text, p_summary text, p_after text DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  IF p_after IS NOT NULL THEN PERFORM p_after::json; END IF;
  RETURN mroqc_queue('note', left(COALESCE(p_table, '-'), 60), left(COALESCE(p_key, '-'), 200), NULL, p_after,
                      COALESCE(p_summary, ''));
END $f$;
"""


# ---- sign-in: the door counts before the password is tried --------------------------------------------

_SIGNIN_SQL = r"""
CREATE OR REPLACE FUNCTION mroqc_failure_name(p_name text) RETURNS text LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $f$
  -- what was typed is never written down (it may be a password typed as a name): a digest of it
  SELECT 'h:' || left(encode(sha256(convert_to(current_database() || '|' || p_name, 'UTF8')), 'hex'), 32)
$f$;

CREATE OR REPLACE FUNCTION mroqc_login_name(p_user text) RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN octet_length('«prefix».' || p_user) <= 63 THEN '«prefix».' || p_user
    ELSE '«prefix».' || convert_from(substring(convert_to(p_user, 'UTF8') FROM 1 FOR 63 - «prefix_bytes» - 8), 'UTF8')
         || '~' || left(encode(sha256(convert_to(p_user, 'UTF8')), 'hex'), 6) END
$f$;

-- until when a name is locked (NULL: it may try), from its recorded failures; lockout.py's rule
CREATE OR REPLACE FUNCTION mroqc_locked_until(p_key text, p_now timestamp) RETURNS timestamp LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $f$
  SELECT min(reached + interval '«lock» minutes') FROM (
    SELECT at AS reached, lag(at, «attempts» - 1) OVER (ORDER BY at) AS first FROM sign_in_failures WHERE name = p_key) f
  WHERE first IS NOT NULL AND reached - first <= interval '«window» minutes'
    AND p_now < reached + interval '«lock» minutes'
$f$;

CREATE OR REPLACE FUNCTION mroqc_login_of(p_name text) RETURNS text LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $f$
  SELECT CASE WHEN p_name = '(recovery key)' THEN '«recovery»'
    ELSE (SELECT server_role FROM users WHERE name = p_name AND server_role = mroqc_login_name(name)) END
$f$;

-- the door, before a password is tried: NULL (go ahead: this attempt is already counted as a failed
-- one, forgotten when it succeeds) or until when the name is locked. A lock per name makes parallel
-- guesses wait for each other, so they get exactly the attempts the policy allows.
CREATE OR REPLACE FUNCTION mroqc_sign_in_attempt(p_name text) RETURNS timestamp LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_key text := mroqc_failure_name(p_name); v_now timestamp;
  v_until timestamp; v_login text := mroqc_login_of(p_name);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('mroqc sign-in|' || v_key));
  v_now := clock_timestamp() AT TIME ZONE 'UTC';  -- (after the lock: later than every attempt counted before)
  DELETE FROM sign_in_failures WHERE name = v_key AND at < v_now - interval '1 day';
  v_until := mroqc_locked_until(v_key, v_now);
  IF v_until IS NOT NULL THEN RETURN v_until; END IF;
  -- a lock that ended gives the login's password back
  IF v_login IS NOT NULL AND (SELECT rolvaliduntil FROM pg_roles WHERE rolname = v_login) = '-infinity' THEN
    EXECUTE format('ALTER ROLE %I VALID UNTIL %L', v_login, 'infinity');
  END IF;
  INSERT INTO sign_in_failures (name, at) VALUES (v_key, v_now);
  RETURN NULL;
END $f$;

-- the door, after the password was refused: the attempt stays counted, the audit log says so (as
-- nobody's), and a name that reached the limit has its login's password made invalid until the lock ends
CREATE OR REPLACE FUNCTION mroqc_sign_in_failed(p_name text, p_where text) RETURNS timestamp LANGUAGE plpgsql
VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_key text := mroqc_failure_name(p_name); v_now timestamp;
  v_until timestamp; v_login text := mroqc_login_of(p_name); v_known boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('mroqc sign-in|' || v_key));
  v_now := clock_timestamp() AT TIME ZONE 'UTC';
  v_known := p_name = '(recovery key)' OR EXISTS (SELECT 1 FROM users WHERE name = p_name);
  PERFORM mroqc_append('note', 'users', '-', NULL, NULL,
    'failed sign-in: not signed in, tried ' || CASE WHEN p_name = '(recovery key)' THEN 'the recovery key'
      WHEN v_known THEN p_name ELSE 'an unknown name' END || ' at workstation ' || left(COALESCE(p_where, '?'), 100),
    '(not signed in)');
  v_until := mroqc_locked_until(v_key, v_now);
  IF v_until IS NOT NULL AND v_login IS NOT NULL THEN
    EXECUTE format('ALTER ROLE %I VALID UNTIL %L', v_login, '-infinity');
  END IF;
  RETURN v_until;
END $f$;

-- the person, once the server let them in: who they are here, in which role (the server's groups)
CREATE OR REPLACE FUNCTION mroqc_signed_in(p_where text)
RETURNS TABLE (user_name text, app_role text, must_change boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record; v_role text := mroqc_my_role(); v_now timestamp := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
BEGIN
  IF session_user = '«recovery»' THEN
    DELETE FROM sign_in_failures WHERE name = mroqc_failure_name('(recovery key)');
    PERFORM mroqc_queue('note', 'users', '(recovery key)', NULL, NULL, 'signed in with the recovery key');
    RETURN QUERY SELECT '(recovery key)'::text, 'admin'::text, false;
    RETURN;
  END IF;
  SELECT * INTO u FROM users WHERE server_role = session_user;
  IF NOT FOUND OR u.disabled OR v_role IS NULL THEN
    RAISE EXCEPTION 'sign-in failed: the server account % is no active user of this facility', session_user
      USING ERRCODE = '28000';
  END IF;
  DELETE FROM sign_in_failures WHERE name = mroqc_failure_name(u.name);
  UPDATE users SET last_sign_in_at = v_now WHERE id = u.id;
  PERFORM mroqc_queue('note', 'users', u.name, NULL, NULL,
                       'signed in' || CASE WHEN p_where IS NULL THEN '' ELSE ' at workstation ' || left(p_where, 100) END);
  RETURN QUERY SELECT u.name::text, v_role, u.must_change_password;
END $f$;

-- the person proved their password again (the lock screen, switching user): their failures are forgotten
CREATE OR REPLACE FUNCTION mroqc_sign_in_forgotten() RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
BEGIN
  DELETE FROM sign_in_failures WHERE name = mroqc_failure_name(
    CASE WHEN session_user = '«recovery»' THEN '(recovery key)' ELSE (SELECT name FROM users WHERE server_role = session_user) END);
END $f$;

-- whether the facility has people yet (the Welcome screen's test of an address, through the door)
CREATE OR REPLACE FUNCTION mroqc_has_users() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$ SELECT EXISTS (SELECT 1 FROM users) $f$;

-- lockout state of every user (Settings → Users): the failures that count, by user name
CREATE OR REPLACE FUNCTION mroqc_failures() RETURNS TABLE (user_name text, at timestamp) LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  PERFORM mroqc_require_admin();
  RETURN QUERY SELECT u.name::text, date_trunc('second', f.at)
    FROM users u JOIN sign_in_failures f ON f.name = mroqc_failure_name(u.name);
END $f$;

CREATE OR REPLACE FUNCTION mroqc_unlock(p_name text) RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE v_login text := mroqc_login_of(p_name);
BEGIN
  PERFORM mroqc_require_admin();
  DELETE FROM sign_in_failures WHERE name = mroqc_failure_name(p_name);
  IF v_login IS NOT NULL AND (SELECT rolvaliduntil FROM pg_roles WHERE rolname = v_login) = '-infinity' THEN
    EXECUTE format('ALTER ROLE %I VALID UNTIL %L', v_login, 'infinity');
  END IF;
  PERFORM mroqc_queue('note', 'users', p_name, NULL, NULL, 'unlocked ' || p_name);
END $f$;
"""


# ---- users, roles, keys, certificates: only through these ------------------------------------------------

_USERS_SQL = r"""
CREATE OR REPLACE FUNCTION mroqc_check_verifier(p_verifier text) RETURNS void LANGUAGE plpgsql IMMUTABLE
SET search_path = public, pg_temp AS $f$
BEGIN
  -- a password reaches the server only as its SCRAM verifier (never as text a log could keep)
  IF p_verifier IS NULL OR p_verifier !~ '^SCRAM-SHA-256\$\d+:' THEN
    RAISE EXCEPTION 'a password is given to the server as its SCRAM-SHA-256 verifier only' USING ERRCODE = '22023';
  END IF;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_check_role(p_role text) RETURNS text LANGUAGE plpgsql IMMUTABLE
SET search_path = public, pg_temp AS $f$
BEGIN
  IF p_role NOT IN ('admin', 'coordinator', 'physics', 'reviewer') THEN
    RAISE EXCEPTION 'unknown role %', p_role USING ERRCODE = '22023';
  END IF;
  RETURN '«prefix»_' || p_role;
END $f$;

-- the database needs an administrator who can sign in
CREATE OR REPLACE FUNCTION mroqc_keep_an_admin(p_name text) RETURNS void LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $f$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND NOT disabled AND name <> p_name) THEN
    RAISE EXCEPTION 'the database needs at least one active administrator' USING ERRCODE = '23514';
  END IF;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_grant_group(p_login text, p_role text) RETURNS void LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp AS $f$
DECLARE g text;
BEGIN
  FOREACH g IN ARRAY ARRAY['«admin»', '«coordinator»', '«physics»', '«reviewer»'] LOOP
    IF pg_has_role(p_login, g, 'MEMBER') AND g <> '«prefix»_' || COALESCE(p_role, '') THEN
      EXECUTE format('REVOKE %I FROM %I', g, p_login);
    END IF;
  END LOOP;
  IF p_role IS NOT NULL AND NOT pg_has_role(p_login, mroqc_check_role(p_role), 'MEMBER') THEN
    EXECUTE format('GRANT %I TO %I', mroqc_check_role(p_role), p_login);
  END IF;
END $f$;

-- a new person: their login (made here with the first password's verifier, or the directory's login
-- named by p_login), their group, their row, their wrapped keys
CREATE OR REPLACE FUNCTION mroqc_add_user(p_name text, p_full_name text, p_role text, p_staff_id text,
                                          p_verifier text, p_keys text, p_login text DEFAULT NULL,
                                          p_must_change boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_login text; v_now timestamp := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC'); r record;
BEGIN
  PERFORM mroqc_require_admin();
  PERFORM mroqc_check_role(p_role);
  IF p_name !~ '^[a-z0-9][a-z0-9._@-]{0,63}$' THEN
    RAISE EXCEPTION 'a user name is 1–64 letters, digits, ".", "_", "@" or "-"' USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT 1 FROM users WHERE name = p_name) THEN
    RAISE EXCEPTION 'there already is a user %', p_name USING ERRCODE = '23505';
  END IF;
  IF p_login IS NULL THEN
    PERFORM mroqc_check_verifier(p_verifier);
    v_login := mroqc_login_name(p_name);
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_login) THEN
      RAISE EXCEPTION 'the server already has a login %: ask IT to remove it first', v_login USING ERRCODE = '42710';
    END IF;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', v_login, p_verifier);
  ELSE
    v_login := p_login;
    SELECT * INTO r FROM pg_roles WHERE rolname = v_login;
    IF FOUND AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
                  OR v_login IN ('«admin»', '«coordinator»', '«physics»', '«reviewer»', '«people»', '«signin»',
                                 '«recovery»')
                  OR v_login = (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
                  OR EXISTS (SELECT 1 FROM users WHERE server_role = v_login)) THEN
      RAISE EXCEPTION 'the server account % cannot be a person of this facility (it is privileged or taken)', v_login
        USING ERRCODE = '42501';
    END IF;
    IF NOT FOUND THEN
      EXECUTE format('CREATE ROLE %I LOGIN', v_login);  -- the directory checks who it is; no password here
    END IF;
  END IF;
  PERFORM mroqc_grant_group(v_login, p_role);
  INSERT INTO users (name, full_name, role, disabled, must_change_password, password_hash, created_at,
                     password_changed_at, staff_id, server_role, version)
    VALUES (p_name, NULLIF(trim(p_full_name), ''), p_role, false, p_must_change AND p_login IS NULL, NULL, v_now, v_now,
            NULLIF(trim(p_staff_id), ''), v_login, 1);
  IF p_keys IS NOT NULL THEN
    INSERT INTO person_keys (user_name, server_role, slot, sealed, updated_at) VALUES (p_name, v_login, p_keys, NULL, v_now);
  END IF;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_set_role(p_name text, p_role text, p_sealed text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record;
BEGIN
  PERFORM mroqc_require_admin();
  PERFORM mroqc_check_role(p_role);
  SELECT * INTO u FROM users WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'there is no user %', p_name USING ERRCODE = '22023'; END IF;
  IF u.role = 'admin' AND p_role <> 'admin' THEN PERFORM mroqc_keep_an_admin(p_name); END IF;
  IF NOT u.disabled AND u.server_role IS NOT NULL THEN PERFORM mroqc_grant_group(u.server_role, p_role); END IF;
  UPDATE users SET role = p_role WHERE id = u.id;
  IF p_role <> 'admin' THEN  -- no longer an administrator: their copy of the facility CA's key goes
    UPDATE person_keys SET slot = (jsonb_set(slot::jsonb, '{slot,boxes}',
                                             COALESCE(slot::jsonb #> '{slot,boxes}', '{}'::jsonb) - 'authority'))::text,
                           sealed = NULL
      WHERE user_name = p_name;
  ELSIF p_sealed IS NOT NULL THEN  -- the facility CA's key handed over, sealed to their own key
    PERFORM p_sealed::json;
    UPDATE person_keys SET sealed = p_sealed WHERE user_name = p_name;
  END IF;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_disable_user(p_name text) RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = public, pg_temp AS $f$
DECLARE u record;
BEGIN
  PERFORM mroqc_require_admin();
  SELECT * INTO u FROM users WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'there is no user %', p_name USING ERRCODE = '22023'; END IF;
  IF u.server_role = session_user THEN
    RAISE EXCEPTION 'you cannot disable your own account' USING ERRCODE = '42501';
  END IF;
  IF u.role = 'admin' THEN PERFORM mroqc_keep_an_admin(p_name); END IF;
  IF u.server_role IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = u.server_role) THEN
    PERFORM mroqc_grant_group(u.server_role, NULL);  -- no group: nothing of this database's any more
    IF u.server_role = mroqc_login_name(u.name) THEN  -- a login the app made: it logs in nowhere
      EXECUTE format('ALTER ROLE %I NOLOGIN PASSWORD NULL', u.server_role);
    END IF;
  END IF;
  UPDATE users SET disabled = true, password_hash = NULL WHERE id = u.id;
  DELETE FROM person_keys WHERE user_name = p_name;
END $f$;

-- returns whether the person needs a first password (a login the app made lost its password when disabled)
CREATE OR REPLACE FUNCTION mroqc_enable_user(p_name text) RETURNS boolean LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record; v_needs boolean := false;
BEGIN
  PERFORM mroqc_require_admin();
  SELECT * INTO u FROM users WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'there is no user %', p_name USING ERRCODE = '22023'; END IF;
  IF u.server_role IS NOT NULL AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = u.server_role) THEN
    PERFORM mroqc_grant_group(u.server_role, u.role);
    IF u.server_role = mroqc_login_name(u.name) THEN
      v_needs := (SELECT NOT rolcanlogin FROM pg_roles WHERE rolname = u.server_role);
    END IF;
  ELSE
    v_needs := true;
  END IF;
  UPDATE users SET disabled = false, must_change_password = must_change_password OR v_needs WHERE id = u.id;
  RETURN v_needs;
END $f$;

-- a first password set by an administrator (to be changed at the next sign-in), with new keys
CREATE OR REPLACE FUNCTION mroqc_reset_password(p_name text, p_verifier text, p_keys text,
                                                p_must_change boolean DEFAULT true) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record; v_login text; v_now timestamp := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
BEGIN
  PERFORM mroqc_require_admin();
  PERFORM mroqc_check_verifier(p_verifier);
  SELECT * INTO u FROM users WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'there is no user %', p_name USING ERRCODE = '22023'; END IF;
  v_login := mroqc_login_name(p_name);
  IF u.server_role IS NOT NULL AND u.server_role <> v_login THEN
    RAISE EXCEPTION '% signs in with the directory''s login %: its password is the directory''s', p_name, u.server_role
      USING ERRCODE = '42501';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_login) THEN
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L VALID UNTIL %L', v_login, p_verifier, 'infinity');
  ELSE
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', v_login, p_verifier);
  END IF;
  IF NOT u.disabled THEN PERFORM mroqc_grant_group(v_login, u.role); END IF;
  UPDATE users SET server_role = v_login, must_change_password = p_must_change, password_changed_at = v_now,
                   password_hash = NULL
    WHERE id = u.id;
  DELETE FROM person_keys WHERE user_name = p_name;
  IF p_keys IS NOT NULL THEN
    INSERT INTO person_keys (user_name, server_role, slot, sealed, updated_at) VALUES (p_name, v_login, p_keys, NULL, v_now);
  END IF;
  DELETE FROM sign_in_failures WHERE name = mroqc_failure_name(p_name);
  PERFORM mroqc_queue('note', 'users', p_name, NULL, NULL, 'password of ' || p_name || ' reset by an administrator');
END $f$;

-- an existing user (moved from a file, or an earlier version's shared database) signs in with the
-- directory's login p_login from now on
CREATE OR REPLACE FUNCTION mroqc_attach_login(p_name text, p_login text) RETURNS void LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record; r record;
BEGIN
  PERFORM mroqc_require_admin();
  SELECT * INTO u FROM users WHERE name = p_name FOR UPDATE;
  IF NOT FOUND THEN RAISE EXCEPTION 'there is no user %', p_name USING ERRCODE = '22023'; END IF;
  SELECT * INTO r FROM pg_roles WHERE rolname = p_login;
  IF FOUND AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls
                OR p_login IN ('«admin»', '«coordinator»', '«physics»', '«reviewer»', '«people»', '«signin»', '«recovery»')
                OR p_login = (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
                OR EXISTS (SELECT 1 FROM users WHERE server_role = p_login AND name <> p_name)) THEN
    RAISE EXCEPTION 'the server account % cannot be a person of this facility (it is privileged or taken)', p_login
      USING ERRCODE = '42501';
  END IF;
  IF NOT FOUND THEN
    EXECUTE format('CREATE ROLE %I LOGIN', p_login);
  END IF;
  IF NOT u.disabled THEN PERFORM mroqc_grant_group(p_login, u.role); END IF;
  UPDATE users SET server_role = p_login, must_change_password = false, password_hash = NULL WHERE id = u.id;
  DELETE FROM person_keys WHERE user_name = p_name;
  -- keys they had (in a file's key slot) stay there: nothing here is signed with them any more
  UPDATE user_certificates SET superseded_at = date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC')
    WHERE user_name = p_name AND superseded_at IS NULL;
END $f$;

-- the signed-in person's own password (and their keys, wrapped under it again)
CREATE OR REPLACE FUNCTION mroqc_change_own_password(p_verifier text, p_keys text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record; v_now timestamp := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
BEGIN
  PERFORM mroqc_check_verifier(p_verifier);
  SELECT * INTO u FROM users WHERE server_role = session_user FOR UPDATE;
  IF NOT FOUND OR u.server_role <> mroqc_login_name(u.name) THEN
    RAISE EXCEPTION 'only a person whose login this app made changes its password here' USING ERRCODE = '42501';
  END IF;
  EXECUTE format('ALTER ROLE %I PASSWORD %L', u.server_role, p_verifier);
  UPDATE users SET must_change_password = false, password_changed_at = v_now WHERE id = u.id;
  IF p_keys IS NOT NULL THEN
    UPDATE person_keys SET slot = p_keys, updated_at = v_now WHERE user_name = u.name;
  END IF;
  PERFORM mroqc_queue('note', 'users', u.name, NULL, NULL, 'changed own password');
END $f$;

-- the person's own keys: made at their first sign-in (an account older than keys), or re-wrapped
-- when they took what was sealed to them (the facility CA's key, as a new administrator)
CREATE OR REPLACE FUNCTION mroqc_put_own_keys(p_keys text, p_took_sealed boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE u record; v_now timestamp := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
BEGIN
  SELECT * INTO u FROM users WHERE server_role = session_user;
  IF NOT FOUND THEN RAISE EXCEPTION 'no user of this facility' USING ERRCODE = '42501'; END IF;
  PERFORM p_keys::json;
  INSERT INTO person_keys (user_name, server_role, slot, sealed, updated_at) VALUES (u.name, u.server_role, p_keys, NULL, v_now)
    ON CONFLICT (user_name) DO UPDATE SET slot = EXCLUDED.slot, updated_at = EXCLUDED.updated_at,
      sealed = CASE WHEN p_took_sealed THEN NULL ELSE person_keys.sealed END;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_set_staff(p_name text, p_staff_id text) RETURNS void LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  PERFORM mroqc_require_admin();
  UPDATE users SET staff_id = NULLIF(trim(p_staff_id), '') WHERE name = p_name;
  IF NOT FOUND THEN RAISE EXCEPTION 'there is no user %', p_name USING ERRCODE = '22023'; END IF;
END $f$;

CREATE OR REPLACE FUNCTION mroqc_set_recovery_key(p_verifier text) RETURNS void LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $f$
BEGIN
  PERFORM mroqc_require_admin();
  PERFORM mroqc_check_verifier(p_verifier);
  EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L VALID UNTIL %L', '«recovery»', p_verifier, 'infinity');
  DELETE FROM recovery_keys;
  DELETE FROM sign_in_failures WHERE name = mroqc_failure_name('(recovery key)');
  PERFORM mroqc_queue('note', 'recovery_keys', '-', NULL, NULL, 'a new recovery key was made');
END $f$;

CREATE OR REPLACE FUNCTION mroqc_add_authority(p_fingerprint text, p_pem text) RETURNS integer LANGUAGE plpgsql
VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_id integer;
BEGIN
  PERFORM mroqc_require_admin();
  UPDATE facility_certificates SET active = false WHERE active;
  INSERT INTO facility_certificates (created_at, fingerprint, certificate_pem, active)
    VALUES (date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC'), p_fingerprint, p_pem, true) RETURNING id INTO v_id;
  RETURN v_id;
END $f$;

-- a person's certificate as the facility CA issued it (an administrator holds the CA's key)
CREATE OR REPLACE FUNCTION mroqc_issue_certificate(p_user text, p_public_pem text, p_sealing text, p_code text,
                                                   p_certificate_pem text, p_fingerprint text, p_request integer)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_id integer; v_now timestamp := date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC');
BEGIN
  PERFORM mroqc_require_admin();
  UPDATE user_certificates SET superseded_at = v_now
    WHERE user_name = p_user AND superseded_at IS NULL AND id <> COALESCE(p_request, -1);
  IF p_request IS NOT NULL THEN
    UPDATE user_certificates SET certificate_pem = p_certificate_pem, fingerprint = p_fingerprint, issued_at = v_now,
                                 issued_by = mroqc_me()
      WHERE id = p_request AND user_name = p_user RETURNING id INTO v_id;
  ELSE
    INSERT INTO user_certificates (user_name, requested_at, public_key_pem, sealing_public, request_code,
                                   certificate_pem, fingerprint, issued_at, issued_by)
      VALUES (p_user, v_now, p_public_pem, p_sealing, p_code, p_certificate_pem, p_fingerprint, v_now, mroqc_me())
      RETURNING id INTO v_id;
  END IF;
  RETURN v_id;
END $f$;

-- a person asks for a certificate of their own new keys (an administrator issues it after comparing the code)
CREATE OR REPLACE FUNCTION mroqc_request_certificate(p_public_pem text, p_sealing text, p_code text) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $f$
DECLARE v_id integer; v_me text;
BEGIN
  SELECT name INTO v_me FROM users WHERE server_role = session_user;
  IF v_me IS NULL THEN RAISE EXCEPTION 'no user of this facility' USING ERRCODE = '42501'; END IF;
  INSERT INTO user_certificates (user_name, requested_at, public_key_pem, sealing_public, request_code)
    VALUES (v_me, date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC'), p_public_pem, p_sealing, p_code)
    RETURNING id INTO v_id;
  RETURN v_id;
END $f$;
"""

#: Who may run which function (every function is closed to PUBLIC first).
EXECUTE_GRANTS: dict[str, tuple[str, ...]] = {
    "signin": ("mroqc_sign_in_attempt(text)", "mroqc_sign_in_failed(text, text)", "mroqc_has_users()"),
    "people": ("mroqc_note(text, text, text, text)", "mroqc_signed_in(text)", "mroqc_me()", "mroqc_my_role()",
               "mroqc_sign_in_forgotten()",
               "mroqc_change_own_password(text, text)", "mroqc_put_own_keys(text, boolean)",
               "mroqc_request_certificate(text, text, text)", "mroqc_setup_version()",
               "mroqc_age_outside(integer, integer)", "mroqc_same_mrn()"),
    "admin": ("mroqc_add_user(text, text, text, text, text, text, text, boolean)", "mroqc_set_role(text, text, text)",
              "mroqc_disable_user(text)", "mroqc_enable_user(text)", "mroqc_reset_password(text, text, text, boolean)",
              "mroqc_attach_login(text, text)",
              "mroqc_set_staff(text, text)", "mroqc_set_recovery_key(text)", "mroqc_unlock(text)",
              "mroqc_failures()", "mroqc_add_authority(text, text)",
              "mroqc_issue_certificate(text, text, text, text, text, text, integer)"),
}

_POLICIES_SQL = r"""
ALTER TABLE person_keys ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_keys ON person_keys;
CREATE POLICY own_keys ON person_keys FOR SELECT TO «people» USING (server_role = session_user);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS everyone_reads ON users;
CREATE POLICY everyone_reads ON users FOR SELECT TO «people» USING (true);
DROP POLICY IF EXISTS own_reminders ON users;
CREATE POLICY own_reminders ON users FOR UPDATE TO «people»
  USING (server_role = session_user) WITH CHECK (server_role = session_user);

ALTER TABLE audit_signatures ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS everyone_reads ON audit_signatures;
CREATE POLICY everyone_reads ON audit_signatures FOR SELECT TO «people» USING (true);
DROP POLICY IF EXISTS own_signature ON audit_signatures;
CREATE POLICY own_signature ON audit_signatures FOR INSERT TO «people» WITH CHECK (
  user_name = mroqc_me()
  AND EXISTS (SELECT 1 FROM audit_log a WHERE a.id = audit_signatures.last_entry_id
                AND a.hash = audit_signatures.entry_hash AND a."user" = audit_signatures.user_name)
  AND EXISTS (SELECT 1 FROM user_certificates c WHERE c.id = audit_signatures.certificate_id
                AND c.user_name = audit_signatures.user_name));
"""


def _grant_tables(connection: Connection, names: ServerNames, tables: dict[str, list[str]]) -> list[str]:
    statements = []
    people = _q(names.people)
    for table in tables:
        if table in UNREADABLE or table == "person_keys":
            continue
        hidden = set(HIDDEN_COLUMNS.get(table, ())) | set(PHI_COLUMNS.get(table, ()))
        if not hidden:
            statements.append(f"GRANT SELECT ON {_q(table)} TO {people}")
            continue
        columns = _columns(connection, table)
        open_columns = ", ".join(_q(c) for c in columns if c not in hidden)
        if table in PHI_COLUMNS:  # identified columns: only the roles that may export them
            for role in GROUP_ROLES:
                if role in IDENTIFIED_ROLES:
                    statements.append(f"GRANT SELECT ON {_q(table)} TO {_q(names.group(role))}")
                else:
                    statements.append(f"GRANT SELECT ({open_columns}) ON {_q(table)} TO {_q(names.group(role))}")
        else:
            statements.append(f"GRANT SELECT ({open_columns}) ON {_q(table)} TO {people}")
    statements.append(f"GRANT SELECT ON alembic_version TO {people}, {_q(names.signin)}")  # (which version: the door too)
    statements.append(f"GRANT SELECT ON person_keys TO {people}")
    statements.append(f"GRANT UPDATE (last_digest_at, version) ON users TO {people}")
    statements.append(f"GRANT INSERT ON audit_signatures TO {people}")
    for table, by_role in WRITES.items():
        if table not in tables:
            continue
        for role, privileges in by_role.items():
            statements.append(f"GRANT {privileges} ON {_q(table)} TO {_q(names.group(role))}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {people}")
    return statements


def _roles_sql(names: ServerNames) -> list[str]:
    statements = []

    def ensure(role: str, options: str) -> None:
        statements.append(f"DO $r$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_lit(role)}) THEN "
                          f"CREATE ROLE {_q(role)} {options}; END IF; END $r$")

    ensure(names.people, "NOLOGIN")
    for role in GROUP_ROLES:
        ensure(names.group(role), "NOLOGIN")
        statements.append(f"GRANT {_q(names.people)} TO {_q(names.group(role))}")
    ensure(names.signin, f"LOGIN PASSWORD {_lit(DOOR_PASSWORD)}")
    ensure(names.recovery, "NOLOGIN")
    statements.append(f"GRANT {_q(names.group('admin'))} TO {_q(names.recovery)}")
    return statements


def _stray_grantees(connection: Connection, names: ServerNames) -> set[str]:
    """Roles other than the owner and this database's own that hold a privilege on its tables,
    sequences or functions (an earlier version's shared login, a grant IT made by hand)."""
    rows = connection.execute(sa.text("""
        SELECT DISTINCT COALESCE(r.rolname, 'PUBLIC') FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
          LEFT JOIN pg_roles r ON r.oid = a.grantee
         WHERE c.relnamespace = 'public'::regnamespace AND a.grantee <> c.relowner
        UNION
        SELECT DISTINCT COALESCE(r.rolname, 'PUBLIC') FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
          LEFT JOIN pg_roles r ON r.oid = a.grantee
         WHERE p.pronamespace = 'public'::regnamespace AND a.grantee <> p.proowner""")).scalars()
    ours = set(names.own_roles())
    return {r for r in rows if r not in ours}


def _revoke_strays(connection: Connection, names: ServerNames, database: str) -> list[str]:
    statements = []
    strays = _stray_grantees(connection, names)
    for grantee in sorted(strays):
        who = "PUBLIC" if grantee == "PUBLIC" else _q(grantee)
        statements += [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}",
                       f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {who}",
                       f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {who}"]
        if grantee != "PUBLIC":  # the shared login of an earlier version: it connects no more
            statements.append(f"REVOKE CONNECT, TEMPORARY ON DATABASE {_q(database)} FROM {who}")
    # what the owner's future tables would give others (docs/shared-database.md's earlier set-up did)
    defaults = connection.execute(sa.text("""
        SELECT DISTINCT d.defaclobjtype, d.defaclnamespace <> 0, COALESCE(r.rolname, 'PUBLIC') FROM pg_default_acl d
          CROSS JOIN LATERAL aclexplode(d.defaclacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
         WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
           AND a.grantee <> d.defaclrole""")).all()
    kinds = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS", "T": "TYPES", "n": "SCHEMAS"}
    for kind, in_schema, grantee in defaults:
        if kind in kinds:
            who = "PUBLIC" if grantee == "PUBLIC" else _q(grantee)
            where = " IN SCHEMA public" if in_schema and kind != "n" else ""
            statements.append(f"ALTER DEFAULT PRIVILEGES{where} REVOKE ALL ON {kinds[kind]} FROM {who}")
    statements.append("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC")
    return statements


def _triggers_sql(tables: dict[str, list[str]]) -> list[str]:
    statements = ["DROP TRIGGER IF EXISTS mroqc_audit_commit ON audit_pending",
                  "CREATE CONSTRAINT TRIGGER mroqc_audit_commit AFTER INSERT ON audit_pending DEFERRABLE INITIALLY "
                  "DEFERRED FOR EACH ROW EXECUTE FUNCTION mroqc_flush_audit()"]
    for table, keys in tables.items():
        statements.append(f"DROP TRIGGER IF EXISTS mroqc_audit ON {_q(table)}")
        if table in NOT_AUDITED:
            continue
        arguments = ", ".join(_lit(k) for k in keys)
        statements.append(f"CREATE TRIGGER mroqc_audit AFTER INSERT OR UPDATE OR DELETE ON {_q(table)} "
                          f"FOR EACH ROW EXECUTE FUNCTION mroqc_audit_row({arguments})")
    return statements


def _masks() -> str:
    masks: dict[str, dict[str, str]] = {}
    for table, columns in PHI.items():
        masks.setdefault(table, {}).update({c: PHI_MASK for c in columns})
    for table, columns in SECRET_COLUMNS.items():
        masks.setdefault(table, {}).update({c: SECRET_MASK for c in columns})
    return json.dumps(masks)


def install(connection: Connection) -> None:
    """Make (or bring up to date) the server's side of the facility database on ``connection``,
    which belongs to the owner role (or a superuser) and is inside a transaction. Idempotent."""
    if connection.dialect.name != "postgresql":
        return
    database = connection.execute(sa.text("SELECT current_database()")).scalar_one()
    names = ServerNames.of_database(database)
    tables = _tables(connection)
    policy = security_policy()
    data = _words_data()
    replace = {
        "«labels»": _lit(data["labels"]), "«codes»": _lit(data["codes"]), "«fields»": _lit(data["fields"]),
        "«steps»": _lit(data["steps"]), "«masks»": _lit(_masks()),
        "«quiet»": _lit(json.dumps({t: list(c) for t, c in UNAUDITED_COLUMNS.items()})),
        "«version»": str(SETUP_VERSION), "«prefix_bytes»": str(len(names.prefix.encode("utf-8"))),
        "«attempts»": str(int(policy.failed_attempts)), "«window»": str(int(policy.window_minutes)),
        "«lock»": str(int(policy.lock_minutes)),
    }
    body = _WORDS_SQL + _AUDIT_SQL + _SIGNIN_SQL + _USERS_SQL
    for token, value in replace.items():
        body = body.replace(token, value)
    statements: list[str] = []
    statements += _roles_sql(names)
    statements += _revoke_strays(connection, names, database)
    statements += [f"REVOKE ALL ON DATABASE {_q(database)} FROM PUBLIC",
                   f"GRANT CONNECT ON DATABASE {_q(database)} TO {_q(names.people)}, {_q(names.signin)}",
                   "REVOKE ALL ON SCHEMA public FROM PUBLIC",
                   f"GRANT USAGE ON SCHEMA public TO {_q(names.people)}, {_q(names.signin)}"]
    statements += [
        "CREATE TABLE IF NOT EXISTS audit_pending (seq bigserial PRIMARY KEY, txid bigint NOT NULL, "
        'action text NOT NULL, table_name text NOT NULL, record_key text NOT NULL, "before" text, "after" text, '
        'summary text, "user" text NOT NULL, "at" timestamp NOT NULL, change_set text NOT NULL)',
        "CREATE INDEX IF NOT EXISTS ix_audit_pending_txid ON audit_pending (txid)"]
    for statement in statements:
        _run(connection, statement)
    _run(connection, _render(body, names))
    # the earlier version's secrets: nothing of the kind stays on a server
    _run(connection, "UPDATE signing_certificates SET private_key_pem = '' WHERE private_key_pem <> ''")
    grants = [f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {_q(r)}" for r in names.own_roles()]
    grants += ["REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC"]
    grants += [f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM {_q(r)}" for r in names.own_roles()]
    grants += _grant_tables(connection, names, tables)
    for who, functions in EXECUTE_GRANTS.items():
        role = names.signin if who == "signin" else names.people if who == "people" else names.group("admin")
        grants += [f"GRANT EXECUTE ON FUNCTION {f} TO {_q(role)}" for f in functions]
    grants += _triggers_sql(tables)
    for statement in grants:
        _run(connection, statement)
    _run(connection, _render(_POLICIES_SQL, names))
    _run(connection, 
        "INSERT INTO audit_head (id, last_id, last_hash, entries) SELECT 1, COALESCE(max(id), 0), "
        "COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), repeat('0', 64)), count(*) FROM audit_log "
        "HAVING NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)")


def installed_version(connection: Connection) -> int | None:
    """The version of what ``install`` made in this database (None: never installed)."""
    found = connection.execute(sa.text("SELECT to_regprocedure('mroqc_setup_version()') IS NOT NULL")).scalar()
    if not found:
        return None
    return int(connection.execute(sa.text("SELECT mroqc_setup_version()")).scalar_one())


def is_owner(connection: Connection) -> bool:
    """Whether this connection's role may change the schema (the database's owner, or a superuser)."""
    return bool(connection.execute(sa.text(
        "SELECT session_user = (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) "
        "OR COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)")).scalar())


def roles_of(connection: Connection, names: ServerNames) -> list[str]:
    """Every role of the cluster that is this database's (its groups, door, recovery login, the
    logins the app made), for dropping them with the database."""
    rows = connection.execute(sa.text("SELECT rolname FROM pg_roles")).scalars()
    return sorted(r for r in rows if names.is_ours(r))


def drop_roles(connection: Connection, names: ServerNames, extra: Iterable[str] = ()) -> None:
    """Drop this database's roles (after the database itself is gone, or its objects are): the logins
    first, then the groups."""
    for role in sorted(set(roles_of(connection, names)) | set(extra), key=lambda r: (r in names.own_roles(), r)):
        _run(connection, f"DROP ROLE IF EXISTS {_q(role)}")
