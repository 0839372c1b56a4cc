-- The manifest of the file migration (docs/migration.md): what was copied
-- to which bucket, so that a re-run needs no request per file. target names
-- the bucket (endpoint, bucket, AWS_LOCATION); name is Django's file name;
-- mtime and size are the local file's when it was hashed; etag is what the
-- bucket answered to the upload.
CREATE TABLE IF NOT EXISTS worker_migrated_file (
    target    text        NOT NULL,
    name      text        NOT NULL,
    size      bigint      NOT NULL,
    mtime     timestamptz NOT NULL,
    sha256    text        NOT NULL,
    etag      text        NOT NULL,
    copied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, name)
);
