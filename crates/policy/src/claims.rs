//! Honesty about claims: which profile rules rest on what an authenticator
//! says about itself, because the profile does not enforce attestation.
//!
//! Without attestation, a registration's AAGUID and backup-eligible flag are
//! self-asserted: any authenticator can claim an allowed AAGUID, avoid a
//! blocked one, or clear the flag. An open-source identity provider had an
//! allow-list bypass through self attestation for exactly this reason. The
//! rules still filter honest authenticators; they do not stop a dishonest one.

use crate::fido2::{
    AttestationEnforcement, EnforcementType, Fido2Configuration, PasskeyTypes, ProfileId,
};

/// Which self-asserted fact a profile rule rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Claim {
    /// The AAGUID, which key restrictions check.
    Aaguid,
    /// The backup-eligible flag, which a device-bound-only profile checks.
    BackupEligibility,
}

/// A profile rule that relies on an authenticator's own claim, with a sentence for the admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimWarning {
    profile: ProfileId,
    profile_name: String,
    claim: Claim,
    message: String,
}

impl ClaimWarning {
    /// The profile's id.
    pub fn profile(&self) -> ProfileId {
        self.profile
    }

    /// The profile's name.
    pub fn profile_name(&self) -> &str {
        &self.profile_name
    }

    /// The self-asserted fact the rule rests on.
    pub fn claim(&self) -> Claim {
        self.claim
    }

    /// What the rule relies on and how to make it hold: enforce attestation.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Fido2Configuration {
    /// The profiles whose key restrictions or passkey types rely on what the
    /// authenticator claims, because the profile does not enforce attestation;
    /// one warning per rule, in profile order.
    ///
    /// An enforced allow list that is empty refuses every passkey whatever it
    /// claims, and an empty block list does nothing, so neither is reported.
    pub fn unattested_claims(&self) -> Vec<ClaimWarning> {
        let mut warnings = Vec::new();
        for profile in self.passkey_profiles() {
            if profile.attestation_enforcement() != AttestationEnforcement::Disabled {
                continue;
            }
            let name = profile.name();
            let warn = |claim, message: String| ClaimWarning {
                profile: profile.id(),
                profile_name: name.to_owned(),
                claim,
                message,
            };
            let restrictions = profile.key_restrictions();
            if restrictions.is_enforced() && !restrictions.aaguids().is_empty() {
                let message = match restrictions.enforcement_type() {
                    EnforcementType::Allow => format!(
                        "Passkey profile “{name}” allows only listed providers by AAGUID but does not enforce attestation, so the AAGUID is only what the authenticator claims: any authenticator can claim an allowed AAGUID. Set attestationEnforcement to \"registrationOnly\" to have the AAGUID proven by attestation at registration."
                    ),
                    EnforcementType::Block => format!(
                        "Passkey profile “{name}” blocks providers by AAGUID but does not enforce attestation, so the AAGUID is only what the authenticator claims: a blocked authenticator can claim another AAGUID. Set attestationEnforcement to \"registrationOnly\" to have the AAGUID proven by attestation at registration."
                    ),
                };
                warnings.push(warn(Claim::Aaguid, message));
            }
            if profile.passkey_types() == PasskeyTypes::DeviceBound {
                warnings.push(warn(
                    Claim::BackupEligibility,
                    format!(
                        "Passkey profile “{name}” allows only device-bound passkeys but does not enforce attestation, so whether a passkey is device-bound rests on the backup-eligible flag the authenticator sets itself: a synced passkey provider can clear it. Set attestationEnforcement to \"registrationOnly\" to have the flag vouched for by an attested authenticator at registration."
                    ),
                ));
            }
        }
        warnings
    }
}
