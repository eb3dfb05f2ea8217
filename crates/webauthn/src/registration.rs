//! Registering a new credential (WebAuthn Level 3 §7.1).

use std::time::SystemTime;

use ciborium::Value;
use serde_json::{Map, Value as Json};

use crate::attestation::{self, AttestationFormat, AttestationType, Statement};
use crate::authenticator_data::{AttestedCredentialData, AuthenticatorData, Flags};
use crate::ceremony::{check_authenticator_data, check_client_data};
use crate::client_data::ClientData;
use crate::cose::CoseKey;
use crate::crypto::sha256;
use crate::encoding;
use crate::error::Error;
use crate::ids::{Aaguid, CredentialId};
use crate::json::RegistrationResponseJson;
use crate::relying_party::{RegistrationState, RelyingParty};
use crate::trust::{self, ChainTrust, TrustAnchors};

/// A registration response, decoded and parsed but not yet verified.
#[derive(Clone, Debug)]
pub struct RegistrationResponse {
    claimed_id: Vec<u8>,
    client_data_json: Vec<u8>,
    client_data: ClientData,
    format: String,
    att_stmt: Vec<(Value, Value)>,
    auth_data_bytes: Vec<u8>,
    auth_data: AuthenticatorData,
    credential: AttestedCredentialData,
    transports: Vec<String>,
    extension_results: Map<String, Json>,
}

