//! Keybound's passkey-provider catalog, FIDO metadata and attestation trust anchors.
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
//! FIDO Metadata Service (MDS3) BLOBs are verified here ([`MdsBlob::verify_fido`]:
//! the certificate chain up to a FIDO root ([`fido_mds_roots`]), FIDO's own
//! signing certificate, the JWS signature, then the payload) and read: each model's attestation
//! roots, which make attestation trusted, and its status reports, which say
//! whether the model is revoked or compromised ([`MdsEntry::is_compromised`]).
//! A verified BLOB also names models in the catalog ([`Catalog::load_mds`]).
//! An organisation's own attestation CA is checked by [`CaCertificate`].
//!
//! What it never does: I/O (callers read files and pass the text in) or
//! reading the clock (the verification time is an argument).

mod ca;
mod catalog;
mod community_list;
mod error;
mod mds;

// The public interface.
pub use crate::{
    ca::{fingerprint as certificate_fingerprint, CaCertificate, CaError},
    catalog::{Catalog, Provider, Source, KEYBOUND_AUTHENTICATOR_AAGUID},
    error::Error,
    mds::{
        fido_mds_roots, AuthenticatorStatus, MdsBlob, MdsDate, MdsEntry, MdsError, StatusReport,
        FIDO_MDS_SIGNER_NAMES,
    },
};
