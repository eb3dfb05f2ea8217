//! Between rows and records: column lists, decoding, JSON columns, hex,
//! continuation tokens, and a small builder for queries with optional filters.

use keybound_webauthn::{Aaguid, CredentialId, UserHandle};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::AnyConnection;
use sqlx::{Any, Decode, Row, Type};

use crate::error::StoreError;
use crate::ids::{GroupId, MethodId, UserId};
use crate::logs::{AuditEntry, AuditResult, SignInEntry, SignInStatus};
use crate::records::{
    AttestationLevel, AuthMethodUse, Ceremony, CeremonyKind, Group, NameField, NameFilter,
    NameMatch, Passkey, PasskeySummary, PasskeyType, PasswordMethod, PolicyVersion, Session,
    SigningKey, SoftwareOathMethod, TemporaryAccessPass, TrustAnchor, TrustAnchorKind, User,
};
use crate::time::Timestamp;

pub(super) const USER_COLUMNS: &str =
    "id, user_principal_name, display_name, account_enabled, user_handle, created_at";
pub(super) const GROUP_COLUMNS: &str = "id, display_name, description, created_at";
pub(super) const PASSKEY_COLUMNS: &str = "id, credential_id, user_id, display_name, created_at, \
     last_used_at, aaguid, public_key, sign_count, backup_eligible, backed_up, transports, \
     attestation_format, attestation_level, attestation_certificates, passkey_type, flagged";
pub(super) const TAP_COLUMNS: &str = "id, user_id, phc_hash, created_at, start_at, \
     lifetime_minutes, usable_once, used_at, failed_attempts";
pub(super) const OATH_COLUMNS: &str = "id, user_id, secret, created_at, last_used_step";
pub(super) const POLICY_COLUMNS: &str = "version, json, etag, created_at, author";
pub(super) const CEREMONY_COLUMNS: &str =
    "challenge, kind, user_id, session_id, state_json, expires_at";
pub(super) const SESSION_COLUMNS: &str =
    "id_hash, user_id, created_at, expires_at, auth_methods, csrf_token_hash";
pub(super) const SIGNING_KEY_COLUMNS: &str = "kid, algorithm, private_key, created_at, retired_at";
pub(super) const TRUST_ANCHOR_COLUMNS: &str = "id, kind, der, subject, added_at";
pub(super) const AUDIT_COLUMNS: &str = "id, activity_date_time, activity_display_name, \
     category, result, result_reason, initiated_by, target_resources, additional_details, \
     logged_by_service, operation_type, correlation_id";
pub(super) const SIGN_IN_COLUMNS: &str = "id, created_at, user_id, user_principal_name, \
     app_id, ip, error_code, failure_reason, authentication_method, aaguid, credential_id, \
     correlation_id";

/// The case-insensitive form of a name, computed in Rust so both databases agree.
pub(super) fn fold(text: &str) -> String {
    text.to_lowercase()
}

pub(super) fn flag(value: bool) -> i64 {
    i64::from(value)
}

// --- Decoding -----------------------------------------------------------------

fn corrupt(column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::internal(format!("column {column} holds an unusable value: {why}"))
}

pub(super) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Any> + Type<Any>,
{
    row.try_get(column).map_err(|e| corrupt(column, e))
}

fn get_bool(row: &AnyRow, column: &str) -> Result<bool, StoreError> {
    Ok(get::<i64>(row, column)? != 0)
}

fn get_time(row: &AnyRow, column: &str) -> Result<Timestamp, StoreError> {
    get::<i64>(row, column).map(Timestamp::from_millis)
}

fn get_opt_time(row: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp::from_millis))
}

fn get_json<T: serde::de::DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T, StoreError> {
    let text: String = get(row, column)?;
    serde_json::from_str(&text).map_err(|e| corrupt(column, e))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::internal(format!("cannot serialise a JSON column: {e}")))
}

fn get_aaguid(row: &AnyRow, column: &str) -> Result<Aaguid, StoreError> {
    let bytes: Vec<u8> = get(row, column)?;
    let array: [u8; 16] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| corrupt(column, format!("{} bytes, not 16", b.len())))?;
    Ok(Aaguid::from_bytes(array))
}

