-- The back office and certificates of assistance: the SQLite backend's schema versions
-- 9 (OFFICE) and 10 (ASSISTANCE) in crates/agency/src/sqlite/migrations.rs, with the
-- same columns and values. Times are RFC 3339 text as in 0001; the columns sorted on
-- are COLLATE "C" so their order is byte order, as on SQLite.

-- Staff accounts (Argon2id hashes, lockout counters), the audit log of logins,
-- decisions and exports, one review decision per record (the latest; the audit log
-- keeps the history), and each kiosk's last heartbeat.
CREATE TABLE staff_accounts (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'auditor')),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    added_at      TEXT NOT NULL
);

CREATE TABLE staff_audit (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE TABLE review_decisions (
    record_id TEXT PRIMARY KEY REFERENCES certifications (record_id),
    verdict   TEXT NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
    reason    TEXT NOT NULL,
    reviewer  TEXT NOT NULL,
    at        TEXT COLLATE "C" NOT NULL
);

CREATE TABLE kiosk_heartbeats (
    kiosk_id       TEXT COLLATE "C" PRIMARY KEY REFERENCES kiosks (kiosk_id),
    received_at    TEXT NOT NULL,
    app_version    TEXT NOT NULL,
    queue_depth    BIGINT NOT NULL,
    oldest_pending TEXT
);

-- A record's channel (every record before certificates of assistance was on site) and
-- the serials of certificates of assistance, with the sha256 of their codes.
ALTER TABLE certifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'onsite'
    CHECK (channel IN ('onsite', 'assistance'));

CREATE TABLE assistance_certificates (
    serial      TEXT PRIMARY KEY,
    record_id   TEXT NOT NULL UNIQUE REFERENCES certifications (record_id),
    code_sha256 TEXT NOT NULL
);