impl RegistrationResponse {
    /// Parses `RegistrationResponseJSON` text.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let json: RegistrationResponseJson =
            serde_json::from_str(text).map_err(|e| Error::ResponseJson {
                expected: "RegistrationResponseJSON",
                detail: e.to_string(),
            })?;
        Self::from_wire(&json)
    }

    /// Decodes the wire form: base64url fields, clientDataJSON, the CBOR attestation object, authenticator data.
    pub fn from_wire(json: &RegistrationResponseJson) -> Result<Self, Error> {
        if json.credential_type != "public-key" {
            return Err(Error::ResponseJson {
                expected: "RegistrationResponseJSON",
                detail: format!("type is `{}`, not `public-key`", json.credential_type),
            });
        }
        let id = encoding::decode(&json.id).ok_or(Error::Base64 { field: "id" })?;
        let raw_id = encoding::decode(&json.raw_id).ok_or(Error::Base64 { field: "rawId" })?;
        if id != raw_id {
            return Err(Error::CredentialIdMismatch {
                claimed: json.id.clone(),
                actual: json.raw_id.clone(),
            });
        }
        let client_data_json =
            encoding::decode(&json.response.client_data_json).ok_or(Error::Base64 {
                field: "response.clientDataJSON",
            })?;
        let client_data = ClientData::parse(&client_data_json)?;
        let attestation_object =
            encoding::decode(&json.response.attestation_object).ok_or(Error::Base64 {
                field: "response.attestationObject",
            })?;
        let AttestationObject {
            fmt: format,
            att_stmt,
            auth_data: auth_data_bytes,
        } = parse_attestation_object(&attestation_object)?;
        let auth_data = AuthenticatorData::parse(&auth_data_bytes)?;
        let credential =
            auth_data
                .attested_credential
                .clone()
                .ok_or_else(|| Error::AuthenticatorData {
                    detail:
                        "registration needs attested credential data, but the AT flag is not set"
                            .into(),
                })?;
        Ok(RegistrationResponse {
            claimed_id: raw_id,
            client_data_json,
            client_data,
            format,
            att_stmt,
            auth_data_bytes,
            auth_data,
            credential,
            transports: json.response.transports.clone().unwrap_or_default(),
            extension_results: json.client_extension_results.clone(),
        })
    }

    /// The attestation format identifier as sent.
    pub fn format_identifier(&self) -> &str {
        &self.format
    }

    /// The parsed client data.
    pub fn client_data(&self) -> &ClientData {
        &self.client_data
    }

    /// The parsed authenticator data.
    pub fn authenticator_data(&self) -> &AuthenticatorData {
        &self.auth_data
    }

    /// The new credential as the authenticator describes it.
    pub fn credential(&self) -> &AttestedCredentialData {
        &self.credential
    }

    /// The `x5c` certificates of the statement (DER, leaf first), if it has any; unverified.
    pub fn certificates(&self) -> Vec<Vec<u8>> {
        let statement_x5c = self
            .att_stmt
            .iter()
            .find(|(k, _)| k.as_text() == Some("x5c"))
            .map(|(_, v)| v);
        match statement_x5c {
            Some(Value::Array(items)) => {
                items.iter().filter_map(|i| i.as_bytes().cloned()).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Verifies the response against the pending `state`, consuming it.
    ///
    /// `anchors` and `now` decide [`VerifiedRegistration::trust`]; an
    /// untrusted chain is reported, not refused, so the caller's policy decides.
    pub fn verify(
        &self,
        rp: &RelyingParty,
        state: RegistrationState,
        anchors: &TrustAnchors,
        now: SystemTime,
    ) -> Result<VerifiedRegistration, Error> {
        let credential = self.credential();
        // The client must report the credential the authenticator created.
        if self.claimed_id != credential.credential_id.as_bytes() {
            return Err(Error::CredentialIdMismatch {
                claimed: encoding::encode(&self.claimed_id),
                actual: credential.credential_id.to_base64url(),
            });
        }
        // Steps 7–10.
        check_client_data(rp, "webauthn.create", &state.challenge, &self.client_data)?;
        // Step 11.
        let client_data_hash = sha256(&self.client_data_json);
        // Steps 13–17.
        check_authenticator_data(rp, &rp.id_hash, &self.auth_data, state.user_verification)?;
        // Step 18.
        let alg = credential.public_key.algorithm();
        if !state.algorithms.contains(&alg) {
            return Err(Error::AlgorithmNotAllowed {
                alg,
                allowed: state
                    .algorithms
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        // Steps 20–22: the format's verification procedure.
        let format = AttestationFormat::from_identifier(&self.format).ok_or_else(|| {
            Error::UnknownAttestationFormat {
                format: self.format.clone(),
            }
        })?;
        let statement = Statement {
            att_stmt: &self.att_stmt,
            auth_data: &self.auth_data,
            auth_data_bytes: &self.auth_data_bytes,
            client_data_hash: &client_data_hash,
            credential,
            now,
        };
        let verified = attestation::verify(format, &statement)?;
        // Step 23: trustworthiness of the trust path, reported to the caller.
        let trust = trust::evaluate(&verified.trust_path, anchors, now);
        Ok(VerifiedRegistration {
            credential_id: credential.credential_id.clone(),
            public_key: credential.public_key.clone(),
            sign_count: self.auth_data.sign_count,
            aaguid: credential.aaguid,
            flags: self.auth_data.flags,
            transports: self.transports.clone(),
            format,
            attestation_type: verified.attestation_type,
            certificates: verified.trust_path,
            trust,
            discoverable: self
                .extension_results
                .get("credProps")
                .and_then(|p| p.get("rk"))
                .and_then(Json::as_bool),
        })
    }
}

/// The attestation object's three members (§6.5).
struct AttestationObject {
    fmt: String,
    att_stmt: Vec<(Value, Value)>,
    auth_data: Vec<u8>,
}

/// Splits the attestation object `{fmt, attStmt, authData}`; other members are ignored.
fn parse_attestation_object(bytes: &[u8]) -> Result<AttestationObject, Error> {
    let bad = |detail: String| Error::AttestationObject { detail };
    let mut reader = bytes;
    let value: Value =
        ciborium::de::from_reader(&mut reader).map_err(|e| bad(format!("not CBOR: {e}")))?;
    if !reader.is_empty() {
        return Err(bad(format!("{} bytes follow the CBOR map", reader.len())));
    }
    let Value::Map(entries) = value else {
        return Err(bad("it is not a CBOR map".into()));
    };
    let mut fmt = None;
    let mut att_stmt = None;
    let mut auth_data = None;
    // A key given twice would let two readers see two different statements; refuse it.
    let mut seen: Vec<Value> = Vec::with_capacity(entries.len());
    for (key, _) in &entries {
        if seen.contains(key) {
            return Err(bad(format!("the key {key:?} appears twice")));
        }
        seen.push(key.clone());
    }
    for (key, value) in entries {
        match (key.as_text(), value) {
            (Some("fmt"), Value::Text(t)) => fmt = Some(t),
            (Some("attStmt"), Value::Map(m)) => {
                let mut names: Vec<&Value> = m.iter().map(|(k, _)| k).collect();
                names.sort_by_key(|k| format!("{k:?}"));
                if names.windows(2).any(|pair| pair[0] == pair[1]) {
                    return Err(bad("a key of `attStmt` appears twice".into()));
                }
                att_stmt = Some(m)
            }
            (Some("authData"), Value::Bytes(b)) => auth_data = Some(b),
            (Some(name @ ("fmt" | "attStmt" | "authData")), _) => {
                return Err(bad(format!("`{name}` has the wrong type")))
            }
            _ => {}
        }
    }
    Ok(AttestationObject {
        fmt: fmt.ok_or_else(|| bad("`fmt` is missing".into()))?,
        att_stmt: att_stmt.ok_or_else(|| bad("`attStmt` is missing".into()))?,
        auth_data: auth_data.ok_or_else(|| bad("`authData` is missing".into()))?,
    })
}

/// A registration that passed every check; only [`RegistrationResponse::verify`] makes one.
#[derive(Clone, Debug)]
pub struct VerifiedRegistration {
    credential_id: CredentialId,
    public_key: CoseKey,
    sign_count: u32,
    aaguid: Aaguid,
    flags: Flags,
    transports: Vec<String>,
    format: AttestationFormat,
    attestation_type: AttestationType,
    certificates: Vec<Vec<u8>>,
    trust: ChainTrust,
    discoverable: Option<bool>,
}

impl VerifiedRegistration {
    /// The new credential's id.
    pub fn credential_id(&self) -> &CredentialId {
        &self.credential_id
    }

    /// Its public key, to store (as [`CoseKey::to_cbor`]) for sign-in.
    pub fn public_key(&self) -> &CoseKey {
        &self.public_key
    }

    /// The initial signature counter.
    pub fn sign_count(&self) -> u32 {
        self.sign_count
    }

    /// The authenticator model the data claims; proven only when [`Self::trust`] is trusted.
    pub fn aaguid(&self) -> Aaguid {
        self.aaguid
    }

    /// The authenticator data flags (BE says synced or device-bound, as a claim).
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// Transports the client reported.
    pub fn transports(&self) -> &[String] {
        &self.transports
    }

    /// The attestation format.
    pub fn format(&self) -> AttestationFormat {
        self.format
    }

    /// The attestation type.
    pub fn attestation_type(&self) -> AttestationType {
        self.attestation_type
    }

    /// The attestation trust path (DER, leaf first); empty for none and self attestation.
    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// Whether the trust path leads to one of the caller's anchors.
    pub fn trust(&self) -> &ChainTrust {
        &self.trust
    }

    /// The client's `credProps.rk` report: whether the credential is discoverable, if known.
    pub fn discoverable(&self) -> Option<bool> {
        self.discoverable
    }
}
