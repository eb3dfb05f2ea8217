//! Every way a ceremony can fail, one variant per failed check.
//!
//! Each variant has a stable [`Error::code`] for programs and a message a
//! person can act on. Variants are grouped by the [`Check`] they belong to, so
//! a report can list every check and say which one failed.

use std::fmt;

use crate::attestation::AttestationFormat;
use crate::cose::CoseAlgorithm;
use crate::ids::Aaguid;

/// The checks of a ceremony, in the order the engine makes them (WebAuthn Level 3 §7.1 and §7.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Check {
    /// The response JSON, clientDataJSON, attestation object and authenticator data parse.
    Parse,
    /// `id` and `rawId` agree with each other and with the credential the data names.
    CredentialId,
    /// clientDataJSON `type` is `webauthn.create` or `webauthn.get` (§7.1 step 7, §7.2 step 11).
    CeremonyType,
    /// clientDataJSON `challenge` is the one issued (§7.1 step 8, §7.2 step 12).
    Challenge,
    /// clientDataJSON `origin` is allowed (§7.1 step 9, §7.2 step 13).
    Origin,
    /// `crossOrigin`/`topOrigin` are allowed (§7.1 step 10, §7.2 step 14).
    TopOrigin,
    /// Level 2 Token Binding status is well formed.
    TokenBinding,
    /// authenticatorData `rpIdHash` is SHA-256 of the RP ID (§7.1 step 13, §7.2 step 15).
    RpIdHash,
    /// The UP flag is set (§7.1 step 14, §7.2 step 16).
    UserPresent,
    /// The UV flag is set when user verification is required (§7.1 step 15, §7.2 step 17).
    UserVerified,
    /// BE and BS are consistent (§7.1 steps 16–17, §7.2 steps 18–19).
    BackupFlags,
    /// The credential's algorithm is one the relying party allowed (§7.1 step 18).
    Algorithm,
    /// The attestation statement is valid for its format (§7.1 steps 19–22).
    AttestationStatement,
    /// The credential is the one allowed and the user handle matches (§7.2 steps 5–6).
    CredentialAllowed,
    /// The assertion signature verifies with the stored public key (§7.2 step 21).
    Signature,
}

