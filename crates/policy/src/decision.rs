//! The decisions "may this user register this passkey" and "may this user sign
//! in with it", as Entra enforces the Passkey (FIDO2) policy.
//!
//! In order, each an early return: the method must be enabled; an exclude
//! target beats any include target and blocks both ceremonies; some include
//! target must name the user; self-service set-up must be allowed for a
//! self-service registration. The user's profiles are then the union of the
//! profiles their matching include targets allow, and the passkey passes if it
//! fully satisfies any one of them: key restrictions (allow list contains the
//! AAGUID, block list does not), passkey types (device-bound means the
//! backup-eligible flag is clear) and, at registration only, attestation.

use std::fmt;

use keybound_metadata::Catalog;
use keybound_webauthn::Aaguid;

use crate::fido2::{
    AttestationEnforcement, EnforcementType, Fido2Configuration, PasskeyProfile, ProfileId,
};
use crate::method::{self, GroupId, MethodState};

/// What the provider is called when the catalog does not know its AAGUID.
const UNKNOWN_PROVIDER: &str = "unknown provider";

/// What a registration's attestation showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Attestation {
    /// The passkey came with an attestation statement whose signature verified;
    /// `trusted` says whether its chain reached one of the server's trust anchors.
    Attested {
        /// Whether the attestation chain leads to a trusted root (FIDO MDS or the organisation's CA).
        trusted: bool,
    },
    /// No attestation (format `none`, or self attestation that proves no model).
    NotAttested,
}

/// The facts about a passkey a decision needs, taken from its registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CredentialFacts {
    /// The authenticator model's AAGUID, as registered.
    pub aaguid: Aaguid,
    /// The backup-eligible (BE) flag: `true` is a synced passkey, `false` a device-bound one.
    pub backup_eligible: bool,
    /// What the registration's attestation showed.
    pub attestation: Attestation,
}

/// How a registration reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistrationChannel {
    /// The user adds the passkey themselves (security info page, or the
    /// authenticator app with a Temporary Access Pass); needs
    /// `isSelfServiceRegistrationAllowed`.
    SelfService,
    /// An administrator provisions the passkey on the user's behalf.
    Administrator,
}

/// The outcome of a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The passkey may be used; `profile` is the first of the user's profiles (in
    /// the configuration's order) that it fully satisfies.
    Allowed {
        /// The profile that let it through.
        profile: ProfileId,
    },
    /// The passkey may not be used, and why.
    Denied(Denial),
}

impl Decision {
    /// Whether the passkey may be used.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }

    /// The refusal, if it is one.
    pub fn denial(&self) -> Option<&Denial> {
        match self {
            Decision::Allowed { .. } => None,
            Decision::Denied(denial) => Some(denial),
        }
    }
}

/// Which rule refused a passkey, ordered from the broadest to the most specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DenialReason {
    /// The Passkey (FIDO2) method is disabled.
    MethodDisabled,
    /// An exclude target names one of the user's groups.
    UserExcluded,
    /// No include target names the user.
    UserNotTargeted,
    /// Self-service set-up is off and the user registered the passkey themselves.
    SelfServiceDisabled,
    /// Attestation is required at registration and the passkey had no trusted attestation.
    AttestationRequired,
    /// The profile takes only synced passkeys and this one is device-bound.
    DeviceBoundNotAllowed,
    /// The profile takes only device-bound passkeys and this one is synced.
    SyncedNotAllowed,
    /// The profile's allow list does not contain the AAGUID.
    AaguidNotAllowed,
    /// The profile's block list contains the AAGUID.
    AaguidBlocked,
}

impl DenialReason {
    /// The stable code, such as `aaguid_not_allowed`.
    pub fn code(self) -> &'static str {
        match self {
            DenialReason::MethodDisabled => "method_disabled",
            DenialReason::UserExcluded => "user_excluded",
            DenialReason::UserNotTargeted => "user_not_targeted",
            DenialReason::SelfServiceDisabled => "self_service_disabled",
            DenialReason::AttestationRequired => "attestation_required",
            DenialReason::DeviceBoundNotAllowed => "device_bound_not_allowed",
            DenialReason::SyncedNotAllowed => "synced_not_allowed",
            DenialReason::AaguidNotAllowed => "aaguid_not_allowed",
            DenialReason::AaguidBlocked => "aaguid_blocked",
        }
    }

    /// Why a profile refused, as a clause after "passkey profile “X” …".
    fn clause(self) -> &'static str {
        match self {
            DenialReason::AaguidBlocked => "blocks this provider",
            DenialReason::AaguidNotAllowed => "does not allow this provider",
            DenialReason::SyncedNotAllowed => "takes only device-bound passkeys",
            DenialReason::DeviceBoundNotAllowed => "takes only synced passkeys",
            DenialReason::AttestationRequired => "requires attestation at registration",
            _ => "refuses it",
        }
    }
}

