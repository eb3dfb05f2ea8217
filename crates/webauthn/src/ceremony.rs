//! The checks registration and authentication share, in the spec's order.

use crate::authenticator_data::AuthenticatorData;
use crate::client_data::{ClientData, TokenBinding};
use crate::error::Error;
use crate::ids::Challenge;
use crate::relying_party::{RelyingParty, UserVerification};

/// §7.1 steps 7–10 / §7.2 steps 11–14, and Level 2's Token Binding status.
pub(crate) fn check_client_data(
    rp: &RelyingParty,
    expected_type: &'static str,
    challenge: &Challenge,
    client_data: &ClientData,
) -> Result<(), Error> {
    if client_data.ceremony_type != expected_type {
        return Err(Error::CeremonyType {
            expected: expected_type,
            received: client_data.ceremony_type.clone(),
        });
    }
    if !challenge.matches(&client_data.challenge) {
        return Err(Error::ChallengeMismatch);
    }
    if !rp
        .origins
        .iter()
        .any(|o| same_origin(o.as_str(), &client_data.origin))
    {
        return Err(Error::OriginNotAllowed {
            origin: client_data.origin.clone(),
            allowed: rp
                .origins
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    // A frame's ceremony needs a relying party that expects to be framed, and by that top origin when
    // the client names it (Level 3 clients do; Level 2 clients send only crossOrigin).
    if client_data.cross_origin || client_data.top_origin.is_some() {
        let top = client_data.top_origin.as_deref();
        let allowed = match top {
            Some(top) => rp.top_origins.iter().any(|o| same_origin(o.as_str(), top)),
            None => !rp.top_origins.is_empty(),
        };
        if !allowed {
            return Err(Error::TopOriginNotAllowed {
                top_origin: top.unwrap_or("not reported").to_owned(),
            });
        }
    }
    if let Some(TokenBinding::Status(status)) = &client_data.token_binding {
        if status != "present" && status != "supported" {
            return Err(Error::TokenBinding {
                status: status.clone(),
            });
        }
    }
    Ok(())
}

/// Origins compare exactly, after the same normalisation [`crate::Origin::parse`] applies.
fn same_origin(allowed: &str, received: &str) -> bool {
    crate::ids::Origin::parse(received).is_ok_and(|o| o.as_str() == allowed)
}

/// §7.1 steps 13–17 / §7.2 steps 15–19: RP ID hash, UP, UV and the backup flags.
pub(crate) fn check_authenticator_data(
    rp: &RelyingParty,
    rp_id_hash: &[u8; 32],
    auth_data: &AuthenticatorData,
    user_verification: UserVerification,
) -> Result<(), Error> {
    if auth_data.rp_id_hash != *rp_id_hash {
        return Err(Error::RpIdHashMismatch {
            rp_id: rp.id.to_string(),
        });
    }
    if !auth_data.flags.user_present() {
        return Err(Error::UserNotPresent);
    }
    if user_verification == UserVerification::Required && !auth_data.flags.user_verified() {
        return Err(Error::UserNotVerified);
    }
    if auth_data.flags.backed_up() && !auth_data.flags.backup_eligible() {
        return Err(Error::BackupStateWithoutEligibility);
    }
    Ok(())
}
