//! Bearer tokens for the Graph API: compact JWS (ES256) signed with the
//! directory's signing keys, which live in the store so every node and the
//! `keybound admin token` command share them.
//!
//! Hand-written because it is a header, a payload and one aws-lc-rs
//! signature; a JOSE crate would bring a second crypto stack for it.

use std::collections::HashMap;
use std::sync::RwLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, ParsedPublicKey};
use keybound_store::{SigningKey, Store, Timestamp};
use keybound_webauthn::encoding;
use serde::{Deserialize, Serialize};

use super::scope::Scope;
use crate::audit::{Audit, Initiator, Target};
use crate::error::ApiError;
use crate::secrets;

/// The audience every Keybound Graph token is for.
pub const AUDIENCE: &str = "keybound-graph";
const ALGORITHM: &str = "ES256";

/// What a verified token says about its bearer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenClaims {
    /// Who the token was issued to (a user id, or `keybound-admin-cli`).
    pub subject: String,
    /// The permissions granted.
    pub scopes: Vec<Scope>,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// Its unique id, for the audit log.
    pub token_id: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    typ: String,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    iss: String,
    aud: String,
    sub: String,
    scp: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// The keys that sign and verify tokens, loaded from the store.
pub struct TokenKeys {
    issuer: String,
    active: (String, EcdsaKeyPair),
    verifying: RwLock<HashMap<String, ParsedPublicKey>>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("issuer", &self.issuer)
            .field("active", &self.active.0)
            .finish()
    }
}

