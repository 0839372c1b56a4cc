"""What the tests need from their environment.

The Go test (contrib/django/django_test.go) runs these tests with a fresh
database (River's tables migrated), the S3 test server and a storage mode in
the environment. Run alone without them, a test is skipped, or fails when
CI=true, so CI never passes a test that did not run.
"""

import os
import unittest

_django_ready = False


def require(*names):
    values = [os.environ.get(n, "") for n in names]
    missing = [n for n, v in zip(names, values) if not v]
    if missing:
        msg = "%s not set: run through `go test ./contrib/django/` under scripts/testbed.sh" % ", ".join(missing)
        if os.environ.get("CI") == "true":
            raise AssertionError(msg)
        raise unittest.SkipTest(msg)
    return values


def setup_django():
    """Configure the test project from the environment and migrate it."""
    global _django_ready
    require("DATABASE_URL")
    if _django_ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.project.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    _django_ready = True
