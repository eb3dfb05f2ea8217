//! Why `keybound` could not do what it was asked (exit status 2).
//!
//! A response that fails a check is not an error here: it is a report whose
//! check failed (exit status 1). These are the options and inputs that stop
//! the command from checking anything.

use std::io;
use std::path::PathBuf;

use keybound_webauthn::InvalidAnchor;

/// Why the command could not run; each message is one sentence with the next step.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// A file could not be read.
    #[error("cannot read {what} {}: {source}; check the path and its permissions", path.display())]
    Read {
        /// What the file is for.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// Standard input could not be read.
    #[error("cannot read the response from standard input: {0}")]
    ReadStdin(io::Error),
    /// No file given and nothing piped in.
    #[error("no response given and standard input is a terminal; pass the response JSON file, or pipe it in")]
    StdinIsTerminal,
    /// The input is not the WebAuthn response JSON at all.
    #[error("{source_name} does not hold a {expected} ({detail}); pass the response object as the browser's toJSON() produces it (for a test-vector file, its `response` member)")]
    NotAResponse {
        /// The file name or `standard input`.
        source_name: String,
        /// `RegistrationResponseJSON` or `AuthenticationResponseJSON`.
        expected: &'static str,
        /// What the JSON parser said.
        detail: String,
    },
    /// The response is empty.
    #[error("{source_name} is empty; pass the response JSON file, or pipe it in")]
    EmptyInput {
        /// The file name or `standard input`.
        source_name: String,
    },
    /// `--challenge` is not base64url.
    #[error("--challenge `{text}` is not base64url; give the challenge exactly as the server issued it, base64url-encoded")]
    Challenge {
        /// The text given.
        text: String,
    },
    /// An `--origin` or `--rp-id` does not parse.
    #[error("{option}: {source}")]
    Option {
        /// The option.
        option: &'static str,
        /// Why the engine refused it.
        source: keybound_webauthn::Error,
    },
    /// The RP ID cannot be derived from the first origin.
    #[error("cannot derive the RP ID from origin `{origin}`; give it with --rp-id")]
    NoRpId {
        /// The first origin.
        origin: String,
    },
    /// `--time` is not an RFC 3339 UTC time.
    #[error("--time `{text}` is not an RFC 3339 UTC time ({reason}); write it like 2024-05-01T12:00:00Z")]
    Time {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The `--catalog` file is not a community list.
    #[error("--catalog {}: {source}", path.display())]
    Catalog {
        /// The path given.
        path: PathBuf,
        /// Why the list was refused.
        source: keybound_metadata::Error,
    },
    /// A `--trust-anchor` file holds no usable certificate.
    #[error("--trust-anchor {}: {source}; give a PEM file with CERTIFICATE blocks", path.display())]
    TrustAnchor {
        /// The path given.
        path: PathBuf,
        /// Why the engine refused it.
        source: InvalidAnchor,
    },
    /// `--public-key` is not base64url.
    #[error("--public-key is not base64url; give the credential's COSE public key as stored at registration, base64url-encoded")]
    PublicKeyBase64,
    /// `--public-key` is not a usable COSE key.
    #[error("--public-key: {0}")]
    PublicKey(keybound_webauthn::Error),
    /// Neither or both of `--public-key` and `--registration`.
    #[error("give exactly one of --public-key and --registration, so the assertion can be checked against a stored credential")]
    StoredCredential,
    /// `--registration` does not parse.
    #[error("--registration {}: {source}", path.display())]
    Registration {
        /// The path given.
        path: PathBuf,
        /// Why the engine refused it.
        source: keybound_webauthn::Error,
    },
    /// The JSON report could not be rendered.
    #[error("cannot render the JSON report: {0}")]
    Render(serde_json::Error),
    /// The server settings are unusable.
    #[error("{0}")]
    Config(keybound_server::config::ConfigError),
    /// The config file is not the TOML Keybound reads.
    #[error("the config file {} is not valid: {detail}; its keys are listen, data_dir, database, public_url, rp_id, admin", path.display())]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// What the TOML parser said.
        detail: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(io::Error),
    /// The database could not be opened or used.
    #[error("{0}")]
    Store(keybound_store::StoreError),
    /// A server operation failed.
    #[error("{0}")]
    Server(keybound_server::error::ApiError),
    /// The listening address could not be used.
    #[error("cannot listen on {address}: {source}; choose another --listen address or stop what uses it")]
    Listen {
        /// The address.
        address: String,
        /// The operating system's reason.
        source: io::Error,
    },
    /// No user has that sign-in name.
    #[error("no user has the sign-in name `{0}`; check the spelling, or create the user first")]
    UnknownUser(String),
    /// Unusable scopes or lifetime.
    #[error("{0}")]
    Scopes(String),
}