impl TokenKeys {
    /// Loads the signing keys, making the first one (audited) when the directory has none.
    pub async fn load(store: &dyn Store, issuer: &str, now: Timestamp) -> Result<Self, ApiError> {
        let mut keys = store.list_signing_keys().await.map_err(ApiError::from)?;
        if !keys.iter().any(|k| k.retired_at.is_none()) {
            let pkcs8 = EcdsaKeyPair::generate_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &SystemRandom::new(),
            )
            .map_err(|_| ApiError::internal("cannot generate a signing key"))?;
            let key = SigningKey {
                kid: encoding::encode(&secrets::random_bytes(12)?),
                algorithm: ALGORITHM.into(),
                private_key: pkcs8.as_ref().to_vec(),
                created_at: now,
                retired_at: None,
            };
            let audit = Audit::new("Add signing key", "KeyManagement", "Core Directory", "Add")
                .by(Initiator::keybound())
                .target(Target::other(&key.kid))
                .at(now)?;
            store
                .add_signing_key(&key, &audit)
                .await
                .map_err(ApiError::from)?;
            keys.push(key);
        }
        let mut verifying = HashMap::new();
        let mut active = None;
        for key in &keys {
            let pair = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &key.private_key,
            )
            .map_err(|_| {
                ApiError::internal(format!("signing key {} is not a P-256 PKCS#8 key", key.kid))
            })?;
            let public = ParsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_FIXED,
                pair.public_key().as_ref(),
            )
            .map_err(|_| ApiError::internal("signing key has an invalid public key"))?;
            verifying.insert(key.kid.clone(), public);
            if key.retired_at.is_none()
                && active
                    .as_ref()
                    .is_none_or(|(_, created, _)| key.created_at > *created)
            {
                active = Some((key.kid.clone(), key.created_at, pair));
            }
        }
        let (kid, _, pair) = active.ok_or_else(|| ApiError::internal("no active signing key"))?;
        Ok(TokenKeys {
            issuer: issuer.to_owned(),
            active: (kid, pair),
            verifying: RwLock::new(verifying),
        })
    }

    /// Reloads verification keys (a token signed by a key made after start-up).
    pub async fn refresh(&self, store: &dyn Store) -> Result<(), ApiError> {
        let keys = store.list_signing_keys().await.map_err(ApiError::from)?;
        let mut fresh = HashMap::new();
        for key in keys {
            if let Ok(pair) = EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &key.private_key,
            ) {
                if let Ok(public) = ParsedPublicKey::new(
                    &signature::ECDSA_P256_SHA256_FIXED,
                    pair.public_key().as_ref(),
                ) {
                    fresh.insert(key.kid, public);
                }
            }
        }
        if let Ok(mut guard) = self.verifying.write() {
            *guard = fresh;
        }
        Ok(())
    }

    /// Mints a token for `subject` with `scopes`, valid from `now` for `lifetime_minutes`.
    pub fn mint(
        &self,
        subject: &str,
        scopes: &[Scope],
        now: Timestamp,
        lifetime_minutes: i64,
    ) -> Result<(String, TokenClaims), ApiError> {
        let header = Header {
            alg: ALGORITHM.into(),
            kid: self.active.0.clone(),
            typ: "JWT".into(),
        };
        let token_id = encoding::encode(&secrets::random_bytes(16)?);
        let expires_at = now.plus_minutes(lifetime_minutes);
        let payload = Payload {
            iss: self.issuer.clone(),
            aud: AUDIENCE.into(),
            sub: subject.into(),
            scp: scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            iat: now.as_secs(),
            exp: expires_at.as_secs(),
            jti: token_id.clone(),
        };
        let signing_input = format!(
            "{}.{}",
            encoding::encode(&serde_json::to_vec(&header).map_err(ApiError::internal)?),
            encoding::encode(&serde_json::to_vec(&payload).map_err(ApiError::internal)?)
        );
        let sig = self
            .active
            .1
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| ApiError::internal("token signing failed"))?;
        let token = format!("{signing_input}.{}", encoding::encode(sig.as_ref()));
        Ok((
            token,
            TokenClaims {
                subject: subject.into(),
                scopes: scopes.to_vec(),
                expires_at,
                token_id,
            },
        ))
    }

    /// Verifies a token's signature, issuer, audience and lifetime.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<TokenClaims, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(h)?;
        if header.alg != ALGORITHM {
            return Err(TokenError::Malformed);
        }
        let signature = encoding::decode(s).ok_or(TokenError::Malformed)?;
        {
            let keys = self.verifying.read().map_err(|_| TokenError::Malformed)?;
            let key = keys.get(&header.kid).ok_or(TokenError::UnknownKey)?;
            let signing_input = &token[..h.len() + 1 + p.len()];
            key.verify_sig(signing_input.as_bytes(), &signature)
                .map_err(|_| TokenError::BadSignature)?;
        }
        let payload: Payload = decode_json(p)?;
        if payload.aud != AUDIENCE || payload.iss != self.issuer {
            return Err(TokenError::WrongAudience);
        }
        let expires_at = Timestamp::from_secs(payload.exp);
        if now >= expires_at {
            return Err(TokenError::Expired);
        }
        if Timestamp::from_secs(payload.iat) > now.plus_minutes(5) {
            return Err(TokenError::NotYetValid);
        }
        let scopes = super::scope::parse_scopes(&payload.scp).map_err(|_| TokenError::Malformed)?;
        Ok(TokenClaims {
            subject: payload.sub,
            scopes,
            expires_at,
            token_id: payload.jti,
        })
    }
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let bytes = encoding::decode(part).ok_or(TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a Keybound token.
    #[error(
        "the bearer token is not a Keybound token; mint one with `keybound admin token --scopes …`"
    )]
    Malformed,
    /// Signed by a key this directory does not have.
    #[error("the bearer token was signed by a key this directory does not know; mint a new one")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the bearer token's signature does not verify")]
    BadSignature,
    /// Issued for another issuer or audience.
    #[error("the bearer token was issued for another Keybound or audience")]
    WrongAudience,
    /// Past its expiry.
    #[error("the bearer token has expired; mint a new one with `keybound admin token`")]
    Expired,
    /// Issued in the future.
    #[error("the bearer token is not valid yet; check the clocks of the machines involved")]
    NotYetValid,
}
