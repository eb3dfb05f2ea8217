//! The JSON shapes the API answers with: Graph's authentication methods
//! (`fido2AuthenticationMethod` and its siblings) and the signed-in body.

use keybound_metadata::Catalog;
use keybound_store::{
    Passkey, PasswordMethod, Session, SoftwareOathMethod, TapUsability, TemporaryAccessPass,
    Timestamp, User,
};
use keybound_webauthn::encoding;
use serde_json::{json, Value};

/// Graph's fixed id of the password method.
const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// A passkey as Graph's `fido2AuthenticationMethod`.
///
/// `model` is the catalog's provider name, or null; `attestationCertificates`
/// are the DER certificates in standard base64, as the Graph surface
/// (`graph::methods`) writes them, so both surfaces show a passkey alike.
pub(super) fn fido2_method(passkey: &Passkey, catalog: &Catalog) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
        "id": passkey.id.as_str(),
        "displayName": passkey.display_name,
        "createdDateTime": passkey.created_at.to_rfc3339(),
        "aaGuid": passkey.aaguid.to_string(),
        "model": catalog.get(passkey.aaguid).map(|p| p.name().to_owned()),
        "attestationCertificates": passkey
            .attestation_certificates
            .iter()
            .map(|der| standard_base64(der))
            .collect::<Vec<_>>(),
        "attestationLevel": passkey.attestation_level.as_str(),
        "passkeyType": passkey.passkey_type.as_str(),
    })
}

/// Standard, padded base64 (Graph's `Edm.Binary` spelling).
fn standard_base64(der: &[u8]) -> String {
    let mut text: String = encoding::encode(der)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while text.len() % 4 != 0 {
        text.push('=');
    }
    text
}

/// A Temporary Access Pass as Graph's `temporaryAccessPassAuthenticationMethod` (never the code).
pub(super) fn tap_method(
    tap: &TemporaryAccessPass,
    usable_by_policy: bool,
    now: Timestamp,
) -> Value {
    let reason = match tap.usability(now) {
        TapUsability::Usable if usable_by_policy => "enabledByPolicy",
        TapUsability::Usable => "disabledByPolicy",
        TapUsability::NotYetValid => "notYetValid",
        TapUsability::Expired => "expired",
        TapUsability::OneTimeUsed => "oneTimeUsed",
    };
    json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": tap.id.as_str(),
        "temporaryAccessPass": null,
        "createdDateTime": tap.created_at.to_rfc3339(),
        "startDateTime": tap.start_at.to_rfc3339(),
        "lifetimeInMinutes": tap.lifetime_minutes,
        "isUsableOnce": tap.usable_once,
        "isUsable": reason == "enabledByPolicy",
        "methodUsabilityReason": reason,
    })
}

/// A password as Graph's `passwordAuthenticationMethod` (never the password).
pub(super) fn password_method(password: &PasswordMethod) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": PASSWORD_METHOD_ID,
        "password": null,
        "createdDateTime": password.created_at.to_rfc3339(),
    })
}

/// A TOTP token as Graph's `softwareOathAuthenticationMethod` (never the secret).
pub(super) fn oath_method(method: &SoftwareOathMethod) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
        "id": method.id.as_str(),
        "secretKey": null,
        "createdDateTime": method.created_at.to_rfc3339(),
    })
}

/// What a sign-in step answers: who, which steps the session passed, and
/// whether a second factor is still due.
pub(super) fn signed_in(user: &User, session: &Session, mfa_required: bool) -> Value {
    json!({
        "status": if mfa_required { "mfaRequired" } else { "signedIn" },
        "user": {
            "id": user.id.as_str(),
            "userPrincipalName": user.user_principal_name,
            "displayName": user.display_name,
        },
        "methods": session.auth_methods.iter().map(|m| m.method.as_str()).collect::<Vec<_>>(),
        "expiresDateTime": session.expires_at.to_rfc3339(),
    })
}