/// One profile a refused passkey was checked against, and why it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileFailure {
    id: ProfileId,
    name: String,
    reason: DenialReason,
}

impl ProfileFailure {
    /// The profile's id.
    pub fn id(&self) -> ProfileId {
        self.id
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The first rule of the profile the passkey failed.
    pub fn reason(&self) -> DenialReason {
        self.reason
    }
}

/// Which ceremony a decision was about, for the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ceremony {
    Registration,
    SignIn,
}

/// Why a passkey was refused: the rule, the profiles, the AAGUID and the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    reason: DenialReason,
    ceremony: Ceremony,
    profiles: Vec<ProfileFailure>,
    aaguid: Aaguid,
    provider: String,
    excluded_by: Option<GroupId>,
    attestation: Attestation,
}

impl Denial {
    /// The stable code of the rule that refused, such as `aaguid_not_allowed`.
    pub fn code(&self) -> &'static str {
        self.reason.code()
    }

    /// The rule that refused; when several profiles refused, the most specific reason among them.
    pub fn reason(&self) -> DenialReason {
        self.reason
    }

    /// Every profile the passkey was checked against, each with its own reason;
    /// empty when a rule before the profiles refused.
    pub fn profiles(&self) -> &[ProfileFailure] {
        &self.profiles
    }

    /// The passkey's AAGUID.
    pub fn aaguid(&self) -> Aaguid {
        self.aaguid
    }

    /// The provider's name from the catalog, or `unknown provider`.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The group whose exclusion refused the user, for [`DenialReason::UserExcluded`].
    pub fn excluded_by(&self) -> Option<&GroupId> {
        self.excluded_by.as_ref()
    }

    /// A sentence a person can act on: the rule, the provider and AAGUID, the profiles, and what to do.
    pub fn message(&self) -> String {
        let passkey = format!("this passkey ({}, AAGUID {})", self.provider, self.aaguid);
        let provider = format!(
            "This passkey provider ({}, AAGUID {})",
            self.provider, self.aaguid
        );
        let action = match self.ceremony {
            Ceremony::Registration => "registered",
            Ceremony::SignIn => "used to sign in",
        };
        let named = profile_phrase(
            self.profiles
                .iter()
                .filter(|p| p.reason == self.reason)
                .map(|p| p.name.as_str()),
        );
        let others: Vec<String> = self
            .profiles
            .iter()
            .filter(|p| p.reason != self.reason)
            .map(|p| format!(" Passkey profile “{}” {}.", p.name, p.reason.clause()))
            .collect();
        let others = others.concat();
        match self.reason {
            DenialReason::MethodDisabled => format!(
                "Passkeys (FIDO2) are turned off for your organisation, so {passkey} cannot be {action}. Sign in another way, or ask your administrator to turn passkeys on."
            ),
            DenialReason::UserExcluded => format!(
                "Your account is in the group {}, which is excluded from passkeys (FIDO2), so {passkey} cannot be {action}. Ask your administrator to remove you from the exclusion.",
                self.excluded_by.as_ref().map_or("(unknown)", GroupId::as_str)
            ),
            DenialReason::UserNotTargeted => format!(
                "Passkeys (FIDO2) are not enabled for your account: no group you belong to is included in your organisation's passkey policy, so {passkey} cannot be {action}. Ask your administrator to include you."
            ),
            DenialReason::SelfServiceDisabled => format!(
                "Your organisation does not allow adding passkeys yourself, so {passkey} cannot be registered here. Ask your administrator to register a passkey for you."
            ),
            DenialReason::AaguidBlocked => format!(
                "{provider} is on your organisation's block list in {named}.{others} Use a passkey from another provider, or ask your administrator."
            ),
            DenialReason::AaguidNotAllowed => format!(
                "{provider} is not on your organisation's allow list in {named}.{others} Use a passkey from an allowed provider, or ask your administrator."
            ),
            DenialReason::SyncedNotAllowed => format!(
                "This is a synced passkey ({}, AAGUID {}), and only device-bound passkeys are allowed in {named}.{others} Use a device-bound passkey, such as a security key or Keybound Authenticator, or ask your administrator.",
                self.provider, self.aaguid
            ),
            DenialReason::DeviceBoundNotAllowed => format!(
                "This is a device-bound passkey ({}, AAGUID {}), and only synced passkeys are allowed in {named}.{others} Use a synced passkey, or ask your administrator.",
                self.provider, self.aaguid
            ),
            DenialReason::AttestationRequired => {
                let what = match self.attestation {
                    Attestation::Attested { .. } => {
                        "sent attestation that does not chain to a trusted root"
                    }
                    Attestation::NotAttested => "sent no attestation",
                };
                format!(
                    "Attestation is required when a passkey is registered in {named}, and {passkey} {what}.{others} Register a passkey from a provider that sends attestation, such as a certified security key or Keybound Authenticator, or ask your administrator."
                )
            }
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// `passkey profile “A”` or `passkey profiles “A”, “B” and “C”`.
fn profile_phrase<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|n| format!("“{n}”")).collect();
    match quoted.as_slice() {
        [] => "your passkey profiles".to_owned(),
        [one] => format!("passkey profile {one}"),
        [init @ .., last] => format!("passkey profiles {} and {last}", init.join(", ")),
    }
}

