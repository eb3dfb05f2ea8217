//! Keybound's extension: the authentication-methods policy's version history,
//! seen one configuration at a time, and restoring a configuration from an
//! earlier version.
//!
//! Every saved change is a version of the whole policy document (the store
//! keeps them all). `…/authenticationMethodConfigurations/{id}/versions` shows,
//! newest first, what configuration `{id}` was in each; `…/versions/{n}/restore`
//! saves a new version whose configuration `{id}` is version `n`'s, leaving the
//! other configurations as they are now.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Json;
use keybound_policy::AuthenticationMethodsPolicy;
use keybound_store::{PolicyVersion, Store};
use serde_json::{json, Value};

use super::odata::{self, GraphBase, Options, QueryOption};
use super::policy::{self, READ, UPDATE_ACTIVITY, WRITE};
use crate::audit::{Audit, Target};
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

/// The query options the versions listing takes.
const LIST_OPTIONS: &[QueryOption] = &[QueryOption::Top, QueryOption::SkipToken];

/// `GET …/authenticationMethodConfigurations/{id}/versions`: newest first, `$top` at a time.
pub(crate) async fn list(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    uri: Uri,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let id = graph_id(&id)?;
    let options = Options::parse(&params, LIST_OPTIONS)?;
    let below = match &options.skip_token {
        Some(token) => Some(odata::decode_token(token)?.parse::<i64>().map_err(|_| {
            odata::bad_request(
                "the $skiptoken is not one Keybound issued; start again from the first page",
            )
        })?),
        None => None,
    };
    let limit = usize::try_from(if options.top == 0 { 100 } else { options.top }).unwrap_or(100);
    let mut versions: Vec<PolicyVersion> = state
        .store
        .policy_versions()
        .await?
        .into_iter()
        .rev()
        .filter(|v| below.is_none_or(|b| v.version < b))
        .collect();
    let next = if versions.len() > limit {
        versions.truncate(limit);
        versions
            .last()
            .map(|last| odata::encode_token(&last.version.to_string()))
    } else {
        None
    };
    let items = versions
        .iter()
        .map(|v| version_json(v, &id))
        .collect::<Result<Vec<_>, _>>()?;
    let next_link = next.map(|token| options.next_link(&base, uri.path(), &token));
    Ok(Json(odata::collection(
        base.context(&context_fragment(&id)),
        items,
        next_link,
    )))
}

/// `GET …/authenticationMethodConfigurations/{id}/versions/{n}`.
pub(crate) async fn get(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path((id, number)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let id = graph_id(&id)?;
    let version = stored_version(state.store.as_ref(), &number).await?;
    Ok(Json(odata::entity(
        base.context(&format!("{}/$entity", context_fragment(&id))),
        version_json(&version, &id)?,
    )))
}

/// `POST …/authenticationMethodConfigurations/{id}/versions/{n}/restore`: saves a
/// new version whose configuration `{id}` is version `n`'s and whose other
/// configurations are the current ones; answers 200 with the configuration and
/// the new ETag. Honours `If-Match` like `PATCH`.
pub(crate) async fn restore(
    caller: GraphCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    let id = graph_id(&id)?;
    let store = state.store.as_ref();
    let (current, head) = policy::current(store).await?;
    let expected = policy::fresh_if_match(&headers, &head)?;
    let source = stored_version(store, &number).await?;
    let restored = parse(&source)?.configuration_json(&id)?;
    refuse_deleted_groups(store, &current.configuration_json(&id)?, &restored, &source).await?;

    let now = state.clock.now();
    let before = current.to_graph_json();
    let mut document = before.clone();
    if let Some(configs) = document
        .get_mut("authenticationMethodConfigurations")
        .and_then(Value::as_array_mut)
    {
        for config in configs.iter_mut() {
            if config.get("id").and_then(Value::as_str) == Some(id.as_str()) {
                *config = restored.clone();
            }
        }
    }
    if let Some(map) = document.as_object_mut() {
        let stamp = policy::policy_time(now).to_string();
        map.insert("lastModifiedDateTime".into(), Value::String(stamp));
    }
    // Read back as a stored document: ids are kept as they were, and the whole policy is checked.
    let after =
        AuthenticationMethodsPolicy::from_graph_json(&document).map_err(ApiError::internal)?;
    let after_json = after.to_graph_json();

    let audit = Audit::new(
        UPDATE_ACTIVITY,
        "Policy",
        "Authentication Methods",
        "Update",
    )
    .by(caller.initiator())
    .target(Target::policy(&id, &id).modified("policy", before.to_string(), after_json.to_string()))
    .detail("restoredFromVersion", source.version.to_string())
    .at(now)?;
    let saved = policy::save(
        store,
        expected.as_deref(),
        &head,
        &after_json,
        &caller,
        &audit,
    )
    .await?;
    Ok(policy::with_etag(
        policy::configuration_body(&after, &id)?,
        &saved,
    ))
}

/// The configuration id as Graph spells it (`Fido2`, `TemporaryAccessPass`, `SoftwareOath`),
/// from any case; 404 `itemNotFound` for another.
fn graph_id(id: &str) -> Result<String, ApiError> {
    let probe =
        AuthenticationMethodsPolicy::new(keybound_policy::Timestamp::from_unix_seconds_clamped(0));
    let config = probe.configuration_json(id)?;
    config
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::internal(format!("configuration {id} has no id")))
}

