//! `/users`: create, read, list, update and delete directory users, and
//! `/users/{id}/memberOf`. `{id}` is the object id or the userPrincipalName.
//!
//! Passwordless users are the normal case: `POST /users` needs only a
//! userPrincipalName and a display name; a `passwordProfile.password`, when
//! given, is stored as an argon2id hash.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_store::{
    ListQuery, NameField, PasswordMethod, Store, StoreError, Timestamp, User, UserChanges, UserId,
};
use keybound_webauthn::UserHandle;
use serde_json::{json, Map, Value};

use super::odata::{self, bad_request, GraphBase, Options};
use super::{groups, roles};
use crate::audit::{Audit, Initiator, Target};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::secrets;
use crate::state::AppState;

const READ: &[Scope] = &[Scope::UserReadAll];
const WRITE: &[Scope] = &[Scope::UserReadWriteAll];

/// The properties a user has here, for `$select`.
pub(crate) const PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "accountEnabled",
    "createdDateTime",
    "userType",
];

/// What `$filter` on users supports.
const FILTER_FIELDS: &[(&str, NameField)] = &[
    ("userPrincipalName", NameField::UserPrincipalName),
    ("displayName", NameField::DisplayName),
];

/// A user in Graph's shape.
pub(crate) fn to_graph(user: &User) -> Value {
    json!({
        "id": user.id.as_str(),
        "userPrincipalName": user.user_principal_name,
        "displayName": user.display_name,
        "accountEnabled": user.account_enabled,
        "createdDateTime": user.created_at.to_rfc3339(),
        "userType": "Member",
    })
}

/// A user in a collection of directory objects (`members`), with its type.
pub(crate) fn to_directory_object(user: &User) -> Value {
    let mut value = json!({"@odata.type": "#microsoft.graph.user"});
    if let (Some(out), Value::Object(fields)) = (value.as_object_mut(), to_graph(user)) {
        out.extend(fields);
    }
    value
}

/// Graph's 409 for a taken userPrincipalName.
fn upn_taken() -> ApiError {
    ApiError::Conflict {
        code: "Request_MultipleObjectsWithSameKeyValue",
        message:
            "Another object with the same value for property userPrincipalName already exists."
                .into(),
    }
}

/// `GET /users`: `$top`, `$filter` (userPrincipalName/displayName, `eq` or `startswith`), `$skiptoken`, `$select`.
pub(crate) async fn list(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::LIST)?;
    let filter = options
        .filter
        .as_deref()
        .map(|text| odata::name_filter(text, FILTER_FIELDS))
        .transpose()?;
    let page = state
        .store
        .list_users(&ListQuery {
            filter,
            top: options.top,
            skip_token: options.skip_token.clone(),
        })
        .await?;
    let items = page
        .items
        .iter()
        .map(|u| options.select(to_graph(u), "user", PROPERTIES))
        .collect::<Result<Vec<_>, _>>()?;
    let next = page
        .next_skip_token
        .map(|t| options.next_link(&base, "/users", &t));
    Ok(Json(odata::collection(base.context("users"), items, next)))
}

/// `GET /users/{id}`.
pub(crate) async fn get(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let user = odata::find_user(state.store.as_ref(), &id).await?;
    let body = options.select(to_graph(&user), "user", PROPERTIES)?;
    Ok(Json(odata::entity(base.context("users/$entity"), body)))
}

