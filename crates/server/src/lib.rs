//! Keybound's identity server: the Graph-compatible admin API, the passkey
//! ceremony API for pages and the authenticator app, health endpoints, and
//! the bootstrap of a new directory.
//!
//! It is where I/O happens: the store, the clock, the network. Decisions stay
//! in the pure crates — `keybound-webauthn` verifies, `keybound-policy`
//! decides — and every change to security state is written with its audit
//! entry in one store transaction.

mod api;
pub mod attestation_trust;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod clock;
pub mod config;
pub mod error;
pub(crate) mod graph;
mod health;
mod method_shapes;
mod secrets;
pub mod state;
pub mod tap;

use std::sync::{Arc, RwLock};

use axum::Router;
use keybound_metadata::Catalog;
use keybound_store::Store;
use keybound_webauthn::RelyingParty;

use crate::auth::token::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;

/// Every HTTP surface, ready to serve or to drive in tests with `oneshot`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(graph::router())
        .merge(api::router())
        .with_state(state)
}

/// The authentication-methods policy in force.
pub async fn current_policy(
    store: &dyn Store,
) -> Result<
    (
        keybound_policy::AuthenticationMethodsPolicy,
        keybound_store::PolicyVersion,
    ),
    ApiError,
> {
    graph::policy::current(store).await
}

/// Builds the shared state over an open store: the relying party, signing keys, the catalog.
pub async fn state(
    config: Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<AppState, ApiError> {
    let rp = RelyingParty::new(
        config.rp_id.clone(),
        "Keybound",
        vec![config.public_url.clone()],
    )
    .map_err(ApiError::internal)?;
    let tokens = TokenKeys::load(store.as_ref(), config.public_url.as_str(), clock.now()).await?;
    let mut catalog = Catalog::builtin();
    if let Err(error) = attestation_trust::load_catalog(store.as_ref(), &mut catalog).await {
        // Names are for display; a server without them still serves.
        tracing::warn!(%error, "cannot name models from the stored FIDO metadata BLOB");
    }
    Ok(AppState {
        store,
        clock,
        rp: Arc::new(rp),
        tokens: Arc::new(tokens),
        catalog: Arc::new(RwLock::new(catalog)),
        config: Arc::new(config),
        danger_mds_roots: Arc::new(Vec::new()),
    })
}
