import os
import unittest
from unittest import mock

from revisbali_worker.settings import (
    DEV_BUCKET,
    LOCAL_BACKEND,
    PROD_BUCKET,
    S3_BACKEND,
    ConfigurationError,
    configure,
    storage_settings,
)

CLOUD = {
    "USE_CLOUD_STORAGE": "True",
    "AWS_ACCESS_KEY_ID": "key-id",
    "AWS_SECRET_ACCESS_KEY": "very-secret",
    "AWS_S3_ENDPOINT_URL": "https://acct.r2.cloudflarestorage.com",
}
LOCAL = {"USE_CLOUD_STORAGE": "False", "MEDIA_ROOT": "/srv/media"}


class CloudModeTest(unittest.TestCase):
    def test_old_django_gets_s3_and_backups_under_backups(self):
        s = storage_settings(dict(CLOUD, AWS_LOCATION="crm/"), django_version=(3, 2))
        self.assertEqual(s["DEFAULT_FILE_STORAGE"], S3_BACKEND)
        self.assertEqual(s["DBBACKUP_STORAGE"], S3_BACKEND)
        self.assertEqual(s["DBBACKUP_STORAGE_OPTIONS"], {"location": "crm/backups"})
        self.assertEqual(s["AWS_LOCATION"], "crm")
        self.assertNotIn("STORAGES", s)

    def test_new_django_gets_storages_and_keeps_staticfiles(self):
        base = {"STORAGES": {"staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}}
        s = storage_settings(CLOUD, base=base, django_version=(5, 1))
        self.assertEqual(s["STORAGES"]["default"]["BACKEND"], S3_BACKEND)
        self.assertEqual(s["STORAGES"]["dbbackup"], {"BACKEND": S3_BACKEND, "OPTIONS": {"location": "backups"}})
        self.assertEqual(s["STORAGES"]["staticfiles"], base["STORAGES"]["staticfiles"])
        self.assertNotIn("DEFAULT_FILE_STORAGE", s)
        self.assertNotIn("DBBACKUP_STORAGE", s)

    def test_configure_drops_the_old_storage_settings_beside_storages(self):
        ns = {
            "DEFAULT_FILE_STORAGE": LOCAL_BACKEND,
            "STATICFILES_STORAGE": "whitenoise.storage.CompressedManifestStaticFilesStorage",
            "DBBACKUP_STORAGE": LOCAL_BACKEND,
        }
        with mock.patch("revisbali_worker.settings._django_version", return_value=(4, 2)), mock.patch.dict(os.environ):
            configure(ns, environ=CLOUD)
        self.assertNotIn("DEFAULT_FILE_STORAGE", ns)
        self.assertNotIn("STATICFILES_STORAGE", ns)
        self.assertNotIn("DBBACKUP_STORAGE", ns)
        self.assertEqual(ns["STORAGES"]["staticfiles"]["BACKEND"], "whitenoise.storage.CompressedManifestStaticFilesStorage")
        self.assertEqual(ns["STORAGES"]["default"]["BACKEND"], S3_BACKEND)

    def test_r2_settings(self):
        s = storage_settings(CLOUD, django_version=(3, 2))
        self.assertEqual(s["AWS_S3_SIGNATURE_VERSION"], "s3v4")
        self.assertIs(s["AWS_QUERYSTRING_AUTH"], True)
        self.assertEqual(s["AWS_QUERYSTRING_EXPIRE"], 3600)
        self.assertEqual(s["AWS_S3_REGION_NAME"], "auto")
        self.assertEqual(s["AWS_S3_ENDPOINT_URL"], CLOUD["AWS_S3_ENDPOINT_URL"])
        self.assertEqual(s["AWS_S3_ADDRESSING_STYLE"], "path")
        self.assertIsNone(s["AWS_DEFAULT_ACL"])
        self.assertEqual(s["AWS_REQUEST_CHECKSUM_CALCULATION"], "when_required")
        self.assertEqual(s["AWS_RESPONSE_CHECKSUM_VALIDATION"], "when_required")

    def test_bucket_defaults_follow_app_env(self):
        self.assertEqual(storage_settings(CLOUD)["AWS_STORAGE_BUCKET_NAME"], DEV_BUCKET)
        self.assertEqual(storage_settings(dict(CLOUD, APP_ENV="prod"))["AWS_STORAGE_BUCKET_NAME"], PROD_BUCKET)
        self.assertEqual(
            storage_settings(dict(CLOUD, APP_ENV="prod", AWS_STORAGE_BUCKET_NAME="other"))["AWS_STORAGE_BUCKET_NAME"],
            "other",
        )

    def test_configure_sets_boto_checksum_variables(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            ns = {}
            configure(ns, environ=CLOUD)
            self.assertEqual(os.environ["AWS_REQUEST_CHECKSUM_CALCULATION"], "when_required")
            self.assertEqual(os.environ["AWS_RESPONSE_CHECKSUM_VALIDATION"], "when_required")
            self.assertTrue(ns["USE_CLOUD_STORAGE"])


class LocalModeTest(unittest.TestCase):
    def test_filesystem_storage_and_local_backups(self):
        s = storage_settings(LOCAL, django_version=(3, 2))
        self.assertEqual(s["DEFAULT_FILE_STORAGE"], LOCAL_BACKEND)
        self.assertEqual(s["DBBACKUP_STORAGE"], LOCAL_BACKEND)
        self.assertEqual(s["DBBACKUP_STORAGE_OPTIONS"], {"location": "/srv/media/backups"})
        self.assertEqual(s["MEDIA_ROOT"], "/srv/media")
        self.assertEqual(s["MEDIA_URL"], "/media/")

    def test_unset_means_local_and_needs_no_keys(self):
        s = storage_settings({"MEDIA_ROOT": "/srv/media"}, django_version=(4, 2))
        self.assertFalse(s["USE_CLOUD_STORAGE"])
        self.assertEqual(s["STORAGES"]["default"]["BACKEND"], LOCAL_BACKEND)

    def test_media_root_may_come_from_base_settings(self):
        s = storage_settings({}, base={"MEDIA_ROOT": "/app/media"})
        self.assertEqual(s["MEDIA_ROOT"], "/app/media")

    def test_environment_media_root_wins(self):
        s = storage_settings(LOCAL, base={"MEDIA_ROOT": "/app/media"})
        self.assertEqual(s["MEDIA_ROOT"], "/srv/media")


class BackupSettingsTest(unittest.TestCase):
    def test_backup_folder_host_keep_and_zone(self):
        env = dict(
            CLOUD,
            AWS_LOCATION="crm",
            DBBACKUP_LOCATION="db-dumps/",
            DBBACKUP_HOSTNAME="web1",
            DBBACKUP_CLEANUP_KEEP="30",
            TIME_ZONE="Asia/Makassar",
        )
        s = storage_settings(env, django_version=(3, 2))
        self.assertEqual(s["DBBACKUP_STORAGE_OPTIONS"], {"location": "crm/db-dumps"})
        self.assertEqual(s["DBBACKUP_HOSTNAME"], "web1")
        self.assertEqual(s["DBBACKUP_CLEANUP_KEEP"], 30)
        self.assertEqual(s["TIME_ZONE"], "Asia/Makassar")

    def test_defaults(self):
        s = storage_settings(LOCAL, django_version=(3, 2))
        self.assertEqual(s["DBBACKUP_CLEANUP_KEEP"], 10)
        self.assertNotIn("DBBACKUP_HOSTNAME", s)
        # Django's own default zone is the worker's: nothing to set.
        self.assertNotIn("TIME_ZONE", s)

    def test_a_settings_time_zone_must_reach_the_worker(self):
        with self.assertRaises(ConfigurationError) as cm:
            storage_settings(LOCAL, base={"TIME_ZONE": "Asia/Makassar"})
        # The one line that belongs in .env, ready to paste.
        self.assertIn("add this line to .env: TIME_ZONE=Asia/Makassar", str(cm.exception))
        s = storage_settings(dict(LOCAL, TIME_ZONE="Asia/Makassar"), base={"TIME_ZONE": "Asia/Makassar"})
        self.assertEqual(s["TIME_ZONE"], "Asia/Makassar")


class DatabaseTest(unittest.TestCase):
    URL = "postgres://app:pa%40ss@db.internal:6432/crm?sslmode=require"

    def test_database_from_url(self):
        from revisbali_worker.settings import database

        self.assertEqual(
            database(self.URL),
            {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "crm",
                "USER": "app",
                "PASSWORD": "pa@ss",
                "HOST": "db.internal",
                "PORT": "6432",
                "OPTIONS": {"sslmode": "require"},
            },
        )
        with self.assertRaises(ConfigurationError) as cm:
            database("mysql://app:secret-pw@h/db")
        self.assertNotIn("secret-pw", str(cm.exception))

    def test_databases_must_be_the_workers(self):
        from revisbali_worker.settings import database

        env = dict(LOCAL, DATABASE_URL=self.URL)
        same = dict(database(self.URL), OPTIONS={})
        storage_settings(env, base={"DATABASES": {"default": same}})
        # Loopback names and the default port are the same place.
        storage_settings(
            dict(LOCAL, DATABASE_URL="postgres://app@localhost/crm"),
            base={"DATABASES": {"default": dict(same, HOST="127.0.0.1", PORT="5432", PASSWORD="")}},
        )
        # Only one of them set: nothing to compare.
        storage_settings(LOCAL, base={"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3"}}})
        storage_settings(env)

        cases = [
            (dict(same, NAME="crm_old", PORT="5432"), ['NAME is "crm_old", DATABASE_URL says "crm"', 'PORT is "5432", DATABASE_URL says "6432"']),
            (dict(same, PASSWORD="other"), ["PASSWORD differs"]),
            ({"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}, ['ENGINE is "django.db.backends.sqlite3"']),
        ]
        for app, wanted in cases:
            with self.subTest(app=app):
                with self.assertRaises(ConfigurationError) as cm:
                    storage_settings(env, base={"DATABASES": {"default": app}})
                message = str(cm.exception)
                for want in wanted:
                    self.assertIn(want, message)
                self.assertIn("DATABASES['default']", message)
                for secret in ("pa@ss", "other"):
                    self.assertNotIn(secret, message)


class RefusalTest(unittest.TestCase):
    def assertRefused(self, environ, *variables):
        with self.assertRaises(ConfigurationError) as cm:
            storage_settings(environ)
        named = sorted(p.split(":", 1)[0] for p in cm.exception.problems)
        self.assertEqual(named, sorted(variables), cm.exception.problems)
        return cm.exception

    def test_use_cloud_storage_must_be_exactly_true_or_false(self):
        for spelling in ("true", "1", "yes", "TRUE", " True"):
            with self.subTest(spelling=spelling):
                err = self.assertRefused(dict(CLOUD, USE_CLOUD_STORAGE=spelling), "USE_CLOUD_STORAGE", "MEDIA_ROOT")
                self.assertIn("would mean False to Django", str(err))

    def test_cloud_needs_keys_and_never_echoes_them(self):
        err = self.assertRefused({"USE_CLOUD_STORAGE": "True"}, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        err = self.assertRefused(dict(CLOUD, AWS_QUERYSTRING_EXPIRE="0"), "AWS_QUERYSTRING_EXPIRE")
        self.assertNotIn("very-secret", str(err))

    def test_expiry_range(self):
        self.assertRefused(dict(CLOUD, AWS_QUERYSTRING_EXPIRE="604801"), "AWS_QUERYSTRING_EXPIRE")
        self.assertRefused(dict(CLOUD, AWS_QUERYSTRING_EXPIRE="1h"), "AWS_QUERYSTRING_EXPIRE")
        self.assertEqual(storage_settings(dict(CLOUD, AWS_QUERYSTRING_EXPIRE="604800"))["AWS_QUERYSTRING_EXPIRE"], 604800)

    def test_every_problem_at_once(self):
        self.assertRefused(
            dict(
                CLOUD,
                APP_ENV="staging",
                MEDIA_URL="/media",
                AWS_S3_SIGNATURE_VERSION="s3",
                AWS_S3_ADDRESSING_STYLE="host",
                AWS_S3_URL_PROTOCOL="ftp:",
                AWS_LOCATION="/abs",
                AWS_S3_ENDPOINT_URL="r2.example.com",
                AWS_QUERYSTRING_AUTH="yes",
                DBBACKUP_LOCATION="../up",
                DBBACKUP_CLEANUP_KEEP="0",
                TIME_ZONE="Mars/Base",
            ),
            "APP_ENV",
            "MEDIA_URL",
            "AWS_S3_SIGNATURE_VERSION",
            "AWS_S3_ADDRESSING_STYLE",
            "AWS_S3_URL_PROTOCOL",
            "AWS_LOCATION",
            "AWS_S3_ENDPOINT_URL",
            "AWS_QUERYSTRING_AUTH",
            "DBBACKUP_LOCATION",
            "DBBACKUP_CLEANUP_KEEP",
            "TIME_ZONE",
        )

    def test_error_is_django_improperly_configured(self):
        from django.core.exceptions import ImproperlyConfigured

        with self.assertRaises(ImproperlyConfigured):
            storage_settings({"USE_CLOUD_STORAGE": "true"})


if __name__ == "__main__":
    unittest.main()
