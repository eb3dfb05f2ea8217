//! WebAuthn Level 3 JSON encodings (§5.1.8–5.1.10, §5.4, §5.5): what the
//! browser's `toJSON()` produces and `parse…OptionsFromJSON()` consumes.
//!
//! These are wire shapes only; [`crate::RegistrationResponse`] and
//! [`crate::AuthenticationResponse`] decode them into checked values.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `RegistrationResponseJSON`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponseJson {
    /// The credential id, base64url.
    pub id: String,
    /// The credential id, base64url (the same bytes as `id`).
    pub raw_id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The authenticator's response.
    pub response: AuthenticatorAttestationResponseJson,
    /// `platform` or `cross-platform`, when the client knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// Client extension outputs (`credProps`, `prf`, …). Some old clients call it `extensions`.
    #[serde(default, alias = "extensions")]
    pub client_extension_results: Map<String, Value>,
}

/// `AuthenticatorAttestationResponseJSON`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorAttestationResponseJson {
    /// clientDataJSON, base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// The CBOR attestation object, base64url.
    pub attestation_object: String,
    /// Transports the authenticator supports (`internal`, `hybrid`, `usb`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transports: Option<Vec<String>>,
    /// Convenience copy of authenticator data; the attestation object is authoritative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_data: Option<String>,
    /// Convenience SPKI copy of the public key; the attestation object is authoritative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Convenience copy of the key's COSE algorithm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_algorithm: Option<i64>,
}

/// `AuthenticationResponseJSON`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponseJson {
    /// The credential id, base64url.
    pub id: String,
    /// The credential id, base64url.
    pub raw_id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// The authenticator's response.
    pub response: AuthenticatorAssertionResponseJson,
    /// `platform` or `cross-platform`, when the client knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// Client extension outputs.
    #[serde(default, alias = "extensions")]
    pub client_extension_results: Map<String, Value>,
}

/// `AuthenticatorAssertionResponseJSON`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorAssertionResponseJson {
    /// clientDataJSON, base64url.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// Authenticator data, base64url.
    pub authenticator_data: String,
    /// The assertion signature, base64url.
    pub signature: String,
    /// The user handle a discoverable credential returns, base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_handle: Option<String>,
}

/// `PublicKeyCredentialRpEntity`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RpEntityJson {
    /// The RP ID.
    pub id: String,
    /// A name to show people.
    pub name: String,
}

/// `PublicKeyCredentialUserEntityJSON`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEntityJson {
    /// The user handle, base64url.
    pub id: String,
    /// The account name (user principal name).
    pub name: String,
    /// The person's name.
    pub display_name: String,
}

/// `PublicKeyCredentialParameters`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialParametersJson {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// A COSE algorithm identifier.
    pub alg: i64,
}

/// `PublicKeyCredentialDescriptorJSON`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialDescriptorJson {
    /// The credential id, base64url.
    pub id: String,
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub credential_type: String,
    /// Transports recorded at registration, as hints to the client.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<String>,
}

/// `AuthenticatorSelectionCriteria`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelectionJson {
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// `discouraged`, `preferred` or `required`.
    pub resident_key: String,
    /// Level 1 spelling of `residentKey: "required"`.
    pub require_resident_key: bool,
    /// `required`, `preferred` or `discouraged`.
    pub user_verification: String,
}

/// `PublicKeyCredentialCreationOptionsJSON`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreationOptionsJson {
    /// The relying party.
    pub rp: RpEntityJson,
    /// The account the credential is for.
    pub user: UserEntityJson,
    /// The challenge, base64url.
    pub challenge: String,
    /// Acceptable algorithms, most preferred first.
    pub pub_key_cred_params: Vec<CredentialParametersJson>,
    /// Milliseconds the client should wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// Credentials the authenticator must not create a second credential beside.
    #[serde(default)]
    pub exclude_credentials: Vec<CredentialDescriptorJson>,
    /// Authenticator requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_selection: Option<AuthenticatorSelectionJson>,
    /// UI hints (`security-key`, `client-device`, `hybrid`).
    #[serde(default)]
    pub hints: Vec<String>,
    /// `none`, `indirect`, `direct` or `enterprise`.
    pub attestation: String,
    /// Client extension inputs (`credProps`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}

/// `PublicKeyCredentialRequestOptionsJSON`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestOptionsJson {
    /// The challenge, base64url.
    pub challenge: String,
    /// Milliseconds the client should wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// The RP ID.
    pub rp_id: String,
    /// Credentials that may answer; empty for discoverable sign-in.
    #[serde(default)]
    pub allow_credentials: Vec<CredentialDescriptorJson>,
    /// `required`, `preferred` or `discouraged`.
    pub user_verification: String,
    /// UI hints.
    #[serde(default)]
    pub hints: Vec<String>,
    /// Client extension inputs.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}
