//! The relying party and the options it hands out (§5.4, §5.5).
//!
//! Starting a ceremony returns the options JSON for the client and an opaque
//! state the caller keeps; finishing takes that state by value, so a state is
//! used at most once.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::cose::CoseAlgorithm;
use crate::error::Error;
use crate::ids::{Challenge, CredentialId, Origin, RpId, UserHandle};
use crate::json::{
    AuthenticatorSelectionJson, CreationOptionsJson, CredentialDescriptorJson,
    CredentialParametersJson, RequestOptionsJson, RpEntityJson, UserEntityJson,
};

/// Whether the relying party requires the authenticator to verify the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UserVerification {
    /// UV must be set; the ceremony fails otherwise.
    #[default]
    Required,
    /// Ask for UV but accept its absence.
    Preferred,
    /// Do not ask.
    Discouraged,
}

impl UserVerification {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            UserVerification::Required => "required",
            UserVerification::Preferred => "preferred",
            UserVerification::Discouraged => "discouraged",
        }
    }
}

/// Whether the credential should be discoverable (a passkey that signs in without a username).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ResidentKey {
    /// Must be discoverable.
    #[default]
    Required,
    /// Discoverable if the authenticator can.
    Preferred,
    /// Server-side credential preferred.
    Discouraged,
}

impl ResidentKey {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            ResidentKey::Required => "required",
            ResidentKey::Preferred => "preferred",
            ResidentKey::Discouraged => "discouraged",
        }
    }
}

/// What attestation the relying party asks for (§5.4.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AttestationConveyance {
    /// No attestation wanted; clients may strip it.
    #[default]
    None,
    /// Attestation welcome, possibly anonymised by the client.
    Indirect,
    /// The authenticator's own attestation, unaltered.
    Direct,
    /// Enterprise attestation that may identify the device (managed fleets).
    Enterprise,
}

impl AttestationConveyance {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            AttestationConveyance::None => "none",
            AttestationConveyance::Indirect => "indirect",
            AttestationConveyance::Direct => "direct",
            AttestationConveyance::Enterprise => "enterprise",
        }
    }
}

/// Which authenticators a client should prefer to offer (§5.8.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hint {
    /// A roaming security key.
    SecurityKey,
    /// The device the browser runs on.
    ClientDevice,
    /// A phone, through the hybrid (QR code) transport.
    Hybrid,
}

impl Hint {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Hint::SecurityKey => "security-key",
            Hint::ClientDevice => "client-device",
            Hint::Hybrid => "hybrid",
        }
    }
}

/// Where the authenticator lives relative to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthenticatorAttachment {
    /// Built into the client device.
    Platform,
    /// Roaming: a security key or a phone.
    CrossPlatform,
}

impl AuthenticatorAttachment {
    /// The JSON spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthenticatorAttachment::Platform => "platform",
            AuthenticatorAttachment::CrossPlatform => "cross-platform",
        }
    }
}

/// A credential the relying party already knows, for exclude and allow lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialDescriptor {
    /// Its id.
    pub id: CredentialId,
    /// The transports recorded at registration.
    pub transports: Vec<String>,
}

impl CredentialDescriptor {
    fn to_json(&self) -> CredentialDescriptorJson {
        CredentialDescriptorJson {
            id: self.id.to_base64url(),
            credential_type: "public-key".into(),
            transports: self.transports.clone(),
        }
    }
}

/// The account a credential is registered for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserEntity {
    /// The opaque handle authenticators store (never an e-mail address).
    pub id: UserHandle,
    /// The account name, such as `alice@example.org`.
    pub name: String,
    /// The person's name.
    pub display_name: String,
}

/// What a registration asks of the authenticator.
#[derive(Clone, Debug)]
pub struct RegistrationOptions {
    /// The account.
    pub user: UserEntity,
    /// Acceptable algorithms, most preferred first.
    pub algorithms: Vec<CoseAlgorithm>,
    /// User verification requirement (default: required).
    pub user_verification: UserVerification,
    /// Discoverable credential requirement (default: required).
    pub resident_key: ResidentKey,
    /// Attestation wanted (default: none).
    pub attestation: AttestationConveyance,
    /// Attachment restriction, if any.
    pub authenticator_attachment: Option<AuthenticatorAttachment>,
    /// The user's existing credentials.
    pub exclude_credentials: Vec<CredentialDescriptor>,
    /// UI hints.
    pub hints: Vec<Hint>,
    /// How long the client should wait, and how long the state stays valid.
    pub timeout: Duration,
    /// Ask the client to report whether the credential is discoverable (`credProps`).
    pub cred_props: bool,
}

