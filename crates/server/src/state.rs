//! What every handler shares.

use std::sync::{Arc, RwLock};

use keybound_metadata::Catalog;
use keybound_store::Store;
use keybound_webauthn::RelyingParty;

use crate::auth::token::TokenKeys;
use crate::clock::Clock;
use crate::config::Config;

/// The server's shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The directory.
    pub store: Arc<dyn Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The WebAuthn relying party.
    pub rp: Arc<RelyingParty>,
    /// Token signing and verification keys.
    pub tokens: Arc<TokenKeys>,
    /// Passkey-provider names for messages and pages.
    pub catalog: Arc<RwLock<Catalog>>,
    /// The validated settings.
    pub config: Arc<Config>,
}

impl AppState {
    /// The provider catalog for reading (a poisoned lock still holds valid data).
    pub fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
