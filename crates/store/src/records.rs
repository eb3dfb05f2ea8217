//! The records the store keeps: plain structs, no behaviour beyond small
//! conveniences. Wire shapes (Graph JSON) are the server's business.

use keybound_webauthn::{Aaguid, CredentialId, UserHandle};

use crate::ids::{GroupId, MethodId, UserId};
use crate::time::Timestamp;

/// Which database is behind a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A directory user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Object id.
    pub id: UserId,
    /// Sign-in name; unique without regard to case.
    pub user_principal_name: String,
    /// Name shown to people.
    pub display_name: String,
    /// Whether the user may sign in.
    pub account_enabled: bool,
    /// WebAuthn user handle: random bytes chosen once by the caller (32 of them).
    pub user_handle: UserHandle,
    /// When the user was created.
    pub created_at: Timestamp,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// New sign-in name.
    pub user_principal_name: Option<String>,
    /// New display name.
    pub display_name: Option<String>,
    /// Enable or disable sign-in.
    pub account_enabled: Option<bool>,
}

/// A security group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Object id.
    pub id: GroupId,
    /// Name shown to people (not unique, as in Entra).
    pub display_name: String,
    /// Optional description.
    pub description: Option<String>,
    /// When the group was created.
    pub created_at: Timestamp,
}

/// Changes to a group; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// New display name.
    pub display_name: Option<String>,
    /// New description (`Some(None)` clears it).
    pub description: Option<Option<String>>,
}

/// The directory roles Keybound knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirectoryRole {
    /// Everything, including other admins' methods.
    GlobalAdministrator,
    /// Changes the authentication-methods policy.
    AuthenticationPolicyAdministrator,
    /// Manages non-admin users' methods and Temporary Access Passes.
    AuthenticationAdministrator,
}

impl DirectoryRole {
    /// Every role, in a stable order.
    pub const ALL: [DirectoryRole; 3] = [
        DirectoryRole::GlobalAdministrator,
        DirectoryRole::AuthenticationPolicyAdministrator,
        DirectoryRole::AuthenticationAdministrator,
    ];

    /// The role's name as Entra spells its template (`GlobalAdministrator`).
    pub fn as_str(self) -> &'static str {
        match self {
            DirectoryRole::GlobalAdministrator => "GlobalAdministrator",
            DirectoryRole::AuthenticationPolicyAdministrator => "AuthenticationPolicyAdministrator",
            DirectoryRole::AuthenticationAdministrator => "AuthenticationAdministrator",
        }
    }

    /// The role named `text` (as [`DirectoryRole::as_str`] writes it).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// A user's password, as a PHC string (the store never sees the password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordMethod {
    /// Whose password.
    pub user_id: UserId,
    /// PHC string, e.g. `$argon2id$v=19$…`.
    pub phc_hash: String,
    /// When it was set.
    pub created_at: Timestamp,
}

/// A software OATH (TOTP) token.
#[derive(Clone, PartialEq, Eq)]
pub struct SoftwareOathMethod {
    /// Method id.
    pub id: MethodId,
    /// Whose token.
    pub user_id: UserId,
    /// The shared secret as the caller gives it (the server encrypts it).
    pub secret: Vec<u8>,
    /// When it was added.
    pub created_at: Timestamp,
    /// The last time step accepted; a code for this step or an earlier one is refused.
    pub last_used_step: i64,
}

impl std::fmt::Debug for SoftwareOathMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareOathMethod")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("secret", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("last_used_step", &self.last_used_step)
            .finish()
    }
}

/// A Temporary Access Pass (one per user; the store keeps only its hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryAccessPass {
    /// Method id.
    pub id: MethodId,
    /// Whose pass.
    pub user_id: UserId,
    /// PHC string of the pass.
    pub phc_hash: String,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it becomes usable.
    pub start_at: Timestamp,
    /// How long it stays usable after `start_at`.
    pub lifetime_minutes: i64,
    /// Whether one sign-in spends it.
    pub usable_once: bool,
    /// When a one-time pass was spent.
    pub used_at: Option<Timestamp>,
    /// Wrong codes tried against it.
    pub failed_attempts: i64,
}

/// Whether a Temporary Access Pass can be used now, in Graph's `methodUsabilityReason` terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TapUsability {
    /// Usable.
    Usable,
    /// `start_at` is still ahead.
    NotYetValid,
    /// The lifetime has passed.
    Expired,
    /// A one-time pass was already spent.
    OneTimeUsed,
}

impl TemporaryAccessPass {
    /// The moment the pass stops working.
    pub fn expires_at(&self) -> Timestamp {
        self.start_at.plus_minutes(self.lifetime_minutes)
    }

