//! What can still be read from a response the engine could not parse.
//!
//! When [`keybound_webauthn::RegistrationResponse::from_wire`] or its
//! authentication twin refuses a response, the report still shows what each
//! part says on its own: client data, the attestation object's format and
//! certificates, and authenticator data (or at least its flags, counter and
//! read at their fixed offsets). Nothing here is verified.

use ciborium::Value;
use keybound_webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use keybound_webauthn::{encoding, AuthenticatorData, ClientData, Flags};

use crate::report::{describe, Report};

/// Fills `report` from the parts of a registration that parse.
pub(crate) fn registration(json: &RegistrationResponseJson, report: &mut Report) {
    report.partial = true;
    report.credential_id = Some(json.raw_id.clone());
    report.client_data = client_data(&json.response.client_data_json);
    let Some(object) = encoding::decode(&json.response.attestation_object) else {
        return;
    };
    let mut reader = object.as_slice();
    let Ok(Value::Map(entries)) = ciborium::de::from_reader::<Value, _>(&mut reader) else {
        return;
    };
    for (key, value) in entries {
        match (key.as_text(), value) {
            (Some("fmt"), Value::Text(format)) => report.format = Some(format),
            (Some("authData"), Value::Bytes(bytes)) => authenticator_data(&bytes, report),
            (Some("attStmt"), Value::Map(statement)) => {
                let x5c = statement
                    .into_iter()
                    .find_map(|(k, v)| match (k.as_text(), v) {
                        (Some("x5c"), Value::Array(items)) => Some(items),
                        _ => None,
                    });
                report.certificates = Some(
                    x5c.unwrap_or_default()
                        .iter()
                        .filter_map(Value::as_bytes)
                        .map(|der| describe(der))
                        .collect(),
                );
            }
            _ => {}
        }
    }
}

/// Fills `report` from the parts of an assertion that parse.
pub(crate) fn authentication(json: &AuthenticationResponseJson, report: &mut Report) {
    report.partial = true;
    report.credential_id = Some(json.raw_id.clone());
    report.client_data = client_data(&json.response.client_data_json);
    if let Some(bytes) = encoding::decode(&json.response.authenticator_data) {
        authenticator_data(&bytes, report);
    }
}

fn client_data(base64url: &str) -> Option<ClientData> {
    ClientData::parse(&encoding::decode(base64url)?).ok()
}

/// Authenticator data: parsed if it parses, else the fixed-offset fields that are there.
fn authenticator_data(bytes: &[u8], report: &mut Report) {
    if let Ok(data) = AuthenticatorData::parse(bytes) {
        report.flags = Some(data.flags);
        report.sign_count = Some(data.sign_count);
        if let Some(credential) = data.attested_credential {
            report.aaguid = Some(credential.aaguid);
            report.public_key = Some(credential.public_key);
        }
        return;
    }
    // rpIdHash (32) ‖ flags (1) ‖ signCount (4): fixed by the specification.
    let Some(&bits) = bytes.get(32) else {
        return;
    };
    let flags = Flags::from_bits(bits);
    report.flags = Some(flags);
    if let Some(count) = bytes.get(33..37).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        report.sign_count = Some(u32::from_be_bytes(count));
    }
    // The AAGUID is not read: in data that does not parse (a truncated AAGUID, say), its offset
    // may hold something else, and a wrong AAGUID misleads more than none.
}