/// `authenticationMethodsPolicy/authenticationMethodConfigurations('Fido2')/versions`.
fn context_fragment(id: &str) -> String {
    format!("authenticationMethodsPolicy/authenticationMethodConfigurations('{id}')/versions")
}

/// The version a path's `{n}` names: 400 unless a whole number from 1, 404 unless saved.
async fn stored_version(store: &dyn Store, number: &str) -> Result<PolicyVersion, ApiError> {
    let n = number
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| {
            odata::bad_request(format!(
                "`{number}` is not a policy version; versions are numbered 1, 2, 3, … (list them with GET …/versions)"
            ))
        })?;
    store
        .policy_version(n)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            code: "itemNotFound",
            message: format!(
                "The policy has no version {n}; list the versions it has with GET …/versions"
            ),
        })
}

/// A stored version's policy.
fn parse(version: &PolicyVersion) -> Result<AuthenticationMethodsPolicy, ApiError> {
    let document: Value = serde_json::from_str(&version.json).map_err(ApiError::internal)?;
    AuthenticationMethodsPolicy::from_graph_json(&document).map_err(ApiError::internal)
}

/// One version as the listing shows it: `{version, createdDateTime, author, etag, configuration}`.
fn version_json(version: &PolicyVersion, id: &str) -> Result<Value, ApiError> {
    Ok(json!({
        "version": version.version,
        "createdDateTime": version.created_at.to_rfc3339(),
        "author": version.author,
        "etag": version.etag,
        "configuration": parse(version)?.configuration_json(id)?,
    }))
}

/// Refuses a restore that would bring back a target group deleted since (409):
/// as with `PATCH`, only groups new to the configuration must exist.
async fn refuse_deleted_groups(
    store: &dyn Store,
    current: &Value,
    restored: &Value,
    source: &PolicyVersion,
) -> Result<(), ApiError> {
    let mut now_named = Vec::new();
    policy::collect_target_ids(current, &mut now_named);
    let mut named = Vec::new();
    policy::collect_target_ids(restored, &mut named);
    named.retain(|g| !now_named.contains(g) && !g.eq_ignore_ascii_case("all_users"));
    let existing = policy::existing_groups(store, restored).await?;
    if let Some(missing) = named
        .iter()
        .find(|g| !existing.iter().any(|e| e.eq_ignore_ascii_case(g)))
    {
        return Err(ApiError::Conflict {
            code: "restoreNamesDeletedGroup",
            message: format!(
                "Version {} targets the group {missing}, which no longer exists, so it cannot be restored as it was. Recreate a group and PATCH the configuration with its id instead, or restore another version.",
                source.version
            ),
        });
    }
    Ok(())
}
