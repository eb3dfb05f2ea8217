//! CollectedClientData (WebAuthn Level 3 §5.8.1): what the browser says it asked for.

use serde::Deserialize;

use crate::encoding;
use crate::error::Error;

/// Parsed `clientDataJSON`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientData {
    /// `webauthn.create` or `webauthn.get` (anything else is kept for the error message).
    pub ceremony_type: String,
    /// The challenge bytes the client signed over.
    pub challenge: Vec<u8>,
    /// The origin the browser saw.
    pub origin: String,
    /// Whether the ceremony ran in a cross-origin iframe.
    pub cross_origin: bool,
    /// The top-level origin when `cross_origin` is true.
    pub top_origin: Option<String>,
    /// Token Binding, if the client reported it (Level 2 clients; Level 3 dropped it).
    pub token_binding: Option<TokenBinding>,
}

/// What a Level 2 client said about Token Binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenBinding {
    /// `{"status": …}`; Level 2 allows only `present` and `supported`.
    Status(String),
    /// A bare string (old Edge sent `"unused"`); carries no binding, so it is ignored.
    Legacy(String),
}

#[derive(Deserialize)]
struct RawClientData {
    #[serde(rename = "type")]
    ceremony_type: String,
    challenge: String,
    origin: String,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: Option<bool>,
    #[serde(rename = "topOrigin", default)]
    top_origin: Option<String>,
    #[serde(rename = "tokenBinding", default)]
    token_binding: Option<RawTokenBinding>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTokenBinding {
    Object { status: String },
    // Some old Firefox builds sent a bare string here.
    Text(String),
}

impl ClientData {
    /// Parses the JSON bytes the client sent.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let raw: RawClientData = serde_json::from_slice(bytes).map_err(|e| Error::ClientData {
            detail: e.to_string(),
        })?;
        let challenge = encoding::decode(&raw.challenge).ok_or(Error::Base64 {
            field: "clientDataJSON.challenge",
        })?;
        let token_binding = raw.token_binding.map(|tb| match tb {
            RawTokenBinding::Object { status } => TokenBinding::Status(status),
            RawTokenBinding::Text(text) => TokenBinding::Legacy(text),
        });
        Ok(ClientData {
            ceremony_type: raw.ceremony_type,
            challenge,
            origin: raw.origin,
            cross_origin: raw.cross_origin.unwrap_or(false),
            top_origin: raw.top_origin,
            token_binding,
        })
    }
}