    /// Whether the pass can be used at `now` (the same rule `consume_tap` applies).
    pub fn usability(&self, now: Timestamp) -> TapUsability {
        if self.used_at.is_some() {
            return TapUsability::OneTimeUsed;
        }
        if now < self.start_at {
            return TapUsability::NotYetValid;
        }
        if now >= self.expires_at() {
            return TapUsability::Expired;
        }
        TapUsability::Usable
    }
}

/// How a passkey's attestation was judged at registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestationLevel {
    /// The attestation chained to a trusted root.
    Attested,
    /// No attestation, or none that could be trusted.
    NotAttested,
}

impl AttestationLevel {
    /// Graph's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationLevel::Attested => "attested",
            AttestationLevel::NotAttested => "notAttested",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "attested" => Some(AttestationLevel::Attested),
            "notAttested" => Some(AttestationLevel::NotAttested),
            _ => None,
        }
    }
}

/// Whether a passkey can leave its device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasskeyType {
    /// Kept on one device.
    DeviceBound,
    /// Synchronised by a provider (backup eligible).
    Synced,
}

impl PasskeyType {
    /// Graph's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PasskeyType::DeviceBound => "deviceBound",
            PasskeyType::Synced => "synced",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "deviceBound" => Some(PasskeyType::DeviceBound),
            "synced" => Some(PasskeyType::Synced),
            _ => None,
        }
    }
}

/// A registered passkey (Graph `fido2AuthenticationMethod` plus what verification needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passkey {
    /// Method id.
    pub id: MethodId,
    /// The authenticator's credential ID; unique across all users.
    pub credential_id: CredentialId,
    /// Whose passkey.
    pub user_id: UserId,
    /// Name given by the user.
    pub display_name: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last signed someone in.
    pub last_used_at: Option<Timestamp>,
    /// The authenticator model.
    pub aaguid: Aaguid,
    /// The COSE public key.
    pub public_key: Vec<u8>,
    /// The last signature counter seen.
    pub sign_count: u32,
    /// BE flag at registration.
    pub backup_eligible: bool,
    /// BS flag, as last seen.
    pub backed_up: bool,
    /// Transports the browser reported (`usb`, `nfc`, `hybrid`, `internal`, …).
    pub transports: Vec<String>,
    /// Attestation statement format (`packed`, `tpm`, `none`, …).
    pub attestation_format: String,
    /// Whether the attestation was trusted.
    pub attestation_level: AttestationLevel,
    /// The attestation certificates (DER), leaf first.
    pub attestation_certificates: Vec<Vec<u8>>,
    /// Device-bound or synced.
    pub passkey_type: PasskeyType,
    /// A note when something odd was seen (counter regression, BE change); `None` when clean.
    pub flagged: Option<String>,
}

/// One passkey as the registration report needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeySummary {
    /// Method id.
    pub id: MethodId,
    /// The authenticator model (to tell Authenticator and Windows Hello apart).
    pub aaguid: Aaguid,
    /// Device-bound or synced.
    pub passkey_type: PasskeyType,
    /// Whether the attestation was trusted.
    pub attestation_level: AttestationLevel,
}

/// Per user, which methods they hold: the inputs of Graph's `userRegistrationDetails`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodsSummary {
    /// The user.
    pub user_id: UserId,
    /// Their sign-in name.
    pub user_principal_name: String,
    /// Their display name.
    pub display_name: String,
    /// Whether they may sign in.
    pub account_enabled: bool,
    /// Whether they hold any directory role.
    pub is_admin: bool,
    /// Their passkeys.
    pub passkeys: Vec<PasskeySummary>,
    /// Whether they have a password.
    pub has_password: bool,
    /// How many software OATH tokens they have.
    pub software_oath_count: u32,
    /// Whether they hold a Temporary Access Pass (usable or not).
    pub has_temporary_access_pass: bool,
    /// When their methods last changed (or when the user was created, if never).
    pub last_updated: Timestamp,
}

/// A version of the authentication-methods policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyVersion {
    /// 1, 2, 3, … in the order saved.
    pub version: i64,
    /// The policy document (Graph JSON), as the policy crate wrote it.
    pub json: String,
    /// Opaque tag for optimistic concurrency (`If-Match`).
    pub etag: String,
    /// When it was saved.
    pub created_at: Timestamp,
    /// Who saved it (a user principal name or app id).
    pub author: String,
}

/// Which WebAuthn ceremony a pending state belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Creating a credential.
    Registration,
    /// Signing in.
    Authentication,
}

