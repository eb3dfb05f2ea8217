//! Keybound extension: attestation trust, under `/v1.0` and `/beta`.
//!
//! | route | method | scope | does |
//! |---|---|---|---|
//! | `keybound/attestation/mdsBlobs` | GET | Policy.Read.All (or Policy.Read.AuthenticationMethod) | the loaded FIDO MDS3 BLOBs, newest first |
//! | `keybound/attestation/mdsBlobs` | POST | Policy.ReadWrite.AuthenticationMethod | verifies a BLOB (body: the JWT as `application/jwt` or `text/plain`, or JSON `{"blob": "…"}`) against the FIDO Metadata Service root, keeps it, names its models → 201 `{number, nextUpdate, entries, loadedDateTime}` |
//! | `keybound/attestation/certificateAuthorities` | GET | Policy.Read.All | the organisation's attestation CAs |
//! | `keybound/attestation/certificateAuthorities` | POST | Policy.ReadWrite.AuthenticationMethod | adds a CA (body: PEM, or JSON `{"pem": "…"}`) → 201 `{id, subject, notAfter, sha256Fingerprint, addedDateTime}` |
//! | `keybound/attestation/certificateAuthorities/{id}` | GET, DELETE | read, write as above | one CA; removes it → 204 |
//!
//! Refusals are Graph's `{"error":{"code","message"}}`: a BLOB that fails a
//! check gets the metadata crate's code (`mds_signature_invalid`,
//! `mds_chain_untrusted`, `mds_certificate_expired`, `mds_payload_malformed`, …),
//! an older BLOB 409 `mds_blob_not_newer`, a certificate that is not a CA 400
//! `ca_not_a_ca`. A refused request writes nothing.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::attestation_trust::{self, OrganisationCa};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

const READ: &[Scope] = &[Scope::PolicyReadAll, Scope::PolicyReadAuthenticationMethod];
const WRITE: &[Scope] = &[Scope::PolicyReadWriteAuthenticationMethod];

/// The largest BLOB accepted; FIDO's full BLOB is a few megabytes.
const MAX_BLOB_BYTES: usize = 32 * 1024 * 1024;

/// The attestation routes, relative to `/v1.0` and `/beta`.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/keybound/attestation/mdsBlobs",
            get(list_blobs)
                .post(load_blob)
                .layer(DefaultBodyLimit::max(MAX_BLOB_BYTES)),
        )
        .route(
            "/keybound/attestation/certificateAuthorities",
            get(list_cas).post(add_ca),
        )
        .route(
            "/keybound/attestation/certificateAuthorities/{id}",
            get(get_ca).delete(delete_ca),
        )
}

/// The text a body carries: the raw body for text types, or one string member of a JSON object.
fn body_text(
    headers: &HeaderMap,
    body: &Bytes,
    member: &str,
    raw_types: &[&str],
) -> Result<String, ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let expected = || {
        format!(
            "send it as {} or as JSON {{\"{member}\": \"…\"}} with Content-Type application/json",
            raw_types.join(" or ")
        )
    };
    if media_type == "application/json" {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "badRequest",
                format!("The body is not JSON ({e}); {}.", expected()),
            )
        })?;
        return value
            .get(member)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "badRequest",
                    format!(
                        "The JSON body has no string member `{member}`; {}.",
                        expected()
                    ),
                )
            });
    }
    if !(media_type.is_empty() || raw_types.contains(&media_type.as_str())) {
        return Err(ApiError::bad_request(
            "badRequest",
            format!(
                "Content-Type {media_type} is not accepted here; {}.",
                expected()
            ),
        ));
    }
    String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::bad_request(
            "badRequest",
            format!("The body is not UTF-8 text; {}.", expected()),
        )
    })
}

/// `GET …/keybound/attestation/mdsBlobs`.
async fn list_blobs(
    caller: GraphCaller,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let blobs = state.store.list_mds_blobs().await?;
    let value: Vec<Value> = blobs
        .iter()
        .map(|info| {
            json!({
                "number": info.number,
                "nextUpdate": attestation_trust::next_update_date(info),
                "loadedDateTime": info.loaded_at.to_rfc3339(),
            })
        })
        .collect();
    Ok(Json(json!({ "value": value })))
}

/// `POST …/keybound/attestation/mdsBlobs`.
async fn load_blob(
    caller: GraphCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    let jwt = body_text(
        &headers,
        &body,
        "blob",
        &["application/jwt", "text/plain", "application/octet-stream"],
    )?;
    let now = state.clock.now();
    let (blob, info) = attestation_trust::load_mds_blob(
        state.store.as_ref(),
        &jwt,
        &state.danger_mds_roots,
        caller.initiator(),
        now,
    )
    .await?;
    attestation_trust::refresh_catalog(&state.catalog, &blob);
    let body = json!({
        "number": info.number,
        "nextUpdate": blob.next_update().to_string(),
        "entries": blob.entries().len(),
        "loadedDateTime": info.loaded_at.to_rfc3339(),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn ca_json(ca: &OrganisationCa) -> Value {
    json!({
        "id": ca.id,
        "subject": ca.subject,
        "notAfter": ca.not_after.to_rfc3339(),
        "sha256Fingerprint": ca.sha256_fingerprint,
        "addedDateTime": ca.added_at.to_rfc3339(),
    })
}

/// `GET …/keybound/attestation/certificateAuthorities`.
async fn list_cas(
    caller: GraphCaller,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let cas = attestation_trust::list_organisation_cas(state.store.as_ref()).await?;
    let value: Vec<Value> = cas.iter().map(ca_json).collect();
    Ok(Json(json!({ "value": value })))
}

/// `GET …/keybound/attestation/certificateAuthorities/{id}`.
async fn get_ca(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let ca = attestation_trust::get_organisation_ca(state.store.as_ref(), &id).await?;
    Ok(Json(ca_json(&ca)))
}

/// `POST …/keybound/attestation/certificateAuthorities`.
async fn add_ca(
    caller: GraphCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    let pem = body_text(
        &headers,
        &body,
        "pem",
        &[
            "application/x-pem-file",
            "application/pem-certificate-chain",
            "text/plain",
        ],
    )?;
    let ca = attestation_trust::add_organisation_ca(
        state.store.as_ref(),
        &pem,
        caller.initiator(),
        state.clock.now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ca_json(&ca))).into_response())
}

/// `DELETE …/keybound/attestation/certificateAuthorities/{id}`.
async fn delete_ca(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    attestation_trust::remove_organisation_ca(
        state.store.as_ref(),
        &id,
        caller.initiator(),
        state.clock.now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