impl Check {
    /// A short stable name, as `keybound inspect` prints it.
    pub const fn name(self) -> &'static str {
        match self {
            Check::Parse => "parse",
            Check::CredentialId => "credentialId",
            Check::CeremonyType => "type",
            Check::Challenge => "challenge",
            Check::Origin => "origin",
            Check::TopOrigin => "topOrigin",
            Check::TokenBinding => "tokenBinding",
            Check::RpIdHash => "rpIdHash",
            Check::UserPresent => "userPresent",
            Check::UserVerified => "userVerified",
            Check::BackupFlags => "backupFlags",
            Check::Algorithm => "algorithm",
            Check::AttestationStatement => "attestationStatement",
            Check::CredentialAllowed => "credentialAllowed",
            Check::Signature => "signature",
        }
    }

    /// The checks of a registration, in order.
    pub const REGISTRATION: [Check; 13] = [
        Check::Parse,
        Check::CredentialId,
        Check::CeremonyType,
        Check::Challenge,
        Check::Origin,
        Check::TopOrigin,
        Check::TokenBinding,
        Check::RpIdHash,
        Check::UserPresent,
        Check::UserVerified,
        Check::BackupFlags,
        Check::Algorithm,
        Check::AttestationStatement,
    ];

    /// The checks of an authentication, in order.
    pub const AUTHENTICATION: [Check; 12] = [
        Check::Parse,
        Check::CredentialAllowed,
        Check::CeremonyType,
        Check::Challenge,
        Check::Origin,
        Check::TopOrigin,
        Check::TokenBinding,
        Check::RpIdHash,
        Check::UserPresent,
        Check::UserVerified,
        Check::BackupFlags,
        Check::Signature,
    ];
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a ceremony or a parse failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A field that must be base64url is not.
    #[error(
        "`{field}` is not valid base64url; send the bytes as the browser's toJSON() encodes them"
    )]
    Base64 {
        /// Which field.
        field: &'static str,
    },
    /// A byte string has a length the specification forbids.
    #[error("the {what} is {len} bytes long; it must be {min} to {max} bytes")]
    InvalidLength {
        /// What was measured.
        what: &'static str,
        /// Its length.
        len: usize,
        /// Smallest allowed.
        min: usize,
        /// Largest allowed.
        max: usize,
    },
    /// The response is not the JSON WebAuthn defines.
    #[error("the response is not a valid {expected}: {detail}")]
    ResponseJson {
        /// `RegistrationResponseJSON` or `AuthenticationResponseJSON`.
        expected: &'static str,
        /// What the JSON parser said.
        detail: String,
    },
    /// clientDataJSON is not the JSON the client must send.
    #[error("clientDataJSON is not valid client data: {detail}")]
    ClientData {
        /// What the JSON parser said.
        detail: String,
    },
    /// The attestation object is not the CBOR map WebAuthn defines.
    #[error("the attestation object is malformed: {detail}")]
    AttestationObject {
        /// What is wrong.
        detail: String,
    },
    /// Authenticator data cannot be parsed.
    #[error("the authenticator data is malformed: {detail}")]
    AuthenticatorData {
        /// What is wrong.
        detail: String,
    },
    /// The credential public key is not a valid COSE key.
    #[error("the credential public key is not a valid COSE key: {detail}")]
    CoseKey {
        /// What is wrong.
        detail: String,
    },
    /// The key's type or curve does not fit its algorithm.
    #[error("the credential public key says {alg} but is a {key} key; the authenticator sent a mismatched key")]
    KeyAlgorithmMismatch {
        /// The algorithm the key names.
        alg: CoseAlgorithm,
        /// The key type it has.
        key: &'static str,
    },
    /// A COSE algorithm the engine does not verify.
    #[error("COSE algorithm {alg} is not supported; use ES256, EdDSA (Ed25519), RS256 or another algorithm the server lists")]
    UnsupportedAlgorithm {
        /// The COSE identifier.
        alg: i64,
    },
    /// `id`, `rawId` and the authenticator's credential id disagree.
    #[error("the response's credential id ({claimed}) is not the one the authenticator reports ({actual}); the client altered the response")]
    CredentialIdMismatch {
        /// What `id`/`rawId` said.
        claimed: String,
        /// What the authenticator data or stored credential says.
        actual: String,
    },
    /// The clientDataJSON type is not the ceremony's.
    #[error("clientDataJSON type is `{received}` but this ceremony expects `{expected}`; the response belongs to another kind of ceremony")]
    CeremonyType {
        /// The expected type.
        expected: &'static str,
        /// The type received.
        received: String,
    },
    /// The challenge is not the one issued for this ceremony.
    #[error("the response's challenge is not the one issued for this ceremony; start again to get a fresh challenge")]
    ChallengeMismatch,
    /// The origin is not one the relying party serves.
    #[error("origin `{origin}` is not allowed for this relying party; allowed: {allowed}")]
    OriginNotAllowed {
        /// The origin the browser reported.
        origin: String,
        /// The configured origins.
        allowed: String,
    },
    /// A cross-origin ceremony the relying party does not allow.
    #[error("the ceremony ran in a cross-origin frame (top origin `{top_origin}`), which this relying party does not allow")]
    TopOriginNotAllowed {
        /// The top-level origin reported, or `unknown`.
        top_origin: String,
    },
    /// Token Binding status other than `present` or `supported`.
    #[error("clientDataJSON tokenBinding status `{status}` is not `present` or `supported`")]
    TokenBinding {
        /// The status received.
        status: String,
    },
    /// The authenticator scoped the credential to another RP ID.
    #[error("the authenticator data is for another relying party: its RP ID hash is not SHA-256 of `{rp_id}`")]
    RpIdHashMismatch {
        /// The expected RP ID.
        rp_id: String,
    },
    /// UP flag not set.
    #[error("the authenticator did not confirm that a person was present (UP flag not set); touch or unlock the authenticator when asked")]
    UserNotPresent,
    /// UV flag not set although required.
    #[error("user verification is required but the authenticator did not verify the user (UV flag not set); use an authenticator with a PIN or biometric")]
    UserNotVerified,
    /// BS set without BE.
    #[error("the authenticator data says the credential is backed up (BS) but not backup eligible (BE), which is impossible")]
    BackupStateWithoutEligibility,
    /// The credential's algorithm was not offered.
    #[error(
        "the credential uses {alg}, which this relying party did not allow; allowed: {allowed}"
    )]
    AlgorithmNotAllowed {
        /// The credential's algorithm.
        alg: CoseAlgorithm,
        /// The allowed algorithms.
        allowed: String,
    },
    /// An attestation format the engine does not know.
    #[error("attestation format `{format}` is not a registered WebAuthn format")]
    UnknownAttestationFormat {
        /// The `fmt` value.
        format: String,
    },
    /// The attestation statement does not have its format's fields.
    #[error("the {format} attestation statement is malformed: {detail}")]
    AttestationMalformed {
        /// The format.
        format: AttestationFormat,
        /// What is wrong.
        detail: String,
    },
    /// The attestation signature does not verify.
    #[error("the {format} attestation signature does not verify: the statement was not made by the attestation key over this registration")]
    AttestationSignature {
        /// The format.
        format: AttestationFormat,
    },
    /// An attestation certificate breaks its format's rules.
    #[error(
        "the {format} attestation certificate does not meet the format's requirements: {detail}"
    )]
    AttestationCertificate {
        /// The format.
        format: AttestationFormat,
        /// Which requirement.
        detail: String,
    },
    /// The certificate's id-fido-gen-ce-aaguid extension names another AAGUID.
    #[error("the {format} attestation certificate is for authenticator model {certificate} (extension 1.3.6.1.4.1.45724.1.1.4) but the authenticator data claims {claimed}")]
    AttestationAaguidMismatch {
        /// The format.
        format: AttestationFormat,
        /// The AAGUID in the certificate.
        certificate: Aaguid,
        /// The AAGUID in authenticator data.
        claimed: Aaguid,
    },
    /// The attested key is not the credential key.
    #[error("the {format} attestation vouches for a different key than the credential public key")]
    AttestationKeyMismatch {
        /// The format.
        format: AttestationFormat,
    },
    /// The attestation is not bound to this registration's data.
    #[error("the {format} attestation is not bound to this registration: {detail}")]
    AttestationNonce {
        /// The format.
        format: AttestationFormat,
        /// Which binding failed.
        detail: String,
    },
    /// The attestation describes an authenticator or key that fails the format's policy.
    #[error("the {format} attestation does not meet its format's policy: {detail}")]
    AttestationPolicy {
        /// The format.
        format: AttestationFormat,
        /// Which rule.
        detail: String,
    },
    /// The credential is not one the relying party allowed for this sign-in.
    #[error("credential {credential_id} is not registered for this sign-in; sign in with a passkey registered to this account")]
    CredentialNotAllowed {
        /// The credential id received.
        credential_id: String,
    },
    /// The user handle does not match the credential's owner.
    #[error("the response's user handle does not belong to the owner of this credential")]
    UserHandleMismatch,
    /// The assertion signature does not verify.
    #[error(
        "the assertion signature does not verify with the stored public key of this credential"
    )]
    SignatureInvalid,
    /// An RP ID that is not a host name.
    #[error("`{rp_id}` is not a valid RP ID: give a host name such as example.org, without scheme, port or path")]
    InvalidRpId {
        /// The text given.
        rp_id: String,
    },
    /// An origin that is not scheme://host[:port].
    #[error("`{origin}` is not a valid origin: give scheme, host and optional port, such as https://login.example.org")]
    InvalidOrigin {
        /// The text given.
        origin: String,
    },
    /// A relying party configured without origins.
    #[error("a relying party needs at least one origin its pages are served from, such as https://login.example.org")]
    NoOrigins,
    /// The operating system's random source failed.
    #[error("the operating system's random number generator is unavailable")]
    RandomUnavailable,
}