impl RegistrationOptions {
    /// Safe defaults for a passkey: discoverable, user-verified, ES256/EdDSA/RS256, five minutes.
    pub fn passkey(user: UserEntity) -> Self {
        RegistrationOptions {
            user,
            algorithms: CoseAlgorithm::RECOMMENDED.to_vec(),
            user_verification: UserVerification::Required,
            resident_key: ResidentKey::Required,
            attestation: AttestationConveyance::None,
            authenticator_attachment: None,
            exclude_credentials: Vec::new(),
            hints: Vec::new(),
            timeout: Duration::from_secs(300),
            cred_props: true,
        }
    }
}

/// What an authentication asks of the authenticator.
#[derive(Clone, Debug)]
pub struct AuthenticationOptions {
    /// Credentials that may answer; empty means any discoverable credential for this RP.
    pub allow_credentials: Vec<CredentialDescriptor>,
    /// User verification requirement (default: required).
    pub user_verification: UserVerification,
    /// UI hints.
    pub hints: Vec<Hint>,
    /// How long the client should wait, and how long the state stays valid.
    pub timeout: Duration,
}

impl Default for AuthenticationOptions {
    fn default() -> Self {
        AuthenticationOptions {
            allow_credentials: Vec::new(),
            user_verification: UserVerification::Required,
            hints: Vec::new(),
            timeout: Duration::from_secs(300),
        }
    }
}

/// A pending registration: what the response must match. Opaque and single-use.
#[derive(Clone, Debug)]
pub struct RegistrationState {
    pub(crate) challenge: Challenge,
    pub(crate) user_verification: UserVerification,
    pub(crate) algorithms: Vec<CoseAlgorithm>,
    pub(crate) timeout: Duration,
}

impl RegistrationState {
    /// Expects a response to `challenge`, with user verification required and the recommended algorithms.
    ///
    /// [`RelyingParty::start_registration`] makes states for live ceremonies;
    /// this constructor is for checking a captured response.
    pub fn new(challenge: Challenge) -> Self {
        RegistrationState {
            challenge,
            user_verification: UserVerification::Required,
            algorithms: CoseAlgorithm::ALL.to_vec(),
            timeout: Duration::from_secs(300),
        }
    }

    /// Sets the user verification requirement.
    pub fn with_user_verification(mut self, user_verification: UserVerification) -> Self {
        self.user_verification = user_verification;
        self
    }

