-- Keybound schema version 1 (PostgreSQL). Times are BIGINT milliseconds since
-- the Unix epoch; booleans are BIGINT 0/1 so one set of queries serves SQLite
-- too; JSON is TEXT; *_folded columns hold the lower-cased form (folded in
-- Rust, the same on both databases) that case-insensitive lookups use. Keep in
-- step with ../sqlite/0001_initial.sql: the same tables, columns and indexes.

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    user_principal_name TEXT NOT NULL,
    upn_folded          TEXT NOT NULL CONSTRAINT users_upn_folded_unique UNIQUE,
    display_name        TEXT NOT NULL,
    display_name_folded TEXT NOT NULL,
    account_enabled     BIGINT NOT NULL,
    user_handle         BYTEA NOT NULL CONSTRAINT users_user_handle_unique UNIQUE,
    created_at          BIGINT NOT NULL,
    methods_updated_at  BIGINT
);
CREATE INDEX users_display_name_folded ON users (display_name_folded, id);

CREATE TABLE groups (
    id                  TEXT PRIMARY KEY,
    display_name        TEXT NOT NULL,
    display_name_folded TEXT NOT NULL,
    description         TEXT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX groups_display_name_folded ON groups (display_name_folded, id);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE role_assignments (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX role_assignments_role ON role_assignments (role, user_id);

CREATE TABLE password_methods (
    user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    phc_hash   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE software_oath_methods (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret         BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_step BIGINT NOT NULL
);
CREATE INDEX software_oath_methods_user ON software_oath_methods (user_id);

CREATE TABLE temporary_access_passes (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL CONSTRAINT temporary_access_passes_user_unique UNIQUE
                     REFERENCES users (id) ON DELETE CASCADE,
    phc_hash         TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    start_at         BIGINT NOT NULL,
    lifetime_minutes BIGINT NOT NULL,
    usable_once      BIGINT NOT NULL,
    used_at          BIGINT,
    failed_attempts  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE passkeys (
    id                       TEXT PRIMARY KEY,
    credential_id            BYTEA NOT NULL CONSTRAINT passkeys_credential_id_unique UNIQUE,
    user_id                  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    display_name             TEXT NOT NULL,
    created_at               BIGINT NOT NULL,
    last_used_at             BIGINT,
    aaguid                   BYTEA NOT NULL,
    public_key               BYTEA NOT NULL,
    sign_count               BIGINT NOT NULL,
    backup_eligible          BIGINT NOT NULL,
    backed_up                BIGINT NOT NULL,
    transports               TEXT NOT NULL,
    attestation_format       TEXT NOT NULL,
    attestation_level        TEXT NOT NULL,
    attestation_certificates TEXT NOT NULL,
    passkey_type             TEXT NOT NULL,
    flagged                  TEXT
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

CREATE TABLE policy_head (
    id      BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    etag    TEXT NOT NULL
);

CREATE TABLE policy_versions (
    version    BIGINT PRIMARY KEY,
    json       TEXT NOT NULL,
    etag       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    author     TEXT NOT NULL
);

CREATE TABLE ceremonies (
    challenge  BYTEA PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    session_id BYTEA,
    state_json TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ceremonies_expires_at ON ceremonies (expires_at);

CREATE TABLE sessions (
    id_hash         BYTEA PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    auth_methods    TEXT NOT NULL,
    csrf_token_hash BYTEA NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    private_key BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE TABLE trust_anchors (
    id       TEXT PRIMARY KEY,
    kind     TEXT NOT NULL,
    der      BYTEA NOT NULL,
    subject  TEXT NOT NULL,
    added_at BIGINT NOT NULL
);

CREATE TABLE mds_blobs (
    number      BIGINT PRIMARY KEY,
    next_update BIGINT NOT NULL,
    json        TEXT NOT NULL,
    loaded_at   BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id                    TEXT PRIMARY KEY,
    activity_date_time    BIGINT NOT NULL,
    activity_display_name TEXT NOT NULL,
    category              TEXT NOT NULL,
    result                TEXT NOT NULL,
    result_reason         TEXT NOT NULL,
    initiated_by          TEXT NOT NULL,
    target_resources      TEXT NOT NULL,
    additional_details    TEXT NOT NULL,
    logged_by_service     TEXT NOT NULL,
    operation_type        TEXT NOT NULL,
    correlation_id        TEXT NOT NULL
);
CREATE INDEX audit_log_time ON audit_log (activity_date_time, id);
CREATE INDEX audit_log_activity ON audit_log (activity_display_name, activity_date_time, id);
CREATE INDEX audit_log_result ON audit_log (result, activity_date_time, id);

CREATE TABLE sign_ins (
    id                    TEXT PRIMARY KEY,
    created_at            BIGINT NOT NULL,
    user_id               TEXT,
    user_principal_name   TEXT,
    upn_folded            TEXT,
    app_id                TEXT,
    ip                    TEXT,
    error_code            BIGINT NOT NULL,
    failure_reason        TEXT,
    authentication_method TEXT,
    aaguid                BYTEA,
    credential_id         BYTEA,
    correlation_id        TEXT
);
CREATE INDEX sign_ins_time ON sign_ins (created_at, id);
CREATE INDEX sign_ins_user ON sign_ins (user_id, created_at, id);
CREATE INDEX sign_ins_upn ON sign_ins (upn_folded, created_at, id);
