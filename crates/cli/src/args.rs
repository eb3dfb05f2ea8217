//! The command line as given: clap's raw arguments, before any validation.
//!
//! [`crate::inspect`] turns these into checked values (challenge, origins,
//! RP ID, time, files read) before it verifies anything.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const INSPECT_ABOUT: &str = "\
Verify a captured WebAuthn response the way Keybound's server would, and explain every check.

Give the response JSON (what the browser's toJSON() produces) and the challenge and origin the \
server issued it for. The report shows the authenticator model (AAGUID) and provider, the \
UP/UV/BE/BS flags, the key, the attestation, and each check with ✓ or ✗ and the reason.";

const REGISTRATION_EXAMPLES: &str = "\
Examples:
  Check a registration saved from the browser:
    keybound inspect registration response.json \\
      --challenge 1L_qrRoR5OaxUbbBEJwBQxKI-aYXkwJVgusq4xOA9nM --origin https://login.example.org

  Read standard input, name providers from the community AAGUID list, print JSON:
    keybound inspect registration --challenge Y2hhbGxlbmdl --origin https://example.com \\
      --catalog aaguid.json --json < response.json

  Make a trusted attestation chain one of the checks (certificates checked at a fixed time):
    keybound inspect registration response.json --challenge Y2hhbGxlbmdl \\
      --origin https://example.com --trust-anchor yubico-root.pem --time 2024-05-01T12:00:00Z

Exit status: 0 when every check passes, 1 when a check fails, 2 when an option or the input is unusable.";

const AUTHENTICATION_EXAMPLES: &str = "\
Examples:
  Check a sign-in against the stored COSE public key and counter:
    keybound inspect authentication assertion.json --challenge xi30GPGAFYRx... \\
      --origin http://localhost:5000 --public-key pQECAyYgASFYIIeDTe... --sign-count 77

  Check a sign-in against the registration it came from (the key, credential id and BE flag are
  taken from it, without verifying it again):
    keybound inspect authentication assertion.json --registration registration.json \\
      --challenge Y2hhbGxlbmdl --origin https://example.com

Exit status: 0 when every check passes, 1 when a check fails, 2 when an option or the input is unusable.";

/// Keybound: a self-hosted identity provider for device-bound passkeys.
#[derive(Debug, Parser)]
#[command(
    name = "keybound",
    version,
    about = "Keybound: a self-hosted identity provider for device-bound passkeys.",
    after_help = "Run `keybound inspect registration --help` to see how to check a captured passkey registration."
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the identity server.
    #[command(long_about = SERVE_ABOUT, after_help = SERVE_EXAMPLES)]
    Serve(ServeArgs),
    /// Operator commands on the same data as a running server.
    #[command(subcommand)]
    Admin(Admin),
    /// Verify a captured WebAuthn response and explain every check.
    #[command(subcommand, long_about = INSPECT_ABOUT)]
    Inspect(Inspect),
}

const SERVE_ABOUT: &str = "\
Run Keybound: the Graph-compatible admin API, the passkey ceremony API, health endpoints.

The first start on an empty database creates the directory, the default authentication-methods \
policy and one Global Administrator, and prints a one-time Temporary Access Pass for them. Later \
starts print nothing of the kind; issue a new pass with `keybound admin tap`.

Every option can also come from a KEYBOUND_* variable (KEYBOUND_LISTEN, KEYBOUND_DATA_DIR, …) or \
from a TOML file given with --config whose keys are the option names (listen, data_dir, database, \
public_url, rp_id, admin). Options win over variables, variables over the file.";