/// `POST /users` → 201 with the user.
pub(crate) async fn create(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(WRITE)?;
    let body = odata::body_object(&body)?;
    odata::refuse_unknown(
        &body,
        &[
            "userPrincipalName",
            "displayName",
            "accountEnabled",
            "passwordProfile",
            "mailNickname",
        ],
        "user",
    )?;
    let upn = odata::opt_string(&body, "userPrincipalName")?.ok_or_else(|| {
        bad_request("Property 'userPrincipalName' is required to create a user: send {\"userPrincipalName\": \"alice@example.org\", \"displayName\": \"Alice\"}")
    })?;
    check_upn(upn)?;
    let display_name = odata::opt_string(&body, "displayName")?.ok_or_else(|| {
        bad_request("Property 'displayName' is required to create a user: the name people see, such as \"Alice Example\"")
    })?;
    let display_name = check_display_name(display_name)?;
    let account_enabled = odata::opt_bool(&body, "accountEnabled")?.unwrap_or(true);
    // Graph requires mailNickname; Keybound has no mail, so it only checks the type.
    odata::opt_string(&body, "mailNickname")?;
    let password = password(&body)?;
    let store = state.store.as_ref();
    if store.get_user_by_upn(upn).await?.is_some() {
        return Err(upn_taken());
    }
    let now = state.clock.now();
    let user = User {
        id: UserId::random(),
        user_principal_name: upn.to_owned(),
        display_name,
        account_enabled,
        user_handle: UserHandle::from_bytes(secrets::random_bytes(32)?)
            .map_err(ApiError::internal)?,
        created_at: now,
    };
    let audit = Audit::new("Add user", "UserManagement", "Core Directory", "Add")
        .by(caller.initiator())
        .target(
            Target::user(&user)
                .modified("userPrincipalName", "[]", odata::graph_value(upn))
                .modified(
                    "displayName",
                    "[]",
                    odata::graph_value(user.display_name.as_str()),
                )
                .modified("accountEnabled", "[]", odata::graph_value(account_enabled)),
        )
        .at(now)?;
    store
        .create_user(&user, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => upn_taken(),
            other => other.into(),
        })?;
    if let Some(password) = password {
        set_password(store, &user, &password, caller.initiator(), "Add", now).await?;
    }
    let location = base.url(&format!("/users/{}", user.id));
    let mut response = (
        StatusCode::CREATED,
        Json(odata::entity(
            base.context("users/$entity"),
            to_graph(&user),
        )),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `PATCH /users/{id}` → 204: userPrincipalName, displayName, accountEnabled, passwordProfile.
pub(crate) async fn update(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let body = odata::body_object(&body)?;
    odata::refuse_unknown(
        &body,
        &[
            "userPrincipalName",
            "displayName",
            "accountEnabled",
            "passwordProfile",
        ],
        "user",
    )?;
    let upn = odata::opt_string(&body, "userPrincipalName")?;
    if body.get("userPrincipalName").is_some_and(Value::is_null) {
        return Err(bad_request(
            "Property 'userPrincipalName' cannot be removed; send a new sign-in name such as alice@example.org",
        ));
    }
    if let Some(upn) = upn {
        check_upn(upn)?;
    }
    if body.get("displayName").is_some_and(Value::is_null) {
        return Err(bad_request(
            "Property 'displayName' cannot be removed; send a new name",
        ));
    }
    let display_name = odata::opt_string(&body, "displayName")?
        .map(check_display_name)
        .transpose()?;
    let account_enabled = odata::opt_bool(&body, "accountEnabled")?;
    let password = password(&body)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;

    let mut changes = UserChanges::default();
    let mut target = Target::user(&user);
    if let Some(upn) = upn.filter(|u| *u != user.user_principal_name) {
        if store
            .get_user_by_upn(upn)
            .await?
            .is_some_and(|other| other.id != user.id)
        {
            return Err(upn_taken());
        }
        target = target.modified(
            "userPrincipalName",
            odata::graph_value(user.user_principal_name.as_str()),
            odata::graph_value(upn),
        );
        changes.user_principal_name = Some(upn.to_owned());
    }
    if let Some(name) = display_name.filter(|n| *n != user.display_name) {
        target = target.modified(
            "displayName",
            odata::graph_value(user.display_name.as_str()),
            odata::graph_value(name.as_str()),
        );
        changes.display_name = Some(name);
    }
    if let Some(enabled) = account_enabled.filter(|e| *e != user.account_enabled) {
        if !enabled {
            roles::keep_a_global_administrator(store, &user, "disable their account").await?;
        }
        target = target.modified(
            "accountEnabled",
            odata::graph_value(user.account_enabled),
            odata::graph_value(enabled),
        );
        changes.account_enabled = Some(enabled);
    }
    let now = state.clock.now();
    let mut updated = user.clone();
    if changes != UserChanges::default() {
        let audit = Audit::new("Update user", "UserManagement", "Core Directory", "Update")
            .by(caller.initiator())
            .target(target)
            .at(now)?;
        updated = store
            .update_user(&user.id, &changes, &audit)
            .await
            .map_err(|e| match e {
                StoreError::Conflict { .. } => upn_taken(),
                other => other.into(),
            })?;
    }
    if let Some(password) = password {
        set_password(
            store,
            &updated,
            &password,
            caller.initiator(),
            "Update",
            now,
        )
        .await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /users/{id}` → 204, with the user's methods, memberships and roles.
pub(crate) async fn delete(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    roles::keep_a_global_administrator(store, &user, "delete them").await?;
    let audit = Audit::new("Delete user", "UserManagement", "Core Directory", "Delete")
        .by(caller.initiator())
        .target(Target::user(&user))
        .at(state.clock.now())?;
    store.delete_user(&user.id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /users/{id}/memberOf`: the user's groups and directory roles, ordered by id.
pub(crate) async fn member_of(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(groups::READ)?;
    let options = Options::parse(&params, odata::PLAIN_LIST)?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, &id).await?;
    let mut objects: Vec<(String, Value)> = store
        .groups_of_user(&user.id)
        .await?
        .iter()
        .map(|g| (g.id.as_str().to_owned(), groups::to_directory_object(g)))
        .collect();
    objects.extend(store.roles_of_user(&user.id).await?.into_iter().map(|r| {
        (
            roles::info(r).template_id.to_owned(),
            roles::directory_role_json(r),
        )
    }));
    objects.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = odata::page_by_id(objects, &options, |o| o.0.as_str())?;
    let mut known: Vec<&str> = groups::PROPERTIES.to_vec();
    known.push("roleTemplateId");
    let items = page
        .into_iter()
        .map(|(_, v)| options.select(v, "directoryObject", &known))
        .collect::<Result<Vec<_>, _>>()?;
    let next = next.map(|t| options.next_link(&base, &format!("/users/{id}/memberOf"), &t));
    Ok(Json(odata::collection(
        base.context("directoryObjects"),
        items,
        next,
    )))
}

/// Stores a password's hash, audited.
async fn set_password(
    store: &dyn Store,
    user: &User,
    password: &str,
    initiator: Initiator,
    operation: &str,
    now: Timestamp,
) -> Result<(), ApiError> {
    let record = PasswordMethod {
        user_id: user.id.clone(),
        phc_hash: secrets::hash_secret(password)?,
        created_at: now,
    };
    let (activity, category, service) = if operation == "Add" {
        (
            "Admin registered security info",
            "UserManagement",
            "Authentication Methods",
        )
    } else {
        ("Reset user password", "UserManagement", "Core Directory")
    };
    let audit = Audit::new(activity, category, service, operation)
        .by(initiator)
        .target(Target::user(user))
        .detail("AuthenticationMethod", "Password")
        .at(now)?;
    store.set_password(&record, &audit).await?;
    Ok(())
}

/// `passwordProfile.password`, checked; other `passwordProfile` properties are accepted and ignored.
fn password(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let profile = match body.get("passwordProfile") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(profile)) => profile,
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid value specified for property 'passwordProfile': expected an object like {{\"password\": \"…\"}}, found {other}"
            )))
        }
    };
    for key in profile.keys() {
        match key.as_str() {
            "password" => {}
            "forceChangePasswordNextSignIn" | "forceChangePasswordNextSignInWithMfa" => {
                odata::opt_bool(profile, key)?;
            }
            other => {
                return Err(bad_request(format!(
                    "Property 'passwordProfile.{other}' does not exist as a declared property of microsoft.graph.passwordProfile that Keybound accepts; accepted: password, forceChangePasswordNextSignIn, forceChangePasswordNextSignInWithMfa"
                )))
            }
        }
    }
    let Some(password) = odata::opt_string(profile, "password")? else {
        return Ok(None);
    };
    check_password(password)?;
    Ok(Some(password.to_owned()))
}

