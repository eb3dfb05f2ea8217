//! Attestation trust as the directory holds it: the organisation's own
//! certificate authorities and the latest verified FIDO MDS3 BLOB.
//!
//! Registration asks two things of it:
//!
//! - [`trust_anchors`]: the roots an attestation chain may end at — every
//!   stored trust anchor (organisation CAs) plus the
//!   `attestationRootCertificates` of each entry of the latest BLOB, except
//!   entries whose status history says revoked or compromised;
//! - [`mds_status`]: what that BLOB says of an AAGUID, so a revoked or
//!   compromised model is refused ([`MdsStatus::refusal`]).
//!
//! [`AttestationTrust::load`] answers both from one read of the store.
//!
//! Loading a BLOB ([`load_mds_blob`]) and adding or removing a CA
//! ([`add_organisation_ca`], [`remove_organisation_ca`]) write their audit
//! entry with the change; the Graph extension endpoints and `keybound admin
//! attestation` both call them.

use std::collections::BTreeSet;
use std::sync::RwLock;

use keybound_metadata::{CaCertificate, Catalog, MdsBlob, MdsDate, MdsError};
use keybound_store::{
    MdsBlob as StoredBlob, MdsBlobInfo, Store, StoreError, Timestamp, TrustAnchor, TrustAnchorKind,
};
use keybound_webauthn::{Aaguid, TrustAnchors};

use crate::audit::{new_guid, Audit, Initiator, Target};
use crate::clock::system_time;
use crate::error::ApiError;

/// Where to get a current BLOB, for messages.
const MDS_URL: &str = "https://mds3.fidoalliance.org/";

/// What the latest FIDO metadata BLOB says of one authenticator model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdsStatus {
    /// Whether any status report says the model is revoked, its user
    /// verification can be bypassed, or its attestation or credential keys
    /// are compromised. Registration refuses such a model.
    pub compromised: bool,
    /// The latest status (`FIDO_CERTIFIED_L1`, `REVOKED`, …); empty if the entry has no report.
    pub status: String,
    /// The status that made it compromised and when it took effect (`ATTESTATION_KEY_COMPROMISE`, `2025-02-01`).
    pub compromise: Option<(String, Option<String>)>,
    /// The model's name in its metadata statement.
    pub description: Option<String>,
    /// The number of the BLOB that says so.
    pub blob_number: u64,
}

impl MdsStatus {
    /// The 403 a registration of this model gets, if it is compromised.
    pub fn refusal(&self, aaguid: Aaguid) -> Option<ApiError> {
        if !self.compromised {
            return None;
        }
        let model = match &self.description {
            Some(name) => format!("{name}, AAGUID {aaguid}"),
            None => format!("AAGUID {aaguid}"),
        };
        let (status, since) = match &self.compromise {
            Some((status, Some(date))) => (status.as_str(), format!(" since {date}")),
            Some((status, None)) => (status.as_str(), String::new()),
            None => (self.status.as_str(), String::new()),
        };
        Some(ApiError::forbidden(
            "authenticator_compromised",
            format!(
                "The FIDO Alliance reports this authenticator model ({model}) as {status}{since} (FIDO metadata BLOB {}), so Keybound does not register it. Use another authenticator, or ask the vendor about a replacement.",
                self.blob_number
            ),
        ))
    }
}

/// The directory's attestation trust, read once for a registration.
#[derive(Clone, Debug)]
pub struct AttestationTrust {
    anchors: TrustAnchors,
    blob: Option<MdsBlob>,
}

