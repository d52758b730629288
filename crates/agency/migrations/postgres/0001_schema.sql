-- The agency's schema on PostgreSQL: the same tables and columns as the SQLite backend
-- at its schema version 8 (crates/agency/src/sqlite/migrations.rs), so both store and
-- return the same values. Times are RFC 3339 text (UTC with microseconds where the
-- server writes them, so text order is time order); personal data is sealed (bytea)
-- and people are found by the keyed hash of their ID number (person_key). Columns
-- that are sorted on are COLLATE "C": byte order, as SQLite sorts, whatever the
-- database's locale.

-- Which key the data was sealed with (its fingerprint): a server started with another
-- <data>/agency.key is refused instead of sealing with a key that cannot read the rest.
CREATE TABLE agency_key (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL
);

CREATE TABLE kiosks (
    kiosk_id     TEXT COLLATE "C" PRIMARY KEY,
    public_key   TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at     TEXT NOT NULL,
    region       TEXT
);

CREATE TABLE auditors (
    name         TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at     TEXT NOT NULL
);

CREATE TABLE certifications (
    arrival      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id    TEXT NOT NULL UNIQUE,
    kiosk_id     TEXT NOT NULL REFERENCES kiosks (kiosk_id),
    seq          BIGINT NOT NULL,
    body_sealed  BYTEA NOT NULL,
    signature    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    person_key   BYTEA NOT NULL,
    period       TEXT NOT NULL,
    site_code    TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    ended_at     TEXT NOT NULL,
    ended_at_utc TEXT COLLATE "C" NOT NULL
);
CREATE INDEX certifications_by_kiosk ON certifications (kiosk_id, seq);
CREATE INDEX certifications_by_person ON certifications (person_key, period);
CREATE INDEX certifications_by_period ON certifications (period, outcome);

CREATE TABLE certification_photos (
    record_id  TEXT PRIMARY KEY REFERENCES certifications (record_id),
    media_type TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    -- The sealed crop's name in the photo store (sha256 of the sealed bytes).
    blob_sha256 TEXT NOT NULL
);

CREATE TABLE people (
    person_key  BYTEA PRIMARY KEY,
    id_sealed   BYTEA NOT NULL,
    name_sealed BYTEA NOT NULL,
    region      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deceased')),
    updated_at  TEXT NOT NULL
);
CREATE INDEX people_by_region ON people (region, status);

CREATE TABLE self_certifications (
    person_key  BYTEA NOT NULL,
    period      TEXT NOT NULL,
    at          TEXT NOT NULL,
    at_utc      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (person_key, period)
);
CREATE INDEX self_certifications_by_period ON self_certifications (period);

CREATE TABLE reference_versions (
    ref_id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_key             BYTEA NOT NULL,
    version                TEXT NOT NULL,
    media_type             TEXT NOT NULL,
    photo_blob             TEXT NOT NULL,
    embedding_sealed       BYTEA,
    embedding_model_sha256 TEXT,
    enrolled_at            TEXT NOT NULL,
    UNIQUE (person_key, version)
);

CREATE TABLE reference_current (
    person_key BYTEA PRIMARY KEY,
    ref_id     BIGINT NOT NULL REFERENCES reference_versions (ref_id)
);

CREATE TABLE record_matches (
    record_id         TEXT PRIMARY KEY REFERENCES certifications (record_id),
    score             DOUBLE PRECISION NOT NULL,
    threshold         DOUBLE PRECISION NOT NULL,
    reference_version TEXT NOT NULL,
    models            TEXT NOT NULL,
    matched_at        TEXT NOT NULL
);

CREATE TABLE reference_reads (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TEXT NOT NULL,
    kiosk_id   TEXT NOT NULL,
    person_key BYTEA NOT NULL,
    id_masked  TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('served', 'not_found', 'forbidden', 'rate_limited'))
);
CREATE INDEX reference_reads_by_person ON reference_reads (person_key, id);

CREATE TABLE bundle_publications (
    region         TEXT PRIMARY KEY,
    content_sha256 TEXT NOT NULL,
    generated_at   TEXT NOT NULL
);