impl CeremonyKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Registration => "registration",
            CeremonyKind::Authentication => "authentication",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "registration" => Some(CeremonyKind::Registration),
            "authentication" => Some(CeremonyKind::Authentication),
            _ => None,
        }
    }
}

/// A WebAuthn ceremony waiting for the browser's answer; single use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ceremony {
    /// The challenge issued (the key).
    pub challenge: Vec<u8>,
    /// Registration or authentication.
    pub kind: CeremonyKind,
    /// The user it is for, when known.
    pub user_id: Option<UserId>,
    /// The session it belongs to (the session's `id_hash`), when there is one.
    pub session_id: Option<Vec<u8>>,
    /// The serialised ceremony state.
    pub state_json: String,
    /// After this moment the ceremony cannot finish.
    pub expires_at: Timestamp,
}

/// One authentication step a session has passed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthMethodUse {
    /// What was used (`passkey`, `tap`, `password`, `totp`, …).
    pub method: String,
    /// When, in milliseconds since the epoch.
    pub at: i64,
}

/// A signed-in browser session; the cookie's secret is known only by its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie secret.
    pub id_hash: Vec<u8>,
    /// Who is signed in.
    pub user_id: UserId,
    /// When the session started.
    pub created_at: Timestamp,
    /// When it ends.
    pub expires_at: Timestamp,
    /// The authentication steps passed, in order.
    pub auth_methods: Vec<AuthMethodUse>,
    /// Hash of the session's CSRF token.
    pub csrf_token_hash: Vec<u8>,
}

/// A key that signs tokens and cookies.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// Key id (`kid`).
    pub kid: String,
    /// JOSE algorithm (`ES256`, `EdDSA`, …).
    pub algorithm: String,
    /// The private key (PKCS#8), raw or encrypted by the caller.
    pub private_key: Vec<u8>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it stopped signing (it still verifies for a while).
    pub retired_at: Option<Timestamp>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("private_key", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

/// Where an attestation trust anchor came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustAnchorKind {
    /// A FIDO Metadata Service root.
    MdsRoot,
    /// The organisation's own CA for its authenticators.
    OrganisationCa,
}

impl TrustAnchorKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TrustAnchorKind::MdsRoot => "mds_root",
            TrustAnchorKind::OrganisationCa => "organisation_ca",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "mds_root" => Some(TrustAnchorKind::MdsRoot),
            "organisation_ca" => Some(TrustAnchorKind::OrganisationCa),
            _ => None,
        }
    }
}

/// A certificate attestation chains may end at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    /// Id (a GUID chosen by the caller).
    pub id: String,
    /// MDS root or organisation CA.
    pub kind: TrustAnchorKind,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// Its subject, for people.
    pub subject: String,
    /// When it was added.
    pub added_at: Timestamp,
}

/// A verified FIDO MDS3 BLOB payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdsBlob {
    /// The BLOB's serial number (`no`).
    pub number: i64,
    /// When the next BLOB is due (`nextUpdate`, midnight UTC).
    pub next_update: Timestamp,
    /// The verified payload JSON.
    pub json: String,
    /// When it was loaded.
    pub loaded_at: Timestamp,
}

/// A loaded MDS BLOB without its (large) payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdsBlobInfo {
    /// The BLOB's serial number.
    pub number: i64,
    /// When the next BLOB is due.
    pub next_update: Timestamp,
    /// When it was loaded.
    pub loaded_at: Timestamp,
}

/// What [`crate::Store::purge_expired`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Pending ceremonies past their expiry.
    pub ceremonies: u64,
    /// Sessions past their expiry.
    pub sessions: u64,
}

/// Which field a directory listing filters on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameField {
    /// `userPrincipalName` (users only).
    UserPrincipalName,
    /// `displayName`.
    DisplayName,
}

/// How a directory listing compares (Graph `eq` and `startsWith`, both ignoring case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameMatch {
    /// `eq`.
    Equals,
    /// `startsWith`.
    StartsWith,
}

/// A `$filter` a directory listing supports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameFilter {
    /// The field.
    pub field: NameField,
    /// The comparison.
    pub matching: NameMatch,
    /// The value compared with (case does not matter).
    pub value: String,
}

/// A page request for users, groups or the registration report, ordered by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Optional filter.
    pub filter: Option<NameFilter>,
    /// Page size: 0 means 100; at most 999.
    pub top: u32,
    /// The continuation token of the previous page.
    pub skip_token: Option<String>,
}

/// One page of results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The results.
    pub items: Vec<T>,
    /// Pass as `skip_token` to get the next page; `None` on the last page.
    pub next_skip_token: Option<String>,
}