    /// Sets the algorithms the credential may use.
    pub fn with_algorithms(mut self, algorithms: &[CoseAlgorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// The challenge, by which the caller finds the state again.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// How long after it was issued the state may be used.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// A pending authentication: what the response must match. Opaque and single-use.
#[derive(Clone, Debug)]
pub struct AuthenticationState {
    pub(crate) challenge: Challenge,
    pub(crate) user_verification: UserVerification,
    pub(crate) allow_credentials: Vec<CredentialId>,
    pub(crate) timeout: Duration,
}

impl AuthenticationState {
    /// Expects an assertion over `challenge` from any credential, with user verification required.
    pub fn new(challenge: Challenge) -> Self {
        AuthenticationState {
            challenge,
            user_verification: UserVerification::Required,
            allow_credentials: Vec::new(),
            timeout: Duration::from_secs(300),
        }
    }

    /// Sets the user verification requirement.
    pub fn with_user_verification(mut self, user_verification: UserVerification) -> Self {
        self.user_verification = user_verification;
        self
    }

    /// Restricts the credentials that may answer.
    pub fn with_allowed_credentials(mut self, ids: Vec<CredentialId>) -> Self {
        self.allow_credentials = ids;
        self
    }

    /// The challenge, by which the caller finds the state again.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// How long after it was issued the state may be used.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// A relying party: its RP ID, name, and the origins its pages are served from.
#[derive(Clone, Debug)]
pub struct RelyingParty {
    pub(crate) id: RpId,
    /// SHA-256 of the RP ID, computed once.
    pub(crate) id_hash: [u8; 32],
    pub(crate) name: String,
    pub(crate) origins: Vec<Origin>,
    pub(crate) top_origins: Vec<Origin>,
}

impl RelyingParty {
    /// A relying party served from `origins` (at least one).
    ///
    /// Origins on other domains than the RP ID are allowed, as Level 3's related
    /// origins are; the client enforces which origins may use the RP ID.
    pub fn new(id: RpId, name: impl Into<String>, origins: Vec<Origin>) -> Result<Self, Error> {
        if origins.is_empty() {
            return Err(Error::NoOrigins);
        }
        Ok(RelyingParty {
            id_hash: id.hash(),
            id,
            name: name.into(),
            origins,
            top_origins: Vec::new(),
        })
    }

    /// Also accepts ceremonies run in a frame embedded by `top_origin` (`crossOrigin: true`).
    pub fn allow_cross_origin_from(mut self, top_origin: Origin) -> Self {
        self.top_origins.push(top_origin);
        self
    }

    /// The RP ID.
    pub fn id(&self) -> &RpId {
        &self.id
    }

    /// The allowed origins.
    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// Starts a registration: options for the client, state for the caller to keep.
    pub fn start_registration(
        &self,
        options: &RegistrationOptions,
    ) -> Result<(CreationOptionsJson, RegistrationState), Error> {
        let challenge = Challenge::random()?;
        let mut extensions = Map::new();
        if options.cred_props {
            extensions.insert("credProps".into(), Value::Bool(true));
        }
        let json = CreationOptionsJson {
            rp: RpEntityJson {
                id: self.id.to_string(),
                name: self.name.clone(),
            },
            user: UserEntityJson {
                id: options.user.id.to_base64url(),
                name: options.user.name.clone(),
                display_name: options.user.display_name.clone(),
            },
            challenge: challenge.to_base64url(),
            pub_key_cred_params: options
                .algorithms
                .iter()
                .map(|alg| CredentialParametersJson {
                    credential_type: "public-key".into(),
                    alg: alg.id(),
                })
                .collect(),
            timeout: Some(millis(options.timeout)),
            exclude_credentials: options
                .exclude_credentials
                .iter()
                .map(CredentialDescriptor::to_json)
                .collect(),
            authenticator_selection: Some(AuthenticatorSelectionJson {
                authenticator_attachment: options
                    .authenticator_attachment
                    .map(|a| a.as_str().to_owned()),
                resident_key: options.resident_key.as_str().into(),
                require_resident_key: options.resident_key == ResidentKey::Required,
                user_verification: options.user_verification.as_str().into(),
            }),
            hints: options
                .hints
                .iter()
                .map(|h| h.as_str().to_owned())
                .collect(),
            attestation: options.attestation.as_str().into(),
            extensions,
        };
        let state = RegistrationState {
            challenge,
            user_verification: options.user_verification,
            algorithms: options.algorithms.clone(),
            timeout: options.timeout,
        };
        Ok((json, state))
    }

    /// Starts an authentication: options for the client, state for the caller to keep.
    pub fn start_authentication(
        &self,
        options: &AuthenticationOptions,
    ) -> Result<(RequestOptionsJson, AuthenticationState), Error> {
        let challenge = Challenge::random()?;
        let json = RequestOptionsJson {
            challenge: challenge.to_base64url(),
            timeout: Some(millis(options.timeout)),
            rp_id: self.id.to_string(),
            allow_credentials: options
                .allow_credentials
                .iter()
                .map(CredentialDescriptor::to_json)
                .collect(),
            user_verification: options.user_verification.as_str().into(),
            hints: options
                .hints
                .iter()
                .map(|h| h.as_str().to_owned())
                .collect(),
            extensions: Map::new(),
        };
        let state = AuthenticationState {
            challenge,
            user_verification: options.user_verification,
            allow_credentials: options
                .allow_credentials
                .iter()
                .map(|c| c.id.clone())
                .collect(),
            timeout: options.timeout,
        };
        Ok((json, state))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
