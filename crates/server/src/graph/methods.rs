//! `/users/{id}/authentication/…`: the authentication methods a user holds, in
//! Graph's shapes — passkeys (`fido2Methods`), Temporary Access Passes,
//! passwords and software OATH tokens, and all of them under `methods`.
//!
//! A Temporary Access Pass's code appears once, in the response that creates
//! it; the store keeps only its hash, so every later read shows `null`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_policy::AuthenticationMethodsPolicy;
use keybound_store::{
    MethodId, Passkey, PasskeyType, SoftwareOathMethod, Store, TemporaryAccessPass, Timestamp, User,
};
use serde_json::Value;

use super::odata::{self, bad_request, GraphBase, Options};
use super::policy;
use crate::audit::{Audit, Target};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::method_shapes;
use crate::state::AppState;
use crate::tap::{self, TapRequest};

const READ: &[Scope] = &[Scope::UserAuthenticationMethodReadAll];
const WRITE: &[Scope] = &[Scope::UserAuthenticationMethodReadWriteAll];

const FIDO2_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "createdDateTime",
    "aaGuid",
    "model",
    "attestationCertificates",
    "attestationLevel",
    "passkeyType",
];
const TAP_PROPERTIES: &[&str] = &[
    "id",
    "temporaryAccessPass",
    "createdDateTime",
    "startDateTime",
    "lifetimeInMinutes",
    "isUsableOnce",
    "isUsable",
    "methodUsabilityReason",
];
const PASSWORD_PROPERTIES: &[&str] = &["id", "password", "createdDateTime"];
const OATH_PROPERTIES: &[&str] = &["id", "secretKey", "createdDateTime"];

// --- Shapes ---------------------------------------------------------------------

/// The user's groups, as the policy names them.
pub(crate) async fn policy_groups(
    store: &dyn Store,
    user: &User,
) -> Result<Vec<keybound_policy::GroupId>, ApiError> {
    Ok(store
        .groups_of_user(&user.id)
        .await?
        .iter()
        .filter_map(|g| g.id.as_str().parse().ok())
        .collect())
}

/// Whether the Temporary Access Pass method applies to the user now.
async fn tap_allowed(
    store: &dyn Store,
    policy: &AuthenticationMethodsPolicy,
    user: &User,
) -> Result<bool, ApiError> {
    let groups = policy_groups(store, user).await?;
    Ok(policy.temporary_access_pass().is_usable_by(&groups))
}

fn method_not_found(kind: &str, id: &str, user: &User) -> ApiError {
    ApiError::not_found(format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not present: {} has no {kind} with this id.",
        user.user_principal_name
    ))
}

fn json_list(base: &GraphBase, user: &User, what: &str, items: Vec<Value>) -> Json<Value> {
    Json(odata::collection(
        base.context(&format!("users('{}')/authentication/{what}", user.id)),
        items,
        None,
    ))
}

fn json_entity(base: &GraphBase, user: &User, what: &str, item: Value) -> Json<Value> {
    Json(odata::entity(
        base.context(&format!(
            "users('{}')/authentication/{what}/$entity",
            user.id
        )),
        item,
    ))
}

fn select_all(
    options: &Options,
    items: Vec<Value>,
    type_name: &str,
    known: &[&str],
) -> Result<Vec<Value>, ApiError> {
    items
        .into_iter()
        .map(|v| options.select(v, type_name, known))
        .collect()
}

// --- All methods ----------------------------------------------------------------

/// `GET /users/{id}/authentication/methods`: every method, each with its `@odata.type`.
pub(crate) async fn list_all(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    Options::parse(&params, odata::NONE)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let mut items = Vec::new();
    if let Some(password) = store.get_password(&user.id).await? {
        items.push(method_shapes::password_method(&password));
    }
    for passkey in store.list_passkeys(&user.id).await? {
        items.push(method_shapes::fido2_method(&passkey, &state.catalog()));
    }
    for oath in store.list_software_oath(&user.id).await? {
        items.push(method_shapes::oath_method(&oath));
    }
    if let Some(tap) = store.get_tap(&user.id).await? {
        let (policy, _) = policy::current(store).await?;
        let allowed = tap_allowed(store, &policy, &user).await?;
        items.push(method_shapes::tap_method(
            &tap,
            None,
            allowed,
            state.clock.now(),
        ));
    }
    Ok(json_list(&base, &user, "methods", items))
}

// --- Passkeys -------------------------------------------------------------------

/// `GET /users/{id}/authentication/fido2Methods`.
pub(crate) async fn list_fido2(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let items = store
        .list_passkeys(&user.id)
        .await?
        .iter()
        .map(|p| method_shapes::fido2_method(p, &state.catalog()))
        .collect();
    let items = select_all(
        &options,
        items,
        "fido2AuthenticationMethod",
        FIDO2_PROPERTIES,
    )?;
    Ok(json_list(&base, &user, "fido2Methods", items))
}