pub(super) fn user(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: UserId::from_db(get(row, "id")?),
        user_principal_name: get(row, "user_principal_name")?,
        display_name: get(row, "display_name")?,
        account_enabled: get_bool(row, "account_enabled")?,
        user_handle: UserHandle::from_bytes(get(row, "user_handle")?)
            .map_err(|e| corrupt("user_handle", e))?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(super) fn group(row: &AnyRow) -> Result<Group, StoreError> {
    Ok(Group {
        id: GroupId::from_db(get(row, "id")?),
        display_name: get(row, "display_name")?,
        description: get(row, "description")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(super) fn passkey(row: &AnyRow) -> Result<Passkey, StoreError> {
    let level: String = get(row, "attestation_level")?;
    let kind: String = get(row, "passkey_type")?;
    let certificates: Vec<String> = get_json(row, "attestation_certificates")?;
    Ok(Passkey {
        id: MethodId::from_db(get(row, "id")?),
        credential_id: CredentialId::from_bytes(get(row, "credential_id")?)
            .map_err(|e| corrupt("credential_id", e))?,
        user_id: UserId::from_db(get(row, "user_id")?),
        display_name: get(row, "display_name")?,
        created_at: get_time(row, "created_at")?,
        last_used_at: get_opt_time(row, "last_used_at")?,
        aaguid: get_aaguid(row, "aaguid")?,
        public_key: get(row, "public_key")?,
        sign_count: u32::try_from(get::<i64>(row, "sign_count")?)
            .map_err(|e| corrupt("sign_count", e))?,
        backup_eligible: get_bool(row, "backup_eligible")?,
        backed_up: get_bool(row, "backed_up")?,
        transports: get_json(row, "transports")?,
        attestation_format: get(row, "attestation_format")?,
        attestation_level: AttestationLevel::parse(&level)
            .ok_or_else(|| corrupt("attestation_level", &level))?,
        attestation_certificates: certificates
            .iter()
            .map(|c| hex_decode(c).ok_or_else(|| corrupt("attestation_certificates", "not hex")))
            .collect::<Result<_, _>>()?,
        passkey_type: PasskeyType::parse(&kind).ok_or_else(|| corrupt("passkey_type", &kind))?,
        flagged: get(row, "flagged")?,
    })
}

pub(super) fn passkey_summary(row: &AnyRow) -> Result<PasskeySummary, StoreError> {
    let level: String = get(row, "attestation_level")?;
    let kind: String = get(row, "passkey_type")?;
    Ok(PasskeySummary {
        id: MethodId::from_db(get(row, "id")?),
        aaguid: get_aaguid(row, "aaguid")?,
        passkey_type: PasskeyType::parse(&kind).ok_or_else(|| corrupt("passkey_type", &kind))?,
        attestation_level: AttestationLevel::parse(&level)
            .ok_or_else(|| corrupt("attestation_level", &level))?,
    })
}

pub(super) fn certificates_json(certificates: &[Vec<u8>]) -> Result<String, StoreError> {
    to_json(
        &certificates
            .iter()
            .map(|c| hex_encode(c))
            .collect::<Vec<_>>(),
    )
}

pub(super) fn tap(row: &AnyRow) -> Result<TemporaryAccessPass, StoreError> {
    Ok(TemporaryAccessPass {
        id: MethodId::from_db(get(row, "id")?),
        user_id: UserId::from_db(get(row, "user_id")?),
        phc_hash: get(row, "phc_hash")?,
        created_at: get_time(row, "created_at")?,
        start_at: get_time(row, "start_at")?,
        lifetime_minutes: get(row, "lifetime_minutes")?,
        usable_once: get_bool(row, "usable_once")?,
        used_at: get_opt_time(row, "used_at")?,
        failed_attempts: get(row, "failed_attempts")?,
    })
}

pub(super) fn password(row: &AnyRow) -> Result<PasswordMethod, StoreError> {
    Ok(PasswordMethod {
        user_id: UserId::from_db(get(row, "user_id")?),
        phc_hash: get(row, "phc_hash")?,
        created_at: get_time(row, "created_at")?,
    })
}

pub(super) fn oath(row: &AnyRow) -> Result<SoftwareOathMethod, StoreError> {
    Ok(SoftwareOathMethod {
        id: MethodId::from_db(get(row, "id")?),
        user_id: UserId::from_db(get(row, "user_id")?),
        secret: get(row, "secret")?,
        created_at: get_time(row, "created_at")?,
        last_used_step: get(row, "last_used_step")?,
    })
}

pub(super) fn policy(row: &AnyRow) -> Result<PolicyVersion, StoreError> {
    Ok(PolicyVersion {
        version: get(row, "version")?,
        json: get(row, "json")?,
        etag: get(row, "etag")?,
        created_at: get_time(row, "created_at")?,
        author: get(row, "author")?,
    })
}

pub(super) fn ceremony(row: &AnyRow) -> Result<Ceremony, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(Ceremony {
        challenge: get(row, "challenge")?,
        kind: CeremonyKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        user_id: get::<Option<String>>(row, "user_id")?.map(UserId::from_db),
        session_id: get(row, "session_id")?,
        state_json: get(row, "state_json")?,
        expires_at: get_time(row, "expires_at")?,
    })
}

pub(super) fn session(row: &AnyRow) -> Result<Session, StoreError> {
    let auth_methods: Vec<AuthMethodUse> = get_json(row, "auth_methods")?;
    Ok(Session {
        id_hash: get(row, "id_hash")?,
        user_id: UserId::from_db(get(row, "user_id")?),
        created_at: get_time(row, "created_at")?,
        expires_at: get_time(row, "expires_at")?,
        auth_methods,
        csrf_token_hash: get(row, "csrf_token_hash")?,
    })
}

pub(super) fn signing_key(row: &AnyRow) -> Result<SigningKey, StoreError> {
    Ok(SigningKey {
        kid: get(row, "kid")?,
        algorithm: get(row, "algorithm")?,
        private_key: get(row, "private_key")?,
        created_at: get_time(row, "created_at")?,
        retired_at: get_opt_time(row, "retired_at")?,
    })
}

pub(super) fn trust_anchor(row: &AnyRow) -> Result<TrustAnchor, StoreError> {
    let kind: String = get(row, "kind")?;
    Ok(TrustAnchor {
        id: get(row, "id")?,
        kind: TrustAnchorKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        der: get(row, "der")?,
        subject: get(row, "subject")?,
        added_at: get_time(row, "added_at")?,
    })
}

pub(super) fn audit(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    let result: String = get(row, "result")?;
    Ok(AuditEntry {
        id: get(row, "id")?,
        activity_date_time: get_time(row, "activity_date_time")?,
        activity_display_name: get(row, "activity_display_name")?,
        category: get(row, "category")?,
        result: AuditResult::parse(&result).ok_or_else(|| corrupt("result", &result))?,
        result_reason: get(row, "result_reason")?,
        initiated_by: get_json(row, "initiated_by")?,
        target_resources: get_json(row, "target_resources")?,
        additional_details: get_json(row, "additional_details")?,
        logged_by_service: get(row, "logged_by_service")?,
        operation_type: get(row, "operation_type")?,
        correlation_id: get(row, "correlation_id")?,
    })
}

pub(super) fn sign_in(row: &AnyRow) -> Result<SignInEntry, StoreError> {
    let aaguid = match get::<Option<Vec<u8>>>(row, "aaguid")? {
        Some(_) => Some(get_aaguid(row, "aaguid")?),
        None => None,
    };
    let credential_id = get::<Option<Vec<u8>>>(row, "credential_id")?
        .map(CredentialId::from_bytes)
        .transpose()
        .map_err(|e| corrupt("credential_id", e))?;
    Ok(SignInEntry {
        id: get(row, "id")?,
        created_at: get_time(row, "created_at")?,
        user_id: get(row, "user_id")?,
        user_principal_name: get(row, "user_principal_name")?,
        app_id: get(row, "app_id")?,
        ip: get(row, "ip")?,
        status: SignInStatus {
            error_code: get(row, "error_code")?,
            failure_reason: get(row, "failure_reason")?,
        },
        authentication_method: get(row, "authentication_method")?,
        aaguid,
        credential_id,
        correlation_id: get(row, "correlation_id")?,
    })
}

// --- Writing the audit entry ----------------------------------------------------

/// Inserts an audit entry; the caller owns the transaction and maps errors.
pub(super) async fn insert_audit(
    conn: &mut AnyConnection,
    entry: &AuditEntry,
) -> Result<Result<(), sqlx::Error>, StoreError> {
    let initiated_by = to_json(&entry.initiated_by)?;
    let targets = to_json(&entry.target_resources)?;
    let details = to_json(&entry.additional_details)?;
    let done = sqlx::query(
        "INSERT INTO audit_log (id, activity_date_time, activity_display_name, category, result, \
         result_reason, initiated_by, target_resources, additional_details, logged_by_service, \
         operation_type, correlation_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&entry.id)
    .bind(entry.activity_date_time.as_millis())
    .bind(&entry.activity_display_name)
    .bind(&entry.category)
    .bind(entry.result.as_str())
    .bind(&entry.result_reason)
    .bind(initiated_by)
    .bind(targets)
    .bind(details)
    .bind(&entry.logged_by_service)
    .bind(&entry.operation_type)
    .bind(&entry.correlation_id)
    .execute(conn)
    .await;
    Ok(done.map(|_| ()))
}

// --- Hex and continuation tokens -------------------------------------------------

pub(super) fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

/// An opaque continuation token: hex of the position text.
pub(super) fn encode_token(position: &str) -> String {
    hex_encode(position.as_bytes())
}

pub(super) fn decode_token(token: &str) -> Result<String, StoreError> {
    hex_decode(token)
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(bad_token)
}

fn bad_token() -> StoreError {
    StoreError::InvalidInput {
        what: "the $skiptoken is not one Keybound issued; start again from the first page".into(),
    }
}

/// A `(time, id)` keyset position for the newest-first logs.
pub(super) fn encode_time_token(at: Timestamp, id: &str) -> String {
    encode_token(&format!("{}:{id}", at.as_millis()))
}

pub(super) fn decode_time_token(token: &str) -> Result<(i64, String), StoreError> {
    let text = decode_token(token)?;
    let (ms, id) = text.split_once(':').ok_or_else(bad_token)?;
    let ms = ms.parse().map_err(|_| bad_token())?;
    Ok((ms, id.to_owned()))
}

/// Page size: 0 means Graph's default of 100; at most 999.
pub(super) fn page_size(top: u32) -> i64 {
    match top {
        0 => 100,
        n => i64::from(n.min(999)),
    }
}

// --- Queries with optional conditions ---------------------------------------------

/// A value to bind.
pub(super) enum Arg {
    Text(String),
    Int(i64),
}

/// Builds `WHERE` clauses with `$n` placeholders numbered as they are added.
#[derive(Default)]
pub(super) struct Conditions {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Conditions {
    /// Adds a value and returns its placeholder.
    pub(super) fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(super) fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// ` WHERE a AND b`, or nothing.
    pub(super) fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Adds a name filter on `table`'s folded columns. `has_upn` is false for groups.
    pub(super) fn name_filter(
        &mut self,
        filter: &NameFilter,
        column_prefix: &str,
        has_upn: bool,
    ) -> Result<(), StoreError> {
        let column = match filter.field {
            NameField::UserPrincipalName if has_upn => "upn_folded",
            NameField::UserPrincipalName => {
                return Err(StoreError::InvalidInput {
                    what: "groups have no userPrincipalName to filter on; filter on displayName"
                        .into(),
                })
            }
            NameField::DisplayName => "display_name_folded",
        };
        let value = fold(&filter.value);
        match filter.matching {
            NameMatch::Equals => {
                let p = self.arg(Arg::Text(value));
                self.push(format!("{column_prefix}{column} = {p}"));
            }
            NameMatch::StartsWith => {
                let mut pattern = String::with_capacity(value.len() + 1);
                for c in value.chars() {
                    if matches!(c, '!' | '%' | '_') {
                        pattern.push('!');
                    }
                    pattern.push(c);
                }
                pattern.push('%');
                let p = self.arg(Arg::Text(pattern));
                self.push(format!("{column_prefix}{column} LIKE {p} ESCAPE '!'"));
            }
        }
        Ok(())
    }

    /// Builds the query, binding every value in order.
    pub(super) fn query(self, sql: &str) -> Query<'_, Any, AnyArguments<'_>> {
        let mut query = sqlx::query(sql);
        for arg in self.args {
            query = match arg {
                Arg::Text(text) => query.bind(text),
                Arg::Int(int) => query.bind(int),
            };
        }
        query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_tokens_round_trip_and_garbage_is_refused() {
        assert_eq!(hex_encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode("00abff"), Some(vec![0, 0xab, 0xff]));
        for bad in ["0", "zz", "0g", "é0"] {
            assert_eq!(hex_decode(bad), None, "{bad}");
        }
        let token = encode_time_token(Timestamp::from_millis(42), "a:b");
        assert_eq!(decode_time_token(&token), Ok((42, "a:b".to_owned())));
        assert!(decode_time_token("not a token").is_err());
        assert!(decode_time_token(&encode_token("no-colon")).is_err());
    }

    #[test]
    fn page_sizes_follow_graph() {
        assert_eq!(page_size(0), 100);
        assert_eq!(page_size(5), 5);
        assert_eq!(page_size(5000), 999);
    }
}
