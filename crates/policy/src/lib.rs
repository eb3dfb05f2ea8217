//! Keybound's authentication-methods policy: the policy as Microsoft Graph
//! shapes it, its validation, and the decisions "may this user register this
//! passkey" and "may this user sign in with this passkey", each with a reason
//! that names the rule, the AAGUID and the provider.
//!
//! # What it holds
//!
//! - [`AuthenticationMethodsPolicy`], the root `authenticationMethodsPolicy`,
//!   holding [`Fido2Configuration`] (Passkey (FIDO2) with passkey profiles, the
//!   Graph v1.0 schema of 2026), [`TemporaryAccessPassConfiguration`] and
//!   [`SoftwareOathConfiguration`]. Each type is always valid: ids, targets,
//!   profiles and lifetimes are checked when they come in, so an invalid state
//!   cannot be built.
//! - Graph JSON both ways: `to_graph_json` writes exactly Graph's wire shape
//!   (including the 2024 legacy `isAttestationEnforced` and `keyRestrictions`,
//!   which mirror the default profile); `apply_patch` applies a Graph PATCH
//!   body atomically, or refuses it with a [`PolicyError`] that names the JSON
//!   field and says how to fix it; `from_graph_json` reads back a stored
//!   document.
//! - Decisions: [`Fido2Configuration::may_register`] and
//!   [`Fido2Configuration::may_sign_in`] apply the policy as Entra enforces
//!   it — method state, exclusion before inclusion, the user's passkey
//!   profiles (any one fully satisfied suffices), key restrictions, passkey
//!   types by the backup-eligible flag, attestation at registration only,
//!   self-service set-up — and return a [`Decision`] whose [`Denial`] has a
//!   stable code and a sentence a person can act on.
//! - Honesty about claims: [`Fido2Configuration::unattested_claims`] lists the
//!   profile rules that rest on what an authenticator says about itself,
//!   because attestation is not enforced.
//! - Dry runs: [`impact`] lists the passkeys a change would stop from signing
//!   in, and whether it would leave every Global Administrator without one.
//!
//! # What it never does
//!
//! It is pure: no I/O, no clock (times come in as [`Timestamp`]), no database,
//! no random numbers (new profile ids and group look-ups come from the
//! caller's [`PatchContext`]). The server stores policies as the JSON this
//! crate writes and calls it for every change and every ceremony. The
//! passkey-provider catalog ([`keybound_metadata::Catalog`]) only names
//! providers in messages; it never decides anything.

mod claims;
mod decision;
mod error;
mod fido2;
mod impact;
mod method;
mod patch;
mod root;
mod software_oath;
mod tap;
mod timestamp;

// The public interface.
pub use crate::{
    claims::{Claim, ClaimWarning},
    decision::{
        Attestation, CredentialFacts, Decision, Denial, DenialReason, ProfileFailure,
        RegistrationChannel,
    },
    error::PolicyError,
    fido2::{
        AttestationEnforcement, EnforcementType, Fido2Configuration, KeyRestrictions,
        PasskeyProfile, PasskeyTarget, PasskeyTypes, ProfileId,
    },
    impact::{impact, Impact, LostPasskey, UserRef},
    method::{GroupId, IncludeTarget, MethodState, Target},
    patch::PatchContext,
    root::AuthenticationMethodsPolicy,
    software_oath::SoftwareOathConfiguration,
    tap::TemporaryAccessPassConfiguration,
    timestamp::Timestamp,
};
