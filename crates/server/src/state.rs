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
    /// Roots of test BLOB signers, besides FIDO's own: empty unless a test
    /// called [`AppState::danger_add_mds_root`].
    pub(crate) danger_mds_roots: Arc<Vec<Vec<u8>>>,
}

impl AppState {
    /// The provider catalog for reading (a poisoned lock still holds valid data).
    pub fn catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// **Danger, tests only:** also accepts metadata BLOBs signed by any
    /// certificate under `root` (DER), besides FIDO's own BLOB.
    ///
    /// By default `POST …/keybound/attestation/mdsBlobs` takes only a BLOB
    /// signed by the FIDO Metadata Service (its certificate, under FIDO's
    /// roots). Whoever holds the key of a root added here can load a BLOB
    /// that makes any authenticator's attestation trusted and hides
    /// revocations. Keybound never calls this; it exists so tests can sign
    /// BLOBs with a root they made. It is off unless called, and logs a
    /// warning when it is.
    pub fn danger_add_mds_root(mut self, root: Vec<u8>) -> Self {
        tracing::warn!(
            "danger_add_mds_root: metadata BLOBs signed under a root other than the FIDO Alliance's are accepted; never do this outside tests"
        );
        let mut roots = self.danger_mds_roots.as_ref().clone();
        roots.push(root);
        self.danger_mds_roots = Arc::new(roots);
        self
    }
}
