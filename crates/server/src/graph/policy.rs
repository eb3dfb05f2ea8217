//! `authenticationMethodsPolicy` and its configurations, as Graph serves them,
//! plus Keybound's extensions: ETags with `If-Match`, `PATCH …?dryRun=true`
//! (the change's result and the passkeys it would stop, saving nothing), and
//! the claim warnings. Versions and restore are in `policy_versions`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_metadata::Catalog;
use keybound_policy::{
    Attestation, AuthenticationMethodsPolicy, CredentialFacts, Fido2Configuration, GroupId,
    PatchContext, ProfileId, Timestamp as PolicyTime, UserRef,
};
use keybound_store::{
    AttestationLevel, AuditEntry, DirectoryRole, ListQuery, Passkey, PolicyVersion, Store,
    Timestamp, User,
};
use serde_json::{json, Value};

use crate::audit::{Audit, Target};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

pub(super) const READ: &[Scope] = &[Scope::PolicyReadAuthenticationMethod, Scope::PolicyReadAll];
pub(super) const WRITE: &[Scope] = &[Scope::PolicyReadWriteAuthenticationMethod];

/// The audit activity of every change to the policy, as Entra names it.
pub(super) const UPDATE_ACTIVITY: &str = "Authentication Methods Policy Update";

/// What a dry run says when a change would leave no Global Administrator able to sign in with a passkey.
const LOCKOUT_WARNING: &str = "WARNING: this change would leave every Global Administrator without a passkey that can sign in, so no administrator could sign in with a passkey to undo it. Change it so that at least one Global Administrator keeps a usable passkey. If you apply it anyway, recover on the server with `keybound admin tap --user <admin>` and sign in with that Temporary Access Pass.";

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

pub(super) fn policy_time(now: Timestamp) -> PolicyTime {
    PolicyTime::from_unix_seconds_clamped(now.as_secs())
}

pub(super) fn with_etag(body: Value, version: &PolicyVersion) -> Response {
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
    Ok(with_etag(root_body(&policy), &version))
}

/// `GET …/authenticationMethodConfigurations/{id}`.
pub(crate) async fn get_configuration(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(READ)?;
    let (policy, version) = current(state.store.as_ref()).await?;
    Ok(with_etag(configuration_body(&policy, &id)?, &version))
}

/// A configuration as `GET` shows it: Graph's JSON, with the claim warnings for FIDO2.
pub(super) fn configuration_body(
    policy: &AuthenticationMethodsPolicy,
    id: &str,
) -> Result<Value, ApiError> {
    let mut body = policy.configuration_json(id)?;
    if id.eq_ignore_ascii_case("fido2") {
        add_claim_warnings(&mut body, policy);
    }
    Ok(body)
}

/// `PATCH …/authenticationMethodsPolicy[?dryRun=true]`.
pub(crate) async fn patch_root(
    caller: GraphCaller,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    patch(&caller, &state, &headers, &params, &body, None).await
}

/// `PATCH …/authenticationMethodConfigurations/{id}[?dryRun=true]`.
pub(crate) async fn patch_configuration(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    patch(&caller, &state, &headers, &params, &body, Some(&id)).await
}