impl AttestationTrust {
    /// Reads the stored trust anchors and the latest BLOB.
    ///
    /// A stored anchor or MDS root that is not a certificate is skipped (and
    /// logged), so one bad certificate does not stop every registration. A
    /// BLOB past its `nextUpdate` at `now` is still used, with a warning: its
    /// roots and revocations are the newest Keybound has.
    pub async fn load(store: &dyn Store, now: Timestamp) -> Result<AttestationTrust, ApiError> {
        let mut anchors = TrustAnchors::new();
        let mut seen = BTreeSet::new();
        for anchor in store.list_trust_anchors().await? {
            if !seen.insert(anchor.der.clone()) {
                continue;
            }
            if let Err(error) = anchors.add_der(anchor.der) {
                tracing::warn!(id = %anchor.id, %error, "skipping an unusable trust anchor");
            }
        }
        let blob = latest_blob(store).await?;
        if let Some(blob) = &blob {
            if blob.is_stale(system_time(now)) {
                tracing::warn!(
                    number = blob.number(),
                    next_update = %blob.next_update(),
                    "the FIDO metadata BLOB is past its nextUpdate; load a current one from {MDS_URL}"
                );
            }
            for entry in blob.entries() {
                if entry.is_compromised() {
                    continue;
                }
                for der in entry.attestation_roots() {
                    if !seen.insert(der.clone()) {
                        continue;
                    }
                    if let Err(error) = anchors.add_der(der) {
                        tracing::debug!(model = ?entry.description(), %error, "skipping an unusable MDS attestation root");
                    }
                }
            }
        }
        Ok(AttestationTrust { anchors, blob })
    }

    /// The roots attestation chains may end at.
    pub fn anchors(&self) -> &TrustAnchors {
        &self.anchors
    }

    /// The roots, by value (for `RegistrationResponse::verify`).
    pub fn into_anchors(self) -> TrustAnchors {
        self.anchors
    }

    /// What the latest BLOB says of `aaguid`; `None` without a BLOB or an entry for it.
    pub fn mds_status(&self, aaguid: Aaguid) -> Option<MdsStatus> {
        let blob = self.blob.as_ref()?;
        let entry = blob.entry(aaguid)?;
        Some(MdsStatus {
            compromised: entry.is_compromised(),
            status: entry
                .status()
                .map(|report| report.status().as_str().to_owned())
                .unwrap_or_default(),
            compromise: entry.compromise().map(|report| {
                (
                    report.status().as_str().to_owned(),
                    report.effective_date().map(|date| date.to_string()),
                )
            }),
            description: entry.description().map(str::to_owned),
            blob_number: blob.number(),
        })
    }
}

/// The roots an attestation chain may end at: organisation CAs, and the
/// attestation roots of every model in the latest FIDO metadata BLOB that is
/// not revoked or compromised. Pass them to `RegistrationResponse::verify`.
pub async fn trust_anchors(store: &dyn Store, now: Timestamp) -> Result<TrustAnchors, ApiError> {
    Ok(AttestationTrust::load(store, now).await?.into_anchors())
}

/// What the latest FIDO metadata BLOB says of an AAGUID; `None` without a
/// BLOB or without an entry for it. Refuse the registration when
/// [`MdsStatus::compromised`] ([`MdsStatus::refusal`] gives the response).
pub async fn mds_status(store: &dyn Store, aaguid: Aaguid) -> Result<Option<MdsStatus>, ApiError> {
    let Some(blob) = latest_blob(store).await? else {
        return Ok(None);
    };
    Ok(AttestationTrust {
        anchors: TrustAnchors::new(),
        blob: Some(blob),
    }
    .mds_status(aaguid))
}

/// The latest stored BLOB, read again.
async fn latest_blob(store: &dyn Store) -> Result<Option<MdsBlob>, ApiError> {
    let Some(stored) = store.latest_mds_blob().await? else {
        return Ok(None);
    };
    MdsBlob::from_stored_payload(&stored.json)
        .map(Some)
        .map_err(|e| {
            ApiError::internal(format!(
                "stored FIDO metadata BLOB {} does not parse: {e}",
                stored.number
            ))
        })
}

/// Names the models of the latest stored BLOB in `catalog` (at start-up).
pub async fn load_catalog(store: &dyn Store, catalog: &mut Catalog) -> Result<usize, ApiError> {
    Ok(latest_blob(store)
        .await?
        .map_or(0, |blob| catalog.load_mds(&blob)))
}

/// Names a newly loaded BLOB's models in the shared catalog.
pub fn refresh_catalog(catalog: &RwLock<Catalog>, blob: &MdsBlob) -> usize {
    let mut catalog = catalog
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    catalog.load_mds(blob)
}