/// Entra's password complexity: 8 to 256 characters, three of lower case, upper case, digits and symbols.
fn check_password(password: &str) -> Result<(), ApiError> {
    let length = password.chars().count();
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ]
    .iter()
    .filter(|held| **held)
    .count();
    if !(8..=256).contains(&length) || classes < 3 {
        return Err(bad_request(
            "The specified password does not comply with password complexity requirements (property 'passwordProfile.password'): use 8 to 256 characters with three of lower-case letters, upper-case letters, digits and symbols — or leave the password out: passwordless users sign in with passkeys.",
        ));
    }
    Ok(())
}

/// A display name: not blank, at most 256 characters; kept as given, without surrounding spaces.
pub(crate) fn check_display_name(name: &str) -> Result<String, ApiError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 256 || trimmed.chars().any(char::is_control)
    {
        return Err(bad_request(format!(
            "Invalid value specified for property 'displayName': `{name}`; use 1 to 256 printable characters"
        )));
    }
    Ok(trimmed.to_owned())
}

/// A sign-in name: `name@domain`, as Entra accepts it.
pub(crate) fn check_upn(upn: &str) -> Result<(), ApiError> {
    let malformed = || {
        bad_request(format!(
            "Invalid value specified for property 'userPrincipalName': `{upn}` is not a sign-in name. Write it as name@domain, such as alice@example.org: up to 64 letters, digits or . _ - ' + before the @ (not starting or ending with a dot), a domain name after it, 113 characters at most."
        ))
    };
    if upn.len() > 113 {
        return Err(malformed());
    }
    let Some((local, domain)) = upn.split_once('@') else {
        return Err(malformed());
    };
    let local_ok = (1..=64).contains(&local.len())
        && local.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'.' | b'_'
                        | b'-'
                        | b'\''
                        | b'+'
                        | b'!'
                        | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'*'
                        | b'/'
                        | b'='
                        | b'?'
                        | b'^'
                        | b'`'
                        | b'{'
                        | b'|'
                        | b'}'
                        | b'~'
                )
        })
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let domain_ok = !domain.is_empty()
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    if !local_ok || !domain_ok {
        return Err(malformed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_names() {
        for good in [
            "alice@example.org",
            "admin@localhost",
            "o'brien+test@sub.example-1.org",
        ] {
            assert!(check_upn(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "alice",
            "@example.org",
            "alice@",
            "a b@example.org",
            "alice@@example.org",
            ".alice@example.org",
            "al..ice@example.org",
            "alice@-example.org",
            "alice@example..org",
            "alice@exa_mple.org",
        ] {
            assert!(check_upn(bad).is_err(), "{bad}");
        }
        assert!(check_upn(&format!("{}@example.org", "a".repeat(65))).is_err());
    }

    #[test]
    fn passwords_follow_entra_complexity() {
        assert!(check_password("Passw0rd").is_ok());
        assert!(check_password("pass word 1").is_ok());
        assert!(check_password("password").is_err());
        assert!(check_password("Pa1!").is_err());
    }
}