/// A PATCH: checked and applied in memory, then saved with its audit entry (204),
/// or, as a dry run, answered with its result and impact and not saved (200).
async fn patch(
    caller: &GraphCaller,
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    body: &Value,
    id: Option<&str>,
) -> Result<Response, ApiError> {
    let dry_run = dry_run(params)?;
    let store = state.store.as_ref();
    let (before, version) = current(store).await?;
    let expected = fresh_if_match(headers, &version)?;
    let now = state.clock.now();
    let after = patched(store, &before, body, id, now).await?;
    if dry_run {
        let configuration = match id {
            Some(id) => configuration_body(&after, id)?,
            None => root_body(&after),
        };
        let impact = dry_run_impact(state, before.fido2(), after.fido2()).await?;
        let body = json!({"dryRun": true, "configuration": configuration, "impact": impact});
        // The ETag the change was weighed against: send it as If-Match to apply exactly this.
        return Ok(with_etag(body, &version));
    }
    let before = before.to_graph_json();
    let after = after.to_graph_json();
    let target_name = id.unwrap_or("authenticationMethodsPolicy");
    let audit = Audit::new(
        UPDATE_ACTIVITY,
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
    save(store, expected.as_deref(), &version, &after, caller, &audit).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `?dryRun=true|false` (the name in any case); absent is `false`.
fn dry_run(params: &HashMap<String, String>) -> Result<bool, ApiError> {
    let Some((_, value)) = params
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("dryRun"))
    else {
        return Ok(false);
    };
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ApiError::bad_request(
            "Request_BadRequest",
            format!("dryRun is `{value}`, but it must be true or false; send ?dryRun=true to see a change's result and impact without saving it"),
        )),
    }
}

/// `before` with a client's PATCH of the root (`id` is `None`) or of one configuration applied.
async fn patched(
    store: &dyn Store,
    before: &AuthenticationMethodsPolicy,
    body: &Value,
    id: Option<&str>,
    now: Timestamp,
) -> Result<AuthenticationMethodsPolicy, ApiError> {
    let known = existing_groups(store, body).await?;
    let mut policy = before.clone();
    // The context borrows closures that are not Send; it must not live across an await.
    let group_exists = |g: &GroupId| known.iter().any(|k| k == g.as_str());
    let new_id = new_profile_id;
    let ctx = PatchContext::new(&group_exists, &new_id, policy_time(now));
    match id {
        Some(id) => policy.patch_configuration(id, body, &ctx)?,
        None => policy.apply_patch(body, &ctx)?,
    }
    Ok(policy)
}

/// The client's `If-Match`, refused with 412 unless it is `*` or the current version's ETag.
pub(super) fn fresh_if_match(
    headers: &HeaderMap,
    version: &PolicyVersion,
) -> Result<Option<String>, ApiError> {
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
    Ok(expected)
}

