import os
import stat
import tempfile
import unittest
from unittest import mock

from .support import setup_django


def setUpModule():
    setup_django()


class DatabaseURLTest(unittest.TestCase):
    """The DATABASE_URL the Go programs get from Django's DATABASES."""

    def url(self, **settings):
        from django.db import connections

        from revisbali_worker.binaries import database_url

        base = {"ENGINE": "django.db.backends.postgresql", "NAME": "crm", "USER": "", "PASSWORD": "",
                "HOST": "", "PORT": "", "OPTIONS": {}}
        base.update(settings)
        with mock.patch.dict(connections["default"].settings_dict, base):
            return database_url("default")

    def test_urls(self):
        for settings, want in [
            ({}, "postgres:///crm"),
            ({"USER": "app", "HOST": "db", "PORT": "5433"}, "postgres://app@db:5433/crm"),
            ({"USER": "app", "PASSWORD": "p@ss/w:rd#?", "HOST": "db"}, "postgres://app:p%40ss%2Fw%3Ard%23%3F@db/crm"),
            ({"USER": "app", "HOST": "/var/run/postgresql"}, "postgres://app@/crm?host=%2Fvar%2Frun%2Fpostgresql"),
            ({"HOST": "::1", "PORT": "5432"}, "postgres://[::1]:5432/crm"),
            ({"HOST": "db", "OPTIONS": {"sslmode": "require", "connect_timeout": 3}}, "postgres://db/crm?sslmode=require"),
        ]:
            with self.subTest(settings=settings):
                self.assertEqual(self.url(**settings), want)

    def test_the_live_database_round_trips(self):
        # The URL of the suite's own database is the one it was given.
        from revisbali_worker.binaries import database_url

        given = os.environ["DATABASE_URL"].split("?")[0]
        self.assertEqual(database_url().split("?")[0], given)

    def test_other_engines_refused(self):
        from django.core.exceptions import ImproperlyConfigured

        with self.assertRaisesRegex(ImproperlyConfigured, "PostgreSQL"):
            self.url(ENGINE="django.db.backends.sqlite3")


class FindTest(unittest.TestCase):
    def test_variable_then_path(self):
        from revisbali_worker.binaries import BinaryNotFound, find

        with tempfile.TemporaryDirectory() as tmp:
            prog = os.path.join(tmp, "worker")
            with open(prog, "w") as f:
                f.write("#!/bin/sh\n")
            with mock.patch.dict(os.environ, {"REVISBALI_WORKER_BIN": prog}):
                with self.assertRaisesRegex(BinaryNotFound, "REVISBALI_WORKER_BIN=.* is not an executable"):
                    find("worker")
                os.chmod(prog, stat.S_IRWXU)
                self.assertEqual(find("worker"), prog)
            with mock.patch.dict(os.environ, {"PATH": tmp}):
                os.environ.pop("REVISBALI_WORKER_BIN", None)
                self.assertEqual(find("worker"), prog)
            with mock.patch.dict(os.environ, {"PATH": tmp}):
                os.environ.pop("REVISBALI_ENQUEUE_BIN", None)
                with self.assertRaisesRegex(BinaryNotFound, "REVISBALI_ENQUEUE_BIN"):
                    find("enqueue")