/// A refused BLOB, as a 400 with the metadata crate's code and sentence.
fn mds_refusal(error: &MdsError) -> ApiError {
    ApiError::bad_request(error.code(), error.to_string())
}

/// Verifies FIDO's BLOB at `now` ([`MdsBlob::verify_fido`]) and keeps it,
/// with an audit entry `Load FIDO metadata`; refuses one whose number is not
/// newer than the latest loaded (409 `mds_blob_not_newer`).
///
/// `danger_test_roots` is empty but in tests
/// ([`crate::state::AppState::danger_add_mds_root`]): a BLOB whose chain leads
/// to one of them is accepted from any signer under it.
pub async fn load_mds_blob(
    store: &dyn Store,
    jwt: &str,
    danger_test_roots: &[Vec<u8>],
    initiator: Initiator,
    now: Timestamp,
) -> Result<(MdsBlob, MdsBlobInfo), ApiError> {
    let time = system_time(now);
    let verified = if danger_test_roots.is_empty() {
        MdsBlob::verify_fido(jwt, time)
    } else {
        match MdsBlob::verify(jwt, danger_test_roots, time) {
            Err(MdsError::ChainUntrusted { .. }) => MdsBlob::verify_fido(jwt, time),
            other => other,
        }
    };
    let blob = verified.map_err(|e| mds_refusal(&e))?;
    let number = i64::try_from(blob.number()).map_err(|_| {
        ApiError::bad_request(
            "mds_payload_malformed",
            format!(
                "the FIDO metadata BLOB's number {} is too large",
                blob.number()
            ),
        )
    })?;
    let not_newer = |latest: i64| {
        ApiError::Conflict {
        code: "mds_blob_not_newer",
        message: format!(
            "FIDO metadata BLOB {number} is not newer than BLOB {latest}, which is loaded already; download the current BLOB from {MDS_URL}"
        ),
    }
    };
    let previous = store.list_mds_blobs().await?.first().map(|b| b.number);
    if let Some(latest) = previous.filter(|latest| *latest >= number) {
        return Err(not_newer(latest));
    }
    let compromised = blob.entries().iter().filter(|e| e.is_compromised()).count();
    let record = StoredBlob {
        number,
        next_update: Timestamp::from_secs(blob.next_update().unix_seconds()),
        json: blob.payload_json().to_owned(),
        loaded_at: now,
    };
    let audit = Audit::new(
        "Load FIDO metadata",
        "Policy",
        "Authentication Methods",
        "Add",
    )
    .by(initiator)
    .target(
        Target::policy("fidoMetadataService", "FIDO Metadata Service").modified(
            "blobNumber",
            previous.map(|n| n.to_string()).unwrap_or_default(),
            number.to_string(),
        ),
    )
    .detail("nextUpdate", blob.next_update().to_string())
    .detail("entries", blob.entries().len().to_string())
    .detail("compromisedModels", compromised.to_string())
    .at(now)?;
    store
        .add_mds_blob(&record, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => not_newer(number),
            other => other.into(),
        })?;
    let info = MdsBlobInfo {
        number,
        next_update: record.next_update,
        loaded_at: now,
    };
    Ok((blob, info))
}

/// The date a stored `nextUpdate` stands for.
pub fn next_update_date(info: &MdsBlobInfo) -> String {
    MdsDate::of(system_time(info.next_update)).to_string()
}

/// An organisation certificate authority as stored, described for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganisationCa {
    /// Its id.
    pub id: String,
    /// Its subject.
    pub subject: String,
    /// The end of its validity.
    pub not_after: Timestamp,
    /// The SHA-256 fingerprint of its DER.
    pub sha256_fingerprint: String,
    /// When it was added.
    pub added_at: Timestamp,
}