/// Saves `document` as the version after `version`, with its audit entry, unless
/// another change was saved since `version` was read (then 412).
pub(super) async fn save(
    store: &dyn Store,
    expected: Option<&str>,
    version: &PolicyVersion,
    document: &Value,
    caller: &GraphCaller,
    audit: &AuditEntry,
) -> Result<PolicyVersion, ApiError> {
    let etag_guard = expected
        .filter(|e| *e != "*")
        .unwrap_or(version.etag.as_str());
    store
        .save_policy(Some(etag_guard), &document.to_string(), &describe(caller), audit)
        .await
        .map_err(|e| match e {
            keybound_store::StoreError::Conflict { .. } => ApiError::PreconditionFailed {
                message: "Another change to the policy was saved at the same moment; read it again and retry.".into(),
            },
            other => other.into(),
        })
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
pub(super) async fn existing_groups(
    store: &dyn Store,
    body: &Value,
) -> Result<Vec<String>, ApiError> {
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

/// Every `id` in any `includeTargets`/`excludeTargets` under `value`.
pub(super) fn collect_target_ids(value: &Value, out: &mut Vec<String>) {
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

/// The root policy as `GET` shows it: Graph's JSON, with the claim warnings on FIDO2.
fn root_body(policy: &AuthenticationMethodsPolicy) -> Value {
    let mut body = policy.to_graph_json();
    annotate(&mut body, policy);
    body
}

/// Adds Keybound's honesty notes to the root document's FIDO2 configuration.
fn annotate(body: &mut Value, policy: &AuthenticationMethodsPolicy) {
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

// --- Dry runs ---------------------------------------------------------------------

/// A passkey holder, as a dry run weighs them.
struct Holder {
    user: User,
    /// Holds the Global Administrator role and may sign in.
    global_administrator: bool,
    groups: Vec<GroupId>,
    passkeys: Vec<Passkey>,
}

/// `impact` of a dry run: the passkeys the FIDO2 change would stop from
/// signing in, and whether it would lock out every Global Administrator.
async fn dry_run_impact(
    state: &AppState,
    before: &Fido2Configuration,
    after: &Fido2Configuration,
) -> Result<Value, ApiError> {
    // A change that leaves FIDO2 as it is stops no passkey; skip reading the directory.
    let holders = if before == after {
        Vec::new()
    } else {
        holders(state.store.as_ref()).await?
    };
    let catalog = state.catalog();
    Ok(impact_json(before, after, &holders, &catalog))
}

/// Every user with a passkey, with their groups and whether they are an enabled Global Administrator.
async fn holders(store: &dyn Store) -> Result<Vec<Holder>, ApiError> {
    let administrators = store
        .users_with_role(DirectoryRole::GlobalAdministrator)
        .await?;
    let mut holders = Vec::new();
    let mut query = ListQuery {
        top: 999,
        ..ListQuery::default()
    };
    loop {
        let page = store.list_users(&query).await?;
        for user in page.items {
            let passkeys = store.list_passkeys(&user.id).await?;
            if passkeys.is_empty() {
                continue;
            }
            let groups = super::methods::policy_groups(store, &user).await?;
            // A disabled administrator cannot sign in to undo a change, so does not count as one.
            let global_administrator = user.account_enabled && administrators.contains(&user.id);
            holders.push(Holder {
                user,
                global_administrator,
                groups,
                passkeys,
            });
        }
        match page.next_skip_token {
            Some(token) => query.skip_token = Some(token),
            None => return Ok(holders),
        }
    }
}

/// What the policy decides with about a stored passkey.
fn facts(passkey: &Passkey) -> CredentialFacts {
    CredentialFacts {
        aaguid: passkey.aaguid,
        backup_eligible: passkey.backup_eligible,
        attestation: match passkey.attestation_level {
            AttestationLevel::Attested => Attestation::Attested { trusted: true },
            AttestationLevel::NotAttested => Attestation::NotAttested,
        },
    }
}

/// The `impact` object of a dry run.
fn impact_json(
    before: &Fido2Configuration,
    after: &Fido2Configuration,
    holders: &[Holder],
    catalog: &Catalog,
) -> Value {
    let passkeys: Vec<(&Holder, &Passkey)> = holders
        .iter()
        .flat_map(|h| h.passkeys.iter().map(move |p| (h, p)))
        .collect();
    let impact = keybound_policy::impact(
        before,
        after,
        passkeys.iter().map(|(holder, passkey)| {
            (
                UserRef::new(holder.user.id.as_str(), holder.global_administrator),
                holder.groups.as_slice(),
                facts(passkey),
            )
        }),
        catalog,
    );
    // `lost` keeps the order given; a user's passkeys with the same facts are
    // decided alike, so walking both lists in step pairs each loss with its passkey.
    let mut lost = impact.lost().iter().peekable();
    let mut listed = Vec::new();
    for (holder, passkey) in &passkeys {
        let Some(next) = lost.peek() else {
            break;
        };
        if next.user().id() != holder.user.id.as_str() || *next.credential() != facts(passkey) {
            continue;
        }
        let denial = next.denial();
        listed.push(json!({
            "userId": holder.user.id.as_str(),
            "userPrincipalName": holder.user.user_principal_name,
            "passkeyId": passkey.id.as_str(),
            "displayName": passkey.display_name,
            "aaGuid": passkey.aaguid.to_string(),
            "provider": denial.provider(),
            "reason": denial.message(),
            "code": denial.code(),
        }));
        lost.next();
    }
    let locked_out = impact.locks_out_all_administrators();
    json!({
        "passkeysThatWouldStopWorking": listed,
        "locksOutAllGlobalAdministrators": locked_out,
        "warning": locked_out.then_some(LOCKOUT_WARNING),
    })
}
