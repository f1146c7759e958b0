"""Facility databases built once per test process and copied for each test that needs a new one.

Building one (``create_database``: the facility's certificate authority, the administrator's key
slot and certificate, eleven migrations, and for a demo its three years of records) costs from
0.2 s to seconds; a copy of the finished file and its key file, opened with the same key, costs a
fraction of that and is the same database: the same schema, records, audit log, signatures and key
slots. The administrator's session (``Person``: their keys, what they last signed) is the
template's, pointed at the copy's key file.

Copies of one template share its key and certificate authority: a test about two databases being
different (a slot copied between them) builds its own (``tests.support.create_with_key``).
"""

from __future__ import annotations

import atexit
import dataclasses
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.domain.permissions import Actor
from app.security.keyfile import key_file_for
from app.security.signin import create_database
from app.storage.database import Database, open_database, sqlite_url
from app.storage.errors import DatabaseError


@dataclasses.dataclass(frozen=True)
class _Template:
    path: Path
    key: bytes
    person: object
    actor: Actor


_templates: dict[str, _Template] = {}
_folder: Path | None = None


def _built(name: str, build: Callable[[Database], None] | None) -> _Template:
    global _folder
    if name not in _templates:
        from tests.support import ADMIN, PASSWORD

        if _folder is None:
            _folder = Path(tempfile.mkdtemp(prefix="mroqc-test-templates-"))
            atexit.register(shutil.rmtree, _folder, ignore_errors=True)  # the process's templates go with it
        path = _folder / f"{name}.sqlite3"
        db, _recovery_key = create_database(sqlite_url(path), ADMIN, PASSWORD, build=build)
        try:
            assert db.key is not None and db.actor is not None
            _templates[name] = _Template(path, db.key, db.person, db.actor)
        finally:
            db.dispose()
    return _templates[name]


def copy_of(path: Path, name: str = "new", build: Callable[[Database], None] | None = None) -> Database:
    """``path`` made a copy of the template ``name`` (built by ``build`` the first time it is asked
    for in this process: the same name must always mean the same build), signed in as the test
    administrator."""
    template = _built(name, build)
    if path.exists():
        raise DatabaseError(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise DatabaseError(f"The folder {path.parent} does not exist.")
    for source, target in ((template.path, path), (key_file_for(template.path), key_file_for(path))):
        shutil.copyfile(source, target)
        target.chmod(0o600)
    db = open_database(sqlite_url(path), key=template.key)
    db.actor = template.actor
    person = dataclasses.replace(template.person, keys_path=key_file_for(path))  # type: ignore[type-var]
    db.person, db.signer = person, person.sign_transaction
    if db.lock is not None:
        db.lock.set_user(template.actor.name)
    return db