impl Error {
    /// A stable machine-readable code, unchanged across releases.
    pub const fn code(&self) -> &'static str {
        match self {
            Error::Base64 { .. } => "invalid_base64url",
            Error::InvalidLength { .. } => "invalid_length",
            Error::ResponseJson { .. } => "malformed_response",
            Error::ClientData { .. } => "malformed_client_data",
            Error::AttestationObject { .. } => "malformed_attestation_object",
            Error::AuthenticatorData { .. } => "malformed_authenticator_data",
            Error::CoseKey { .. } => "invalid_cose_key",
            Error::KeyAlgorithmMismatch { .. } => "key_algorithm_mismatch",
            Error::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Error::CredentialIdMismatch { .. } => "credential_id_mismatch",
            Error::CeremonyType { .. } => "wrong_ceremony_type",
            Error::ChallengeMismatch => "challenge_mismatch",
            Error::OriginNotAllowed { .. } => "origin_not_allowed",
            Error::TopOriginNotAllowed { .. } => "cross_origin_not_allowed",
            Error::TokenBinding { .. } => "invalid_token_binding",
            Error::RpIdHashMismatch { .. } => "rp_id_mismatch",
            Error::UserNotPresent => "user_not_present",
            Error::UserNotVerified => "user_not_verified",
            Error::BackupStateWithoutEligibility => "invalid_backup_flags",
            Error::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            Error::UnknownAttestationFormat { .. } => "unknown_attestation_format",
            Error::AttestationMalformed { .. } => "malformed_attestation_statement",
            Error::AttestationSignature { .. } => "attestation_signature_invalid",
            Error::AttestationCertificate { .. } => "attestation_certificate_invalid",
            Error::AttestationAaguidMismatch { .. } => "attestation_aaguid_mismatch",
            Error::AttestationKeyMismatch { .. } => "attestation_key_mismatch",
            Error::AttestationNonce { .. } => "attestation_not_bound",
            Error::AttestationPolicy { .. } => "attestation_policy_failed",
            Error::CredentialNotAllowed { .. } => "credential_not_allowed",
            Error::UserHandleMismatch => "user_handle_mismatch",
            Error::SignatureInvalid => "signature_invalid",
            Error::InvalidRpId { .. } => "invalid_rp_id",
            Error::InvalidOrigin { .. } => "invalid_origin",
            Error::NoOrigins => "no_origins",
            Error::RandomUnavailable => "random_unavailable",
        }
    }

    /// The check this failure belongs to.
    pub const fn check(&self) -> Check {
        match self {
            Error::Base64 { .. }
            | Error::InvalidLength { .. }
            | Error::ResponseJson { .. }
            | Error::ClientData { .. }
            | Error::AttestationObject { .. }
            | Error::AuthenticatorData { .. }
            | Error::CoseKey { .. }
            | Error::KeyAlgorithmMismatch { .. }
            | Error::UnsupportedAlgorithm { .. }
            | Error::InvalidRpId { .. }
            | Error::InvalidOrigin { .. }
            | Error::NoOrigins
            | Error::RandomUnavailable => Check::Parse,
            Error::CredentialIdMismatch { .. } => Check::CredentialId,
            Error::CeremonyType { .. } => Check::CeremonyType,
            Error::ChallengeMismatch => Check::Challenge,
            Error::OriginNotAllowed { .. } => Check::Origin,
            Error::TopOriginNotAllowed { .. } => Check::TopOrigin,
            Error::TokenBinding { .. } => Check::TokenBinding,
            Error::RpIdHashMismatch { .. } => Check::RpIdHash,
            Error::UserNotPresent => Check::UserPresent,
            Error::UserNotVerified => Check::UserVerified,
            Error::BackupStateWithoutEligibility => Check::BackupFlags,
            Error::AlgorithmNotAllowed { .. } => Check::Algorithm,
            Error::UnknownAttestationFormat { .. }
            | Error::AttestationMalformed { .. }
            | Error::AttestationSignature { .. }
            | Error::AttestationCertificate { .. }
            | Error::AttestationAaguidMismatch { .. }
            | Error::AttestationKeyMismatch { .. }
            | Error::AttestationNonce { .. }
            | Error::AttestationPolicy { .. } => Check::AttestationStatement,
            Error::CredentialNotAllowed { .. } | Error::UserHandleMismatch => {
                Check::CredentialAllowed
            }
            Error::SignatureInvalid => Check::Signature,
        }
    }
}
