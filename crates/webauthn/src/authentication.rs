//! Verifying an authentication assertion (WebAuthn Level 3 §7.2).

use serde_json::{Map, Value as Json};

use crate::authenticator_data::{AuthenticatorData, Flags};
use crate::ceremony::{check_authenticator_data, check_client_data};
use crate::client_data::ClientData;
use crate::cose::CredentialPublicKey;
use crate::crypto::sha256;
use crate::encoding;
use crate::error::Error;
use crate::ids::{CredentialId, UserHandle};
use crate::json::AuthenticationResponseJson;
use crate::relying_party::{AuthenticationState, RelyingParty};

/// An authentication response, decoded and parsed but not yet verified.
#[derive(Clone, Debug)]
pub struct AuthenticationResponse {
    credential_id: CredentialId,
    client_data_json: Vec<u8>,
    client_data: ClientData,
    auth_data_bytes: Vec<u8>,
    auth_data: AuthenticatorData,
    signature: Vec<u8>,
    user_handle: Option<UserHandle>,
    extension_results: Map<String, Json>,
}

impl AuthenticationResponse {
    /// Parses `AuthenticationResponseJSON` text.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let json: AuthenticationResponseJson =
            serde_json::from_str(text).map_err(|e| Error::ResponseJson {
                expected: "AuthenticationResponseJSON",
                detail: e.to_string(),
            })?;
        Self::from_wire(&json)
    }

    /// Decodes the wire form.
    pub fn from_wire(json: &AuthenticationResponseJson) -> Result<Self, Error> {
        if json.credential_type != "public-key" {
            return Err(Error::ResponseJson {
                expected: "AuthenticationResponseJSON",
                detail: format!("type is `{}`, not `public-key`", json.credential_type),
            });
        }
        let id = CredentialId::from_base64url(&json.id)?;
        let raw_id = CredentialId::from_base64url(&json.raw_id)?;
        if id != raw_id {
            return Err(Error::CredentialIdMismatch {
                claimed: json.id.clone(),
                actual: json.raw_id.clone(),
            });
        }
        let response = &json.response;
        let client_data_json =
            encoding::decode(&response.client_data_json).ok_or(Error::Base64 {
                field: "response.clientDataJSON",
            })?;
        let client_data = ClientData::parse(&client_data_json)?;
        let auth_data_bytes =
            encoding::decode(&response.authenticator_data).ok_or(Error::Base64 {
                field: "response.authenticatorData",
            })?;
        let auth_data = AuthenticatorData::parse(&auth_data_bytes)?;
        let signature = encoding::decode(&response.signature).ok_or(Error::Base64 {
            field: "response.signature",
        })?;
        // An empty userHandle is what some authenticators send for "none".
        let user_handle = match response.user_handle.as_deref() {
            None | Some("") => None,
            Some(text) => Some(UserHandle::from_base64url(text)?),
        };
        Ok(AuthenticationResponse {
            credential_id: raw_id,
            client_data_json,
            client_data,
            auth_data_bytes,
            auth_data,
            signature,
            user_handle,
            extension_results: json.client_extension_results.clone(),
        })
    }

    /// The credential that answered; the caller looks up its stored record by this.
    pub fn credential_id(&self) -> &CredentialId {
        &self.credential_id
    }

    /// The user handle a discoverable credential returned.
    pub fn user_handle(&self) -> Option<&UserHandle> {
        self.user_handle.as_ref()
    }

    /// The parsed client data.
    pub fn client_data(&self) -> &ClientData {
        &self.client_data
    }

    /// The parsed authenticator data.
    pub fn authenticator_data(&self) -> &AuthenticatorData {
        &self.auth_data
    }

    /// Client extension outputs as sent.
    pub fn extension_results(&self) -> &Map<String, Json> {
        &self.extension_results
    }

    /// Verifies the assertion against the pending `state` (consumed) and the stored credential.
    pub fn verify(
        &self,
        rp: &RelyingParty,
        state: AuthenticationState,
        credential: &StoredCredential<'_>,
    ) -> Result<VerifiedAuthentication, Error> {
        // Step 5: the credential is one the ceremony allowed, and it is the stored one.
        if self.credential_id != *credential.id
            || (!state.allow_credentials.is_empty()
                && !state.allow_credentials.contains(&self.credential_id))
        {
            return Err(Error::CredentialNotAllowed {
                credential_id: self.credential_id.to_base64url(),
            });
        }
        // Step 6: a returned user handle must be the credential owner's.
        if let (Some(received), Some(owner)) = (&self.user_handle, credential.user_handle) {
            if received != owner {
                return Err(Error::UserHandleMismatch);
            }
        }
        // Steps 11–14.
        check_client_data(rp, "webauthn.get", &state.challenge, &self.client_data)?;
        // Steps 15–19.
        check_authenticator_data(rp, &rp.id_hash, &self.auth_data, state.user_verification)?;
        // Steps 20–21: the signature over authenticatorData ‖ SHA-256(clientDataJSON).
        let mut signed = Vec::with_capacity(self.auth_data_bytes.len() + 32);
        signed.extend_from_slice(&self.auth_data_bytes);
        signed.extend_from_slice(&sha256(&self.client_data_json));
        if !credential.public_key.verify(&signed, &self.signature) {
            return Err(Error::SignatureInvalid);
        }
        // Step 22: the counter is reported; the caller's policy decides about a regression.
        let received = self.auth_data.sign_count;
        let sign_count = SignCount::compare(credential.sign_count, received);
        let flags = self.auth_data.flags;
        Ok(VerifiedAuthentication {
            credential_id: self.credential_id.clone(),
            user_handle: self.user_handle.clone(),
            flags,
            sign_count,
            backup_eligibility_changed: flags.backup_eligible() != credential.backup_eligible,
        })
    }
}

