//! The sign-in log: every attempt, success or failure, with the method, the
//! user when known, the passkey's AAGUID and credential id when known, and
//! an error code for failures.
//!
//! Error codes are Entra's (AADSTS numbers) where Entra has one that means
//! the same thing, and Keybound's own in the 900000 range otherwise. The
//! failure reason starts with the API's stable code, so the log can be
//! queried by either.

use keybound_store::{Passkey, PasskeyType, SignInEntry, SignInStatus, User};
use keybound_webauthn::{Aaguid, CredentialId};

use super::code_and_message;
use crate::audit::new_guid;
use crate::error::ApiError;
use crate::state::AppState;

/// `authenticationMethod` of a Temporary Access Pass sign-in.
pub(super) const TEMPORARY_ACCESS_PASS: &str = "Temporary Access Pass";
/// `authenticationMethod` of a password step.
pub(super) const PASSWORD: &str = "Password";
/// `authenticationMethod` of a TOTP step (Entra's name for OATH codes).
pub(super) const OATH_CODE: &str = "OATH verification code";
/// `authenticationMethod` of a passkey sign-in whose passkey is not known yet.
pub(super) const PASSKEY: &str = "Passkey";

/// Entra: the password was right and a second factor is required (the first leg of an MFA sign-in).
pub(super) const STRONG_AUTHENTICATION_REQUIRED: i64 = 50074;
/// Entra: a wrong second-factor code; also what counts towards the TOTP attempt limit.
pub(super) const SECOND_FACTOR_FAILED: i64 = 500_121;

/// The sign-in log's number for an API refusal code.
fn error_number(code: &str) -> i64 {
    match code {
        // Entra's codes.
        "invalid_credentials" => 50126,
        "account_disabled" => 50057,
        "tap_locked" => 50053,
        "totp_invalid" => SECOND_FACTOR_FAILED,
        "credential_unknown" => 135_010,
        "passkey_flagged" => 135_011,
        "sign_count_regressed" => 135_017,
        // Keybound's own.
        "challenge_unknown" => 900_001,
        "ceremony_user_mismatch" => 900_002,
        "tap_expired" | "tap_used" | "tap_not_yet_valid" => 900_003,
        "tap_not_allowed" => 900_004,
        "totp_reused" => 900_005,
        "too_many_attempts" => 900_006,
        "mfa_not_available" | "totp_not_allowed" => 900_007,
        "sign_in_first" => 900_008,
        "backup_eligibility_changed" => 900_009,
        // The policy's denials.
        "method_disabled"
        | "user_excluded"
        | "user_not_targeted"
        | "aaguid_not_allowed"
        | "aaguid_blocked"
        | "synced_not_allowed"
        | "device_bound_not_allowed"
        | "attestation_required"
        | "self_service_disabled" => 900_010,
        "generalException" | "serviceUnavailable" => 900_099,
        // The WebAuthn engine's refusals and malformed requests.
        _ => 900_020,
    }
}

/// One sign-in attempt being put together.
pub(super) struct Attempt {
    method: &'static str,
    correlation_id: String,
    user_id: Option<String>,
    user_principal_name: Option<String>,
    aaguid: Option<Aaguid>,
    credential_id: Option<CredentialId>,
    interrupted: Option<(i64, String)>,
}

impl Attempt {
    /// An attempt with `method` under the name the person typed, if any.
    pub(super) fn new(method: &'static str, name: Option<&str>) -> Self {
        Attempt {
            method,
            correlation_id: new_guid(),
            user_id: None,
            user_principal_name: name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
            aaguid: None,
            credential_id: None,
            interrupted: None,
        }
    }

    /// The request's correlation id, for audit entries written along the way.
    pub(super) fn correlation_id(&self) -> &str {
        &self.correlation_id
    }

    /// The user the attempt turned out to be for.
    pub(super) fn user(&mut self, user: &User) {
        self.user_id = Some(user.id.as_str().to_owned());
        self.user_principal_name = Some(user.user_principal_name.clone());
    }

    /// The credential the response named, before it is known to the directory.
    pub(super) fn credential(&mut self, id: &CredentialId) {
        self.credential_id = Some(id.clone());
    }

    /// The credential id the response named, if any.
    pub(super) fn credential_id(&self) -> Option<&CredentialId> {
        self.credential_id.as_ref()
    }

    /// The registered passkey used: its AAGUID, credential id and kind.
    pub(super) fn passkey(&mut self, passkey: &Passkey) {
        self.aaguid = Some(passkey.aaguid);
        self.credential_id = Some(passkey.credential_id.clone());
        self.method = passkey_method(passkey.passkey_type);
    }

    /// Marks a successful step that does not finish the sign-in (a password awaiting its code).
    pub(super) fn interrupted(&mut self, code: i64, reason: &str) {
        self.interrupted = Some((code, reason.to_owned()));
    }

    fn entry(self, status: SignInStatus, state: &AppState) -> SignInEntry {
        SignInEntry {
            id: new_guid(),
            created_at: state.clock.now(),
            user_id: self.user_id,
            user_principal_name: self.user_principal_name,
            app_id: None,
            ip: None,
            status,
            authentication_method: Some(self.method.to_owned()),
            aaguid: self.aaguid,
            credential_id: self.credential_id,
            correlation_id: Some(self.correlation_id),
        }
    }

    /// Logs the attempt as a success (or as interrupted, see [`Attempt::interrupted`]).
    pub(super) async fn succeeded(mut self, state: &AppState) -> Result<(), ApiError> {
        let status = match self.interrupted.take() {
            Some((code, reason)) => SignInStatus {
                error_code: code,
                failure_reason: Some(reason),
            },
            None => SignInStatus::default(),
        };
        let entry = self.entry(status, state);
        state.store.append_sign_in(&entry).await?;
        Ok(())
    }

    /// Logs the attempt as refused with `error`. A failure to write the log is
    /// logged, not returned: the person sees the refusal either way.
    pub(super) async fn failed(self, state: &AppState, error: &ApiError) {
        let (code, message) = code_and_message(error);
        let status = SignInStatus {
            error_code: error_number(code),
            failure_reason: Some(format!("{code}: {message}")),
        };
        let entry = self.entry(status, state);
        if let Err(e) = state.store.append_sign_in(&entry).await {
            tracing::error!(error = %e, "cannot write a failed sign-in to the sign-in log");
        }
    }

    /// Logs the attempt by the handler's outcome and passes the outcome on.
    pub(super) async fn finish<T>(
        self,
        state: &AppState,
        outcome: Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        match outcome {
            Ok(value) => {
                self.succeeded(state).await?;
                Ok(value)
            }
            Err(error) => {
                self.failed(state, &error).await;
                Err(error)
            }
        }
    }
}

/// The sign-in log's (and audit log's) name for a passkey kind.
pub(super) fn passkey_method(kind: PasskeyType) -> &'static str {
    match kind {
        PasskeyType::DeviceBound => "Passkey (device-bound)",
        PasskeyType::Synced => "Passkey (synced)",
    }
}