impl OrganisationCa {
    fn describe(anchor: &TrustAnchor) -> OrganisationCa {
        let not_after = CaCertificate::parse_der(anchor.der.clone())
            .ok()
            .and_then(|ca| {
                ca.not_after()
                    .duration_since(std::time::UNIX_EPOCH)
                    .ok()
                    .and_then(|d| i64::try_from(d.as_secs()).ok())
            })
            .map_or(Timestamp::from_secs(0), Timestamp::from_secs);
        OrganisationCa {
            id: anchor.id.clone(),
            subject: anchor.subject.clone(),
            not_after,
            sha256_fingerprint: keybound_metadata::certificate_fingerprint(&anchor.der),
            added_at: anchor.added_at,
        }
    }
}

/// Checks a PEM certificate is a CA valid at `now` and keeps it as an
/// organisation trust anchor, with an audit entry `Add attestation
/// certificate authority`; 409 `ca_exists` if the same certificate is there.
pub async fn add_organisation_ca(
    store: &dyn Store,
    pem: &str,
    initiator: Initiator,
    now: Timestamp,
) -> Result<OrganisationCa, ApiError> {
    let ca = CaCertificate::from_pem(pem, system_time(now))
        .map_err(|e| ApiError::bad_request(e.code(), e.to_string()))?;
    if let Some(existing) = store
        .list_trust_anchors()
        .await?
        .into_iter()
        .find(|anchor| anchor.der == ca.der())
    {
        return Err(ApiError::Conflict {
            code: "ca_exists",
            message: format!(
                "The certificate authority `{}` is a trust anchor already (id {}); nothing was added.",
                ca.subject(),
                existing.id
            ),
        });
    }
    let anchor = TrustAnchor {
        id: new_guid(),
        kind: TrustAnchorKind::OrganisationCa,
        der: ca.der().to_vec(),
        subject: ca.subject().to_owned(),
        added_at: now,
    };
    let described = OrganisationCa::describe(&anchor);
    let audit = Audit::new(
        "Add attestation certificate authority",
        "Policy",
        "Authentication Methods",
        "Add",
    )
    .by(initiator)
    .target(Target::other(&anchor.id))
    .detail("subject", ca.subject())
    .detail("sha256Fingerprint", described.sha256_fingerprint.clone())
    .detail("notAfter", described.not_after.to_rfc3339())
    .at(now)?;
    store.add_trust_anchor(&anchor, &audit).await?;
    Ok(described)
}

/// The organisation certificate authorities, oldest first.
pub async fn list_organisation_cas(store: &dyn Store) -> Result<Vec<OrganisationCa>, ApiError> {
    Ok(store
        .list_trust_anchors()
        .await?
        .iter()
        .filter(|anchor| anchor.kind == TrustAnchorKind::OrganisationCa)
        .map(OrganisationCa::describe)
        .collect())
}

/// One organisation certificate authority; 404 if no CA has the id.
pub async fn get_organisation_ca(store: &dyn Store, id: &str) -> Result<OrganisationCa, ApiError> {
    list_organisation_cas(store)
        .await?
        .into_iter()
        .find(|ca| ca.id == id)
        .ok_or_else(|| unknown_ca(id))
}

/// Removes an organisation certificate authority, with an audit entry
/// `Delete attestation certificate authority`; 404 if no CA has the id.
pub async fn remove_organisation_ca(
    store: &dyn Store,
    id: &str,
    initiator: Initiator,
    now: Timestamp,
) -> Result<OrganisationCa, ApiError> {
    let ca = get_organisation_ca(store, id).await?;
    let audit = Audit::new(
        "Delete attestation certificate authority",
        "Policy",
        "Authentication Methods",
        "Delete",
    )
    .by(initiator)
    .target(Target::other(&ca.id))
    .detail("subject", ca.subject.clone())
    .detail("sha256Fingerprint", ca.sha256_fingerprint.clone())
    .at(now)?;
    store
        .remove_trust_anchor(id, &audit)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => unknown_ca(id),
            other => other.into(),
        })?;
    Ok(ca)
}

fn unknown_ca(id: &str) -> ApiError {
    ApiError::not_found(format!(
        "No attestation certificate authority has the id `{id}`; list them with GET /v1.0/keybound/attestation/certificateAuthorities or `keybound admin attestation list`."
    ))
}