const SERVE_EXAMPLES: &str = "\
Examples:
  Try it on this machine (SQLite in ./keybound-data, http://localhost:8080):
    keybound serve

  Behind a TLS proxy, passkeys scoped to the whole domain:
    keybound serve --listen 0.0.0.0:8080 --public-url https://login.example.org --rp-id example.org

  Several nodes on PostgreSQL:
    keybound serve --database postgres://keybound:secret@db.internal/keybound --public-url https://login.example.org";

/// Where the directory lives and how it is reached: shared by `serve` and `admin`.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// A TOML file with these settings (keys: listen, data_dir, database, public_url, rp_id, admin).
    #[arg(long, env = "KEYBOUND_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory of the embedded SQLite database [default: ./keybound-data].
    #[arg(long, env = "KEYBOUND_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<String>,
    /// A database URL instead: postgres://user:password@host/db (several nodes) or sqlite://path.
    #[arg(long, env = "KEYBOUND_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// The URL people and applications reach Keybound at [default: http://localhost:8080].
    #[arg(long, env = "KEYBOUND_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// The WebAuthn RP ID passkeys are scoped to [default: the public URL's host].
    #[arg(long, env = "KEYBOUND_RP_ID", value_name = "HOST")]
    pub rp_id: Option<String>,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where the directory lives and how it is reached.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Address and port to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "KEYBOUND_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// The first Global Administrator's sign-in name [default: admin@<RP ID>].
    #[arg(long, env = "KEYBOUND_ADMIN", value_name = "UPN")]
    pub admin: Option<String>,
}

/// `keybound admin …`.
#[derive(Debug, Subcommand)]
pub(crate) enum Admin {
    /// Issue a Temporary Access Pass for a user and print it.
    #[command(
        after_help = "Example:\n  keybound admin tap --user alice@example.org --lifetime 120 --usable-once"
    )]
    Tap(TapArgs),
    /// Mint a bearer token for the Graph API and print it.
    #[command(
        after_help = "Example:\n  TOKEN=$(keybound admin token --scopes \"Policy.ReadWrite.AuthenticationMethod AuditLog.Read.All\")\n  curl -H \"Authorization: Bearer $TOKEN\" http://localhost:8080/v1.0/authenticationMethodsPolicy"
    )]
    Token(TokenArgs),
    /// Attestation trust: FIDO metadata BLOBs and the organisation's attestation CAs.
    #[command(subcommand)]
    Attestation(Attestation),
}

/// Options of `admin tap`.
#[derive(Debug, Args)]
pub(crate) struct TapArgs {
    /// Where the directory lives.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The user's sign-in name.
    #[arg(long, value_name = "UPN")]
    pub user: String,
    /// Minutes the pass stays valid [default: the policy's default, 60].
    #[arg(long, value_name = "MINUTES")]
    pub lifetime: Option<i64>,
    /// The pass works for one sign-in only.
    #[arg(long)]
    pub usable_once: bool,
}

/// Options of `admin token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    /// Where the directory lives.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Graph permissions, space-separated: Policy.Read.All, Policy.ReadWrite.AuthenticationMethod,
    /// UserAuthenticationMethod.ReadWrite.All, User.ReadWrite.All, Group.ReadWrite.All, AuditLog.Read.All.
    #[arg(long, value_name = "SCOPES")]
    pub scopes: String,
    /// Minutes the token stays valid.
    #[arg(long, value_name = "MINUTES", default_value_t = 60)]
    pub lifetime: i64,
}

/// `keybound inspect …`.
#[derive(Debug, Subcommand)]
pub(crate) enum Inspect {
    /// Verify a RegistrationResponseJSON (a new passkey) and explain every check.
    #[command(long_about = INSPECT_ABOUT, after_help = REGISTRATION_EXAMPLES)]
    Registration(RegistrationArgs),
    /// Verify an AuthenticationResponseJSON (a sign-in) and explain every check.
    #[command(long_about = INSPECT_ABOUT, after_help = AUTHENTICATION_EXAMPLES)]
    Authentication(AuthenticationArgs),
}

/// Options of `inspect registration`.
#[derive(Debug, Args)]
pub(crate) struct RegistrationArgs {
    /// The options both ceremonies take.
    #[command(flatten)]
    pub common: CommonArgs,

    /// A PEM file of root certificates to trust for attestation; repeat for more.
    ///
    /// With at least one anchor, "attestationTrust" becomes a check: the attestation
    /// chain must lead to one of these roots, every certificate valid at --time.
    /// Without anchors the trust verdict is shown but does not fail the inspection.
    #[arg(long = "trust-anchor", value_name = "PEMFILE")]
    pub trust_anchors: Vec<PathBuf>,
}

/// Options of `inspect authentication`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("stored-credential")
        .required(true)
        .args(["public_key", "registration"])
))]
pub(crate) struct AuthenticationArgs {
    /// The options both ceremonies take.
    #[command(flatten)]
    pub common: CommonArgs,

    /// The credential's COSE public key as stored at registration, base64url.
    #[arg(long, value_name = "B64URL")]
    pub public_key: Option<String>,

