//! Keybound's passkey-provider catalog: which product an AAGUID names.
//!
//! A [`Catalog`] maps an authenticator model's AAGUID to a [`Provider`]: a
//! name and light and dark icons to show people ("iCloud Keychain",
//! "Microsoft Authenticator"). It starts with Keybound's built-in entries
//! ([`Catalog::builtin`]) and takes more from the community passkey-provider
//! AAGUID list ([`Catalog::load_community_list`]).
//!
//! The catalog is for display only and never a trust decision. An AAGUID is
//! whatever the authenticator claims; only attestation checked against a
//! trust anchor proves the model. Policy that allows or blocks providers
//! decides on the AAGUID and the attestation verdict, and uses the catalog
//! only to name them in its messages.
//!
//! What it never does: I/O (callers read files and pass the text in), reading
//! the clock, or verifying anything. FIDO MDS3 BLOBs and attestation trust
//! anchors will live here too; [`Source`] leaves room for them.

mod catalog;
mod community_list;
mod error;

// The public interface.
pub use crate::{
    catalog::{Catalog, Provider, Source, KEYBOUND_AUTHENTICATOR_AAGUID},
    error::Error,
};
