//! Keybound's WebAuthn relying-party engine.
//!
//! It builds the options a browser or authenticator needs
//! ([`RelyingParty::start_registration`], [`RelyingParty::start_authentication`])
//! and verifies what comes back ([`RegistrationResponse::verify`],
//! [`AuthenticationResponse::verify`]), following WebAuthn Level 3 §7 step by
//! step, with every attestation format of §8.
//!
//! What it never does: I/O of any kind, reading the clock (the verification
//! time is an argument), or deciding policy. It reports facts — the AAGUID,
//! BE/BS flags, attestation trust, a counter regression — and the caller's
//! policy decides what they mean.

mod attestation;
mod authentication;
mod authenticator_data;
mod ceremony;
mod client_data;
mod cose;
mod crypto;
pub mod encoding;
mod error;
mod ids;
pub mod json;
mod registration;
mod relying_party;
mod trust;
mod x509;

// The public interface.
pub use crate::{
    attestation::{AttestationFormat, AttestationType},
    authentication::{AuthenticationResponse, SignCount, StoredCredential, VerifiedAuthentication},
    authenticator_data::{AttestedCredentialData, AuthenticatorData, Flags},
    client_data::{ClientData, TokenBinding},
    cose::{CoseAlgorithm, CoseKey, CredentialPublicKey},
    error::{Check, Error},
    ids::{Aaguid, Challenge, CredentialId, InvalidAaguid, Origin, RpId, UserHandle},
    registration::{RegistrationResponse, VerifiedRegistration},
    relying_party::{
        AttestationConveyance, AuthenticationOptions, AuthenticationState, AuthenticatorAttachment,
        CredentialDescriptor, Hint, RegistrationOptions, RegistrationState, RelyingParty,
        ResidentKey, UserEntity, UserVerification,
    },
    trust::{ChainTrust, InvalidAnchor, TrustAnchors},
    x509::{describe as describe_certificate, CertificateInfo},
};