async fn find_passkey(store: &dyn Store, user: &User, id: &str) -> Result<Passkey, ApiError> {
    let missing = || method_not_found("passkey (fido2AuthenticationMethod)", id, user);
    let method = MethodId::parse(id).map_err(|_| missing())?;
    store
        .get_passkey(&user.id, &method)
        .await?
        .ok_or_else(missing)
}

/// `GET /users/{id}/authentication/fido2Methods/{methodId}`.
pub(crate) async fn get_fido2(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path((id, method)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let passkey = find_passkey(store, &user, &method).await?;
    let item = options.select(
        method_shapes::fido2_method(&passkey, &state.catalog()),
        "fido2AuthenticationMethod",
        FIDO2_PROPERTIES,
    )?;
    Ok(json_entity(&base, &user, "fido2Methods", item))
}

/// `DELETE /users/{id}/authentication/fido2Methods/{methodId}` → 204.
pub(crate) async fn delete_fido2(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path((id, method)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let passkey = find_passkey(store, &user, &method).await?;
    let activity = match passkey.passkey_type {
        PasskeyType::DeviceBound => "Delete Passkey (device-bound)",
        PasskeyType::Synced => "Delete Passkey (synced)",
    };
    let audit = Audit::new(
        activity,
        "UserManagement",
        "Device Registration Service",
        "Delete",
    )
    .by(caller.initiator())
    .target(Target::user(&user))
    .detail("AAGuid", passkey.aaguid.to_string())
    .detail("CredentialId", passkey.credential_id.to_base64url())
    .detail("DisplayName", passkey.display_name.as_str())
    .detail("MethodId", passkey.id.as_str())
    .at(state.clock.now())?;
    store.delete_passkey(&user.id, &passkey.id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- Temporary Access Passes ------------------------------------------------------

/// `POST /users/{id}/authentication/temporaryAccessPassMethods` → 201 with the code, shown this once.
pub(crate) async fn create_tap(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    let body = odata::body_object(&body)?;
    odata::refuse_unknown(
        &body,
        &["lifetimeInMinutes", "isUsableOnce", "startDateTime"],
        "temporaryAccessPassAuthenticationMethod",
    )?;
    let lifetime_minutes = match body.get("lifetimeInMinutes") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_i64().ok_or_else(|| {
            bad_request(format!(
                "Invalid value specified for property 'lifetimeInMinutes': {value}; send a whole number of minutes, 10 to 43200 within the policy's range"
            ))
        })?),
    };
    let usable_once = odata::opt_bool(&body, "isUsableOnce")?;
    let start_at = odata::opt_string(&body, "startDateTime")?
        .map(|text| {
            Timestamp::parse_rfc3339(text).map_err(|_| {
                bad_request(format!(
                    "Invalid value specified for property 'startDateTime': `{text}`; write an RFC 3339 date-time such as 2026-04-20T10:15:30Z"
                ))
            })
        })
        .transpose()?;
    let now = state.clock.now();
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let (policy, _) = policy::current(store).await?;
    let request = TapRequest {
        lifetime_minutes,
        usable_once,
        start_at,
    };
    if let Some(start) = start_at {
        let minutes = lifetime_minutes.unwrap_or_else(|| {
            i64::from(policy.temporary_access_pass().default_lifetime_in_minutes())
        });
        // A lifetime out of range is refused by `tap::issue`, naming the range.
        if minutes > 0 && start.plus_minutes(minutes) <= now {
            return Err(bad_request(format!(
                "Invalid value specified for property 'startDateTime': a pass starting at {start} for {minutes} minutes would have expired already; start it now or later"
            )));
        }
    }
    let allowed = tap_allowed(store, &policy, &user).await?;
    let issued = tap::issue(store, &policy, &user, request, caller.initiator(), now).await?;
    let item = method_shapes::tap_method(&issued.record, Some(&issued.code), allowed, now);
    let location = base.url(&format!(
        "/users/{}/authentication/temporaryAccessPassMethods/{}",
        user.id, issued.record.id
    ));
    let mut response = (
        StatusCode::CREATED,
        json_entity(&base, &user, "temporaryAccessPassMethods", item),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /users/{id}/authentication/temporaryAccessPassMethods`: the pass, if any, without its code.
pub(crate) async fn list_tap(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let mut items = Vec::new();
    if let Some(tap) = store.get_tap(&user.id).await? {
        let (policy, _) = policy::current(store).await?;
        let allowed = tap_allowed(store, &policy, &user).await?;
        items.push(method_shapes::tap_method(
            &tap,
            None,
            allowed,
            state.clock.now(),
        ));
    }
    let items = select_all(
        &options,
        items,
        "temporaryAccessPassAuthenticationMethod",
        TAP_PROPERTIES,
    )?;
    Ok(json_list(&base, &user, "temporaryAccessPassMethods", items))
}

async fn find_tap(
    store: &dyn Store,
    user: &User,
    id: &str,
) -> Result<TemporaryAccessPass, ApiError> {
    let missing = || method_not_found("Temporary Access Pass", id, user);
    let method = MethodId::parse(id).map_err(|_| missing())?;
    store
        .get_tap(&user.id)
        .await?
        .filter(|tap| tap.id == method)
        .ok_or_else(missing)
}

/// `GET /users/{id}/authentication/temporaryAccessPassMethods/{methodId}` (the code is `null`).
pub(crate) async fn get_tap(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path((id, method)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let tap = find_tap(store, &user, &method).await?;
    let (policy, _) = policy::current(store).await?;
    let allowed = tap_allowed(store, &policy, &user).await?;
    let item = options.select(
        method_shapes::tap_method(&tap, None, allowed, state.clock.now()),
        "temporaryAccessPassAuthenticationMethod",
        TAP_PROPERTIES,
    )?;
    Ok(json_entity(
        &base,
        &user,
        "temporaryAccessPassMethods",
        item,
    ))
}

/// `DELETE /users/{id}/authentication/temporaryAccessPassMethods/{methodId}` → 204.
pub(crate) async fn delete_tap(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path((id, method)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let tap = find_tap(store, &user, &method).await?;
    let audit =
        admin_deleted(&caller, &user, "Temporary Access Pass", &tap.id).at(state.clock.now())?;
    store.delete_tap(&user.id, &tap.id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn admin_deleted(caller: &GraphCaller, user: &User, method: &str, id: &MethodId) -> Audit {
    Audit::new(
        "Admin deleted security info",
        "UserManagement",
        "Authentication Methods",
        "Delete",
    )
    .by(caller.initiator())
    .target(Target::user(user))
    .detail("AuthenticationMethod", method)
    .detail("MethodId", id.as_str())
}

// --- Passwords ------------------------------------------------------------------

/// `GET /users/{id}/authentication/passwordMethods`: `{id, password: null, createdDateTime}`.
pub(crate) async fn list_passwords(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let items = store
        .get_password(&user.id)
        .await?
        .iter()
        .map(method_shapes::password_method)
        .collect();
    let items = select_all(
        &options,
        items,
        "passwordAuthenticationMethod",
        PASSWORD_PROPERTIES,
    )?;
    Ok(json_list(&base, &user, "passwordMethods", items))
}

/// `GET /users/{id}/authentication/passwordMethods/{methodId}`.
pub(crate) async fn get_password(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path((id, method)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let password = store
        .get_password(&user.id)
        .await?
        .filter(|_| method.eq_ignore_ascii_case(method_shapes::PASSWORD_METHOD_ID))
        .ok_or_else(|| method_not_found("password", &method, &user))?;
    let item = options.select(
        method_shapes::password_method(&password),
        "passwordAuthenticationMethod",
        PASSWORD_PROPERTIES,
    )?;
    Ok(json_entity(&base, &user, "passwordMethods", item))
}

// --- Software OATH tokens -------------------------------------------------------

/// `GET /users/{id}/authentication/softwareOathMethods`.
pub(crate) async fn list_oath(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let items = store
        .list_software_oath(&user.id)
        .await?
        .iter()
        .map(method_shapes::oath_method)
        .collect();
    let items = select_all(
        &options,
        items,
        "softwareOathAuthenticationMethod",
        OATH_PROPERTIES,
    )?;
    Ok(json_list(&base, &user, "softwareOathMethods", items))
}

async fn find_oath(
    store: &dyn Store,
    user: &User,
    id: &str,
) -> Result<SoftwareOathMethod, ApiError> {
    let missing = || method_not_found("software OATH token", id, user);
    let method = MethodId::parse(id).map_err(|_| missing())?;
    store
        .list_software_oath(&user.id)
        .await?
        .into_iter()
        .find(|m| m.id == method)
        .ok_or_else(missing)
}

/// `GET /users/{id}/authentication/softwareOathMethods/{methodId}`.
pub(crate) async fn get_oath(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path((id, method)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let oath = find_oath(store, &user, &method).await?;
    let item = options.select(
        method_shapes::oath_method(&oath),
        "softwareOathAuthenticationMethod",
        OATH_PROPERTIES,
    )?;
    Ok(json_entity(&base, &user, "softwareOathMethods", item))
}

/// `DELETE /users/{id}/authentication/softwareOathMethods/{methodId}` → 204.
pub(crate) async fn delete_oath(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path((id, method)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let oath = find_oath(store, &user, &method).await?;
    let audit =
        admin_deleted(&caller, &user, "Software OATH token", &oath.id).at(state.clock.now())?;
    store
        .delete_software_oath(&user.id, &oath.id, &audit)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