    /// The RegistrationResponseJSON the credential came from.
    ///
    /// Its credential public key, credential id and BE flag are used as the stored
    /// credential; the registration itself is not verified again.
    #[arg(long, value_name = "FILE")]
    pub registration: Option<PathBuf>,

    /// The signature counter stored for the credential (the last one seen).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub sign_count: u32,
}

/// Options both ceremonies take.
#[derive(Debug, Args)]
pub(crate) struct CommonArgs {
    /// The response JSON; `-` or nothing reads standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// The challenge as the server issued it, base64url.
    #[arg(long, value_name = "B64URL")]
    pub challenge: String,

    /// An origin the relying party serves, such as https://login.example.org; repeat for more.
    #[arg(long = "origin", value_name = "ORIGIN", required = true)]
    pub origins: Vec<String>,

    /// The RP ID the credential is scoped to [default: the host of the first --origin].
    #[arg(long, value_name = "ID")]
    pub rp_id: Option<String>,

    /// Whether user verification (PIN, biometric) is required.
    ///
    /// The default, preferred, shows the UV flag without failing on it; use
    /// required to check what a server that requires UV would decide.
    #[arg(long, value_enum, value_name = "REQUIREMENT", default_value_t = UserVerificationArg::Preferred)]
    pub user_verification: UserVerificationArg,

    /// A community passkey-provider AAGUID list (aaguid.json) to name more providers.
    ///
    /// Its entries are added to the built-in catalog. Names are for display only:
    /// an AAGUID is the authenticator's claim unless attestation proves it.
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,

    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,

    /// The verification time for certificate validity, UTC, like 2024-05-01T12:00:00Z [default: now].
    ///
    /// Attestation certificates must be valid at this time for the chain to be
    /// trusted; give the time the response was captured to inspect an old one.
    /// Assertions carry no certificates, so authentication ignores it.
    #[arg(long, value_name = "RFC3339")]
    pub time: Option<String>,
}

/// `--user-verification` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum UserVerificationArg {
    /// The UV flag must be set.
    Required,
    /// Shown, not checked.
    Preferred,
    /// Not asked for; shown, not checked.
    Discouraged,
}

const LOAD_MDS_ABOUT: &str = "\
Verify a FIDO Metadata Service (MDS3) BLOB and load it: the attestation roots of its models \
become trust anchors (except for models it reports revoked or compromised), its status reports \
say which models are compromised, and its model names are shown for passkeys.

The BLOB must be signed by the FIDO Metadata Service's certificate (mds.fidoalliance.org) \
under GlobalSign Root R46 (or, for BLOBs before August 2026, GlobalSign Root CA - R3), every \
certificate of its chain valid now, its nextUpdate not passed, and its number newer than the \
BLOB loaded. A running server uses it for the next registration; it shows the new model names \
after a restart.";

/// `keybound admin attestation …`.
#[derive(Debug, Subcommand)]
pub(crate) enum Attestation {
    /// Verify a FIDO MDS3 BLOB and load it.
    #[command(
        long_about = LOAD_MDS_ABOUT,
        after_help = "Example:\n  curl -sSLo blob.jwt https://mds3.fidoalliance.org/\n  keybound admin attestation load-mds blob.jwt"
    )]
    LoadMds(LoadMdsArgs),
    /// Add a certificate authority that issues the organisation's authenticators' attestation certificates.
    #[command(
        after_help = "Example:\n  keybound admin attestation add-ca contoso-authenticator-ca.pem"
    )]
    AddCa(AddCaArgs),
    /// List the loaded FIDO metadata BLOBs and attestation certificate authorities, one per line.
    List(ListArgs),
}

/// Options of `admin attestation load-mds`.
#[derive(Debug, Args)]
pub(crate) struct LoadMdsArgs {
    /// Where the directory lives.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The BLOB as downloaded from https://mds3.fidoalliance.org/ (a JWT).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// Options of `admin attestation add-ca`.
#[derive(Debug, Args)]
pub(crate) struct AddCaArgs {
    /// Where the directory lives.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The CA certificate, PEM (one CERTIFICATE block).
    #[arg(value_name = "PEMFILE")]
    pub file: PathBuf,
}

/// Options of `admin attestation list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Where the directory lives.
    #[command(flatten)]
    pub server: ServerArgs,
}