/// What the relying party stored about a credential at registration.
#[derive(Clone, Copy, Debug)]
pub struct StoredCredential<'a> {
    /// The credential id.
    pub id: &'a CredentialId,
    /// Its public key, prepared for verification.
    pub public_key: &'a CredentialPublicKey,
    /// The last signature counter seen (0 if none).
    pub sign_count: u32,
    /// The owner's user handle.
    pub user_handle: Option<&'a UserHandle>,
    /// The BE flag at registration.
    pub backup_eligible: bool,
}

/// What the signature counter says (§6.1.1). A regression may mean a cloned authenticator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignCount {
    /// Stored and received counters are both zero: the authenticator keeps no counter.
    NotSupported,
    /// The counter grew, as it should; store `received`.
    Advanced {
        /// The stored counter.
        stored: u32,
        /// The new counter.
        received: u32,
    },
    /// The counter did not grow: possibly a cloned authenticator. Policy decides.
    Regressed {
        /// The stored counter.
        stored: u32,
        /// The counter received.
        received: u32,
    },
}

impl SignCount {
    /// Compares the stored counter with the one an assertion carries (§6.1.1).
    pub fn compare(stored: u32, received: u32) -> Self {
        match (stored, received) {
            (0, 0) => SignCount::NotSupported,
            (stored, received) if received > stored => SignCount::Advanced { stored, received },
            (stored, received) => SignCount::Regressed { stored, received },
        }
    }
}

/// An assertion that passed every check; only [`AuthenticationResponse::verify`] makes one.
#[derive(Clone, Debug)]
pub struct VerifiedAuthentication {
    credential_id: CredentialId,
    user_handle: Option<UserHandle>,
    flags: Flags,
    sign_count: SignCount,
    backup_eligibility_changed: bool,
}

impl VerifiedAuthentication {
    /// The credential that signed.
    pub fn credential_id(&self) -> &CredentialId {
        &self.credential_id
    }

    /// The user handle the authenticator returned, if any.
    pub fn user_handle(&self) -> Option<&UserHandle> {
        self.user_handle.as_ref()
    }

    /// The assertion's flags (UV, and BS: whether the credential is backed up now).
    pub fn flags(&self) -> Flags {
        self.flags
    }

    /// The counter signal.
    pub fn sign_count(&self) -> SignCount {
        self.sign_count
    }

    /// Whether BE differs from registration; BE must never change, so this is suspicious.
    pub fn backup_eligibility_changed(&self) -> bool {
        self.backup_eligibility_changed
    }
}
