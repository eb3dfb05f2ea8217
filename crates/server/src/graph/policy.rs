//! `authenticationMethodsPolicy` and its configurations, as Graph serves them,
//! plus Keybound's extensions: ETags with `If-Match`, versions and restore.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_policy::{
    AuthenticationMethodsPolicy, GroupId, PatchContext, ProfileId, Timestamp as PolicyTime,
};
use keybound_store::{PolicyVersion, Store, Timestamp};
use serde_json::{json, Value};

use crate::audit::{Audit, Target};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

const READ: &[Scope] = &[Scope::PolicyReadAuthenticationMethod, Scope::PolicyReadAll];
const WRITE: &[Scope] = &[Scope::PolicyReadWriteAuthenticationMethod];

/// The policy in force, with its version record.
pub(crate) async fn current(
    store: &dyn Store,
) -> Result<(AuthenticationMethodsPolicy, PolicyVersion), ApiError> {
    let version = store.current_policy().await?.ok_or_else(|| {
        ApiError::internal("no authentication-methods policy is stored; bootstrap did not run")
    })?;
    let document: Value = serde_json::from_str(&version.json).map_err(ApiError::internal)?;
    let policy =
        AuthenticationMethodsPolicy::from_graph_json(&document).map_err(ApiError::internal)?;
    Ok((policy, version))
}

/// The policy a fresh directory starts with.
pub(crate) fn initial(now: Timestamp) -> AuthenticationMethodsPolicy {
    AuthenticationMethodsPolicy::new(policy_time(now))
}

fn policy_time(now: Timestamp) -> PolicyTime {
    PolicyTime::from_unix_seconds_clamped(now.as_secs())
}

fn with_etag(body: Value, version: &PolicyVersion) -> Response {
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", version.etag)) {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, value);
    }
    response
}

/// `GET …/authenticationMethodsPolicy`.
pub(crate) async fn get_root(
    caller: GraphCaller,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let (policy, version) = current(state.store.as_ref()).await?;
    let mut body = policy.to_graph_json();
    annotate(&mut body, &policy, &state);
    Ok(with_etag(body, &version))
}

/// `GET …/authenticationMethodConfigurations/{id}`.
pub(crate) async fn get_configuration(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let (policy, version) = current(state.store.as_ref()).await?;
    let mut body = policy.configuration_json(&id)?;
    if id.eq_ignore_ascii_case("fido2") {
        add_claim_warnings(&mut body, &policy);
    }
    Ok(with_etag(body, &version))
}

/// `PATCH …/authenticationMethodsPolicy`.
pub(crate) async fn patch_root(
    caller: GraphCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    patch(&caller, &state, &headers, &body, None).await
}

/// `PATCH …/authenticationMethodConfigurations/{id}`.
pub(crate) async fn patch_configuration(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    patch(&caller, &state, &headers, &body, Some(&id)).await
}

async fn patch(
    caller: &GraphCaller,
    state: &AppState,
    headers: &HeaderMap,
    body: &Value,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let (mut policy, version) = current(store).await?;
    let expected = if_match(headers)?;
    if let Some(etag) = &expected {
        if etag != &version.etag && etag != "*" {
            return Err(ApiError::PreconditionFailed {
                message: format!(
                    "The policy changed since you read it (your If-Match is \"{etag}\", the current ETag is \"{}\"). Read it again, reapply your change, and retry.",
                    version.etag
                ),
            });
        }
    }
    let known = existing_groups(store, body).await?;
    let now = state.clock.now();
    let before = policy.to_graph_json();
    {
        // The context borrows closures that are not Send; it must not live across an await.
        let group_exists = |g: &GroupId| known.iter().any(|k| k == g.as_str());
        let new_id = new_profile_id;
        let ctx = PatchContext::new(&group_exists, &new_id, policy_time(now));
        match id {
            Some(id) => policy.patch_configuration(id, body, &ctx)?,
            None => policy.apply_patch(body, &ctx)?,
        }
    }
    let after = policy.to_graph_json();
    let target_name = id.unwrap_or("authenticationMethodsPolicy");
    let audit = Audit::new(
        "Authentication Methods Policy Update",
        "Policy",
        "Authentication Methods",
        "Update",
    )
    .by(caller.initiator())
    .target(Target::policy(target_name, target_name).modified(
        "policy",
        before.to_string(),
        after.to_string(),
    ))
    .at(now)?;
    let etag_guard = expected
        .as_deref()
        .filter(|e| *e != "*")
        .or(Some(version.etag.as_str()));
    store
        .save_policy(etag_guard, &after.to_string(), &describe(caller), &audit)
        .await
        .map_err(|e| match e {
            keybound_store::StoreError::Conflict { .. } => ApiError::PreconditionFailed {
                message: "Another change to the policy was saved at the same moment; read it again and retry.".into(),
            },
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The ETag a client sent in `If-Match`, without quotes.
fn if_match(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(axum::http::header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        ApiError::bad_request("badRequest", "If-Match must be an ETag such as \"3\"")
    })?;
    Ok(Some(
        text.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned(),
    ))
}

/// The group ids a PATCH body names in any `includeTargets`/`excludeTargets`, that exist.
async fn existing_groups(store: &dyn Store, body: &Value) -> Result<Vec<String>, ApiError> {
    let mut named = Vec::new();
    collect_target_ids(body, &mut named);
    let mut existing = Vec::new();
    for id in named {
        let Ok(group) = keybound_store::GroupId::parse(&id) else {
            continue;
        };
        if store.get_group(&group).await?.is_some() {
            existing.push(group.as_str().to_owned());
        }
    }
    Ok(existing)
}

fn collect_target_ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "includeTargets" || key == "excludeTargets" {
                    for target in child.as_array().into_iter().flatten() {
                        if let Some(id) = target.get("id").and_then(Value::as_str) {
                            out.push(id.to_owned());
                        }
                    }
                }
                collect_target_ids(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_target_ids(i, out)),
        _ => {}
    }
}

fn new_profile_id() -> ProfileId {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    // Never the default profile's id.
    if bytes == *ProfileId::DEFAULT.as_bytes() {
        bytes[15] ^= 0xff;
    }
    ProfileId::from_bytes(bytes)
}

fn describe(caller: &GraphCaller) -> String {
    caller.describe()
}

/// Adds Keybound's honesty notes to the root document's FIDO2 configuration.
fn annotate(body: &mut Value, policy: &AuthenticationMethodsPolicy, _state: &AppState) {
    if let Some(configs) = body
        .get_mut("authenticationMethodConfigurations")
        .and_then(Value::as_array_mut)
    {
        for config in configs {
            if config
                .get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| id.eq_ignore_ascii_case("fido2"))
            {
                add_claim_warnings(config, policy);
            }
        }
    }
}

/// `keybound.unattestedClaims`: the rules that rest on what authenticators say about themselves.
fn add_claim_warnings(body: &mut Value, policy: &AuthenticationMethodsPolicy) {
    let warnings: Vec<Value> = policy
        .fido2()
        .unattested_claims()
        .iter()
        .map(|w| json!({"profile": w.profile().to_string(), "profileName": w.profile_name(), "message": w.message()}))
        .collect();
    if let Some(map) = body.as_object_mut() {
        map.insert("keybound.unattestedClaims".into(), Value::Array(warnings));
    }
}
