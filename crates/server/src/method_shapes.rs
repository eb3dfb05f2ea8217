//! Graph's JSON shapes of authentication methods, shared by the Graph API and
//! the `/api/me` surface so a method reads the same on both.

use keybound_metadata::Catalog;
use keybound_store::{
    Passkey, PasswordMethod, SoftwareOathMethod, TapUsability, TemporaryAccessPass, Timestamp,
};
use keybound_webauthn::encoding;
use serde_json::{json, Value};

/// Graph's fixed id of the password method.
pub(crate) const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// A passkey as `fido2AuthenticationMethod`; `model` is the catalog's provider name, or null.
pub(crate) fn fido2_method(passkey: &Passkey, catalog: &Catalog) -> Value {
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

/// A pass as `temporaryAccessPassAuthenticationMethod`; `code` only in the response that issued it.
///
/// A pass the policy does not let the user use reads `disabledByPolicy`, whatever else holds.
pub(crate) fn tap_method(
    tap: &TemporaryAccessPass,
    code: Option<&str>,
    allowed_by_policy: bool,
    now: Timestamp,
) -> Value {
    let reason = if !allowed_by_policy {
        "disabledByPolicy"
    } else {
        match tap.usability(now) {
            TapUsability::Usable => "enabledByPolicy",
            TapUsability::NotYetValid => "notYetValid",
            TapUsability::Expired => "expired",
            TapUsability::OneTimeUsed => "oneTimeUsed",
        }
    };
    json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": tap.id.as_str(),
        "temporaryAccessPass": code,
        "createdDateTime": tap.created_at.to_rfc3339(),
        "startDateTime": tap.start_at.to_rfc3339(),
        "lifetimeInMinutes": tap.lifetime_minutes,
        "isUsableOnce": tap.usable_once,
        "isUsable": reason == "enabledByPolicy",
        "methodUsabilityReason": reason,
    })
}

/// A password as `passwordAuthenticationMethod` (never the password).
pub(crate) fn password_method(password: &PasswordMethod) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": PASSWORD_METHOD_ID,
        "password": null,
        "createdDateTime": password.created_at.to_rfc3339(),
    })
}

/// A TOTP token as `softwareOathAuthenticationMethod` (never the secret).
pub(crate) fn oath_method(method: &SoftwareOathMethod) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod",
        "id": method.id.as_str(),
        "secretKey": null,
        "createdDateTime": method.created_at.to_rfc3339(),
    })
}

/// Standard, padded base64: Graph's `Edm.Binary` spelling, as it writes certificates.
pub(crate) fn standard_base64(der: &[u8]) -> String {
    let mut text: String = encoding::encode(der)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    while !text.len().is_multiple_of(4) {
        text.push('=');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_use_standard_padded_base64() {
        assert_eq!(standard_base64(&[0xfb, 0xff]), "+/8=");
        assert_eq!(standard_base64(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(standard_base64(&[1]), "AQ==");
        assert_eq!(standard_base64(&[]), "");
    }
}
