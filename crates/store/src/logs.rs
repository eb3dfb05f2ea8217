//! The append-only logs: audit entries shaped like Graph's `directoryAudit`
//! and sign-in entries shaped like Graph's `signIn`.

use keybound_webauthn::{Aaguid, CredentialId};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// Graph's `operationResult`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditResult {
    /// The operation succeeded.
    Success,
    /// It failed.
    Failure,
    /// It timed out.
    Timeout,
}

impl AuditResult {
    /// Graph's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditResult::Success => "success",
            AuditResult::Failure => "failure",
            AuditResult::Timeout => "timeout",
        }
    }

    /// The result Graph spells `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "success" => Some(AuditResult::Success),
            "failure" => Some(AuditResult::Failure),
            "timeout" => Some(AuditResult::Timeout),
            _ => None,
        }
    }
}

/// Graph's `userIdentity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserIdentity {
    /// The user's object id.
    pub id: String,
    /// Their display name.
    pub display_name: Option<String>,
    /// Their sign-in name.
    pub user_principal_name: Option<String>,
    /// Where the request came from.
    pub ip_address: Option<String>,
}

/// Graph's `appIdentity`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppIdentity {
    /// The application (client) id.
    pub app_id: String,
    /// Its name.
    pub display_name: Option<String>,
}

/// Graph's `auditActivityInitiator`: a user or an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Initiator {
    /// A person.
    User(UserIdentity),
    /// An application or Keybound itself.
    App(AppIdentity),
}

/// Graph's `modifiedProperty`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModifiedProperty {
    /// The property.
    pub display_name: String,
    /// Its value before (JSON text, as Graph writes it).
    pub old_value: Option<String>,
    /// Its value after.
    pub new_value: Option<String>,
}

/// Graph's `targetResource`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TargetResource {
    /// The target's id.
    pub id: Option<String>,
    /// Its display name.
    pub display_name: Option<String>,
    /// `User`, `Group`, `Policy`, `Role`, `Directory`, `Other`, …
    #[serde(rename = "type")]
    pub resource_type: String,
    /// For users, their sign-in name.
    pub user_principal_name: Option<String>,
    /// What changed.
    pub modified_properties: Vec<ModifiedProperty>,
}

/// Graph's `keyValue`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyValue {
    /// Key, e.g. `AAGuid`.
    pub key: String,
    /// Value.
    pub value: String,
}

/// One audit log entry (Graph `directoryAudit`).
///
/// Every method that changes security state takes one and writes it in the
/// same transaction as the change: both are stored or neither. Its
/// `activity_date_time` is also the time the store records for the change
/// itself where the change has no time of its own (a deletion, for example).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Unique id (a GUID).
    pub id: String,
    /// When it happened.
    pub activity_date_time: Timestamp,
    /// Activity, e.g. `Add Passkey (device-bound)`.
    pub activity_display_name: String,
    /// E.g. `UserManagement`, `Policy`, `RoleManagement`, `KeyManagement`.
    pub category: String,
    /// Success, failure or timeout.
    pub result: AuditResult,
    /// Why, for failures.
    pub result_reason: String,
    /// Who did it.
    pub initiated_by: Initiator,
    /// What it was done to.
    pub target_resources: Vec<TargetResource>,
    /// Extra facts, e.g. `{key: "AAGuid", value: …}`.
    pub additional_details: Vec<KeyValue>,
    /// E.g. `Core Directory`, `Authentication Methods`.
    pub logged_by_service: String,
    /// `Add`, `Update`, `Delete`, `Assign`, `Unassign`, …
    pub operation_type: String,
    /// Ties the entry to the request that caused it.
    pub correlation_id: String,
}

/// Which audit entries to read, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this activity (exact match).
    pub activity_display_name: Option<String>,
    /// Only this result.
    pub result: Option<AuditResult>,
    /// Only entries at or after this time (`activityDateTime ge`).
    pub from: Option<Timestamp>,
    /// Only entries at or before this time (`activityDateTime le`).
    pub to: Option<Timestamp>,
    /// Page size: 0 means 100; at most 999.
    pub top: u32,
    /// The continuation token of the previous page.
    pub skip_token: Option<String>,
}

/// Graph's `signInStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInStatus {
    /// 0 for success, else an error code (AADSTS-style number).
    pub error_code: i64,
    /// Why it failed.
    pub failure_reason: Option<String>,
}

/// One sign-in log entry (Graph `signIn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInEntry {
    /// Unique id (a GUID).
    pub id: String,
    /// When it happened.
    pub created_at: Timestamp,
    /// The user's object id, when the user is known.
    pub user_id: Option<String>,
    /// The name the user gave or was found under.
    pub user_principal_name: Option<String>,
    /// The application signed in to.
    pub app_id: Option<String>,
    /// Client IP address.
    pub ip: Option<String>,
    /// Success or the error.
    pub status: SignInStatus,
    /// E.g. `Passkey (device-bound)`, `Temporary Access Pass`.
    pub authentication_method: Option<String>,
    /// The authenticator model used, for passkeys.
    pub aaguid: Option<Aaguid>,
    /// The credential used, for passkeys.
    pub credential_id: Option<CredentialId>,
    /// Ties the entry to the request.
    pub correlation_id: Option<String>,
}

/// Which sign-ins to read, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SignInQuery {
    /// Only this user id.
    pub user_id: Option<String>,
    /// Only this user principal name (case does not matter).
    pub user_principal_name: Option<String>,
    /// Only this status code (0 = successes).
    pub error_code: Option<i64>,
    /// Only entries at or after this time.
    pub from: Option<Timestamp>,
    /// Only entries at or before this time.
    pub to: Option<Timestamp>,
    /// Page size: 0 means 100; at most 999.
    pub top: u32,
    /// The continuation token of the previous page.
    pub skip_token: Option<String>,
}