impl Fido2Configuration {
    /// May a user with these group memberships register this passkey, through this channel?
    ///
    /// `catalog` only names the provider in the refusal.
    pub fn may_register(
        &self,
        memberships: &[GroupId],
        credential: &CredentialFacts,
        channel: RegistrationChannel,
        catalog: &Catalog,
    ) -> Decision {
        self.decide(
            memberships,
            credential,
            Ceremony::Registration,
            channel,
            catalog,
        )
    }

    /// May a user with these group memberships sign in with this (registered) passkey?
    ///
    /// Attestation is not checked again at sign-in; everything else is, so a
    /// policy change applies to passkeys already registered.
    pub fn may_sign_in(
        &self,
        memberships: &[GroupId],
        credential: &CredentialFacts,
        catalog: &Catalog,
    ) -> Decision {
        self.decide(
            memberships,
            credential,
            Ceremony::SignIn,
            RegistrationChannel::Administrator,
            catalog,
        )
    }

    /// The rules in Entra's order, each an early return.
    fn decide(
        &self,
        memberships: &[GroupId],
        credential: &CredentialFacts,
        ceremony: Ceremony,
        channel: RegistrationChannel,
        catalog: &Catalog,
    ) -> Decision {
        let deny = |reason, profiles, excluded_by| {
            Decision::Denied(Denial {
                reason,
                ceremony,
                profiles,
                aaguid: credential.aaguid,
                provider: catalog
                    .get(credential.aaguid)
                    .map_or(UNKNOWN_PROVIDER, |p| p.name())
                    .to_owned(),
                excluded_by,
                attestation: credential.attestation,
            })
        };
        if self.state() == MethodState::Disabled {
            return deny(DenialReason::MethodDisabled, Vec::new(), None);
        }
        if let Some(group) = method::excluded_by(self.exclude_targets(), memberships) {
            return deny(DenialReason::UserExcluded, Vec::new(), Some(group.clone()));
        }
        let matching: Vec<_> = self
            .include_targets()
            .iter()
            .filter(|t| t.target().includes(memberships))
            .collect();
        if matching.is_empty() {
            return deny(DenialReason::UserNotTargeted, Vec::new(), None);
        }
        if ceremony == Ceremony::Registration
            && channel == RegistrationChannel::SelfService
            && !self.is_self_service_registration_allowed()
        {
            return deny(DenialReason::SelfServiceDisabled, Vec::new(), None);
        }
        let mut failures = Vec::new();
        for profile in self.passkey_profiles().filter(|p| {
            matching
                .iter()
                .any(|t| t.allowed_passkey_profiles().contains(&p.id()))
        }) {
            match check_profile(profile, credential, ceremony) {
                None => {
                    return Decision::Allowed {
                        profile: profile.id(),
                    }
                }
                Some(reason) => failures.push(ProfileFailure {
                    id: profile.id(),
                    name: profile.name().to_owned(),
                    reason,
                }),
            }
        }
        // The most specific reason: the provider's identity, then its type, then attestation.
        let reason = failures
            .iter()
            .map(|f| f.reason)
            .max()
            .unwrap_or(DenialReason::UserNotTargeted);
        deny(reason, failures, None)
    }
}

/// The first rule of `profile` the passkey fails, or `None` if it satisfies them all.
fn check_profile(
    profile: &PasskeyProfile,
    credential: &CredentialFacts,
    ceremony: Ceremony,
) -> Option<DenialReason> {
    let restrictions = profile.key_restrictions();
    if restrictions.is_enforced() {
        let listed = restrictions.aaguids().contains(&credential.aaguid);
        match restrictions.enforcement_type() {
            EnforcementType::Block if listed => return Some(DenialReason::AaguidBlocked),
            EnforcementType::Allow if !listed => return Some(DenialReason::AaguidNotAllowed),
            _ => {}
        }
    }
    let types = profile.passkey_types();
    if credential.backup_eligible && !types.allows_synced() {
        return Some(DenialReason::SyncedNotAllowed);
    }
    if !credential.backup_eligible && !types.allows_device_bound() {
        return Some(DenialReason::DeviceBoundNotAllowed);
    }
    let attested = credential.attestation == Attestation::Attested { trusted: true };
    if ceremony == Ceremony::Registration
        && profile.attestation_enforcement() == AttestationEnforcement::RegistrationOnly
        && !attested
    {
        return Some(DenialReason::AttestationRequired);
    }
    None
}
