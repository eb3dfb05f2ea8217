//! `/groups`: security groups (the targets of the authentication-methods
//! policy) and their members, with Graph's `$ref` membership requests.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_store::{Group, GroupChanges, GroupId, ListQuery, NameField, StoreError};
use serde_json::{json, Map, Value};

use super::odata::{self, bad_request, GraphBase, Options};
use super::users;
use crate::audit::{Audit, Target};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

/// Reading groups and memberships.
pub(crate) const READ: &[Scope] = &[Scope::GroupReadAll];
const WRITE: &[Scope] = &[Scope::GroupReadWriteAll];

/// The properties a group has here, for `$select`.
pub(crate) const PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "description",
    "createdDateTime",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
];

const FILTER_FIELDS: &[(&str, NameField)] = &[("displayName", NameField::DisplayName)];

/// A group in Graph's shape: always a security group.
pub(crate) fn to_graph(group: &Group) -> Value {
    json!({
        "id": group.id.as_str(),
        "displayName": group.display_name,
        "description": group.description,
        "createdDateTime": group.created_at.to_rfc3339(),
        "securityEnabled": true,
        "mailEnabled": false,
        "groupTypes": [],
    })
}

/// A group in a collection of directory objects (`memberOf`), with its type.
pub(crate) fn to_directory_object(group: &Group) -> Value {
    let mut value = json!({"@odata.type": "#microsoft.graph.group"});
    if let (Some(out), Value::Object(fields)) = (value.as_object_mut(), to_graph(group)) {
        out.extend(fields);
    }
    value
}

fn target(group: &Group) -> Target {
    Target::group(group.id.as_str(), &group.display_name)
}

/// `GET /groups`: `$top`, `$filter` (displayName `eq` or `startswith`), `$skiptoken`, `$select`.
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
        .list_groups(&ListQuery {
            filter,
            top: options.top,
            skip_token: options.skip_token.clone(),
        })
        .await?;
    let items = page
        .items
        .iter()
        .map(|g| options.select(to_graph(g), "group", PROPERTIES))
        .collect::<Result<Vec<_>, _>>()?;
    let next = page
        .next_skip_token
        .map(|t| options.next_link(&base, "/groups", &t));
    Ok(Json(odata::collection(base.context("groups"), items, next)))
}

/// `GET /groups/{id}`.
pub(crate) async fn get(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let group = odata::find_group(state.store.as_ref(), &id).await?;
    let body = options.select(to_graph(&group), "group", PROPERTIES)?;
    Ok(Json(odata::entity(base.context("groups/$entity"), body)))
}

/// `POST /groups` → 201. Only `displayName` is needed; Graph's `mailEnabled`,
/// `securityEnabled`, `mailNickname` and `groupTypes` are accepted when they
/// describe a security group.
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
            "displayName",
            "description",
            "mailEnabled",
            "securityEnabled",
            "mailNickname",
            "groupTypes",
        ],
        "group",
    )?;
    let display_name = odata::opt_string(&body, "displayName")?
        .ok_or_else(|| {
            bad_request("Property 'displayName' is required to create a group: send {\"displayName\": \"Passkey pilot\"}")
        })
        .and_then(users::check_display_name)?;
    let description = description(&body)?;
    if odata::opt_bool(&body, "mailEnabled")? == Some(true) {
        return Err(bad_request(
            "Invalid value specified for property 'mailEnabled': Keybound groups are security groups without mail; send false or leave it out",
        ));
    }
    if odata::opt_bool(&body, "securityEnabled")? == Some(false) {
        return Err(bad_request(
            "Invalid value specified for property 'securityEnabled': Keybound groups are security groups; send true or leave it out",
        ));
    }
    odata::opt_string(&body, "mailNickname")?;
    match body.get("groupTypes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(types)) if types.is_empty() => {}
        Some(other) => {
            return Err(bad_request(format!(
                "Invalid value specified for property 'groupTypes': {other}; Keybound has security groups only, so send [] or leave it out"
            )))
        }
    }
    let now = state.clock.now();
    let group = Group {
        id: GroupId::random(),
        display_name,
        description: description.flatten(),
        created_at: now,
    };
    let audit = Audit::new("Add group", "GroupManagement", "Core Directory", "Add")
        .by(caller.initiator())
        .target(target(&group).modified(
            "displayName",
            "[]",
            odata::graph_value(group.display_name.as_str()),
        ))
        .at(now)?;
    state.store.create_group(&group, &audit).await?;
    let mut response = (
        StatusCode::CREATED,
        Json(odata::entity(
            base.context("groups/$entity"),
            to_graph(&group),
        )),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&base.url(&format!("/groups/{}", group.id))) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `PATCH /groups/{id}` → 204: displayName, description.
pub(crate) async fn update(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let body = odata::body_object(&body)?;
    odata::refuse_unknown(&body, &["displayName", "description"], "group")?;
    if body.get("displayName").is_some_and(Value::is_null) {
        return Err(bad_request(
            "Property 'displayName' cannot be removed; send a new name",
        ));
    }
    let display_name = odata::opt_string(&body, "displayName")?
        .map(users::check_display_name)
        .transpose()?;
    let description = description(&body)?;
    let store = state.store.as_ref();
    let group = odata::find_group(store, &id).await?;
    let mut changes = GroupChanges::default();
    let mut audit_target = target(&group);
    if let Some(name) = display_name.filter(|n| *n != group.display_name) {
        audit_target = audit_target.modified(
            "displayName",
            odata::graph_value(group.display_name.as_str()),
            odata::graph_value(name.as_str()),
        );
        changes.display_name = Some(name);
    }
    if let Some(text) = description.filter(|d| *d != group.description) {
        audit_target = audit_target.modified(
            "description",
            odata::graph_value(group.description.clone()),
            odata::graph_value(text.clone()),
        );
        changes.description = Some(text);
    }
    if changes == GroupChanges::default() {
        return Ok(StatusCode::NO_CONTENT);
    }
    let audit = Audit::new(
        "Update group",
        "GroupManagement",
        "Core Directory",
        "Update",
    )
    .by(caller.initiator())
    .target(audit_target)
    .at(state.clock.now())?;
    store.update_group(&group.id, &changes, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /groups/{id}` → 204, with its memberships.
pub(crate) async fn delete(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let group = odata::find_group(store, &id).await?;
    let audit = Audit::new(
        "Delete group",
        "GroupManagement",
        "Core Directory",
        "Delete",
    )
    .by(caller.initiator())
    .target(target(&group))
    .at(state.clock.now())?;
    store.delete_group(&group.id, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /groups/{id}/members`: users, ordered by id.
pub(crate) async fn members(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::PLAIN_LIST)?;
    let store = state.store.as_ref();
    let group = odata::find_group(store, &id).await?;
    let members = store.list_members(&group.id).await?;
    let (page, next) = odata::page_by_id(members, &options, |u| u.id.as_str())?;
    let items = page
        .iter()
        .map(|u| options.select(users::to_directory_object(u), "user", users::PROPERTIES))
        .collect::<Result<Vec<_>, _>>()?;
    let next = next.map(|t| options.next_link(&base, &format!("/groups/{}/members", group.id), &t));
    Ok(Json(odata::collection(
        base.context("directoryObjects"),
        items,
        next,
    )))
}

/// `POST /groups/{id}/members/$ref` `{"@odata.id": ".../directoryObjects/{userId}"}` → 204.
pub(crate) async fn add_member(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let body = odata::body_object(&body)?;
    if let Some(key) = body.keys().find(|k| *k != "@odata.id") {
        return Err(bad_request(format!(
            "Property '{key}' is not part of a reference; send only {{\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{{userId}}\"}}"
        )));
    }
    let reference = odata::opt_string(&body, "@odata.id")?.ok_or_else(|| {
        bad_request("Property '@odata.id' is required: send {\"@odata.id\": \"https://graph.microsoft.com/v1.0/directoryObjects/{userId}\"}")
    })?;
    let member = referenced_object(reference)?;
    let store = state.store.as_ref();
    let group = odata::find_group(store, &id).await?;
    let user = odata::find_user(store, member).await?;
    let already = || {
        bad_request(format!(
            "One or more added object references already exist for the following modified properties: 'members' ({} is a member of {} already).",
            user.user_principal_name, group.display_name
        ))
    };
    if store
        .list_members(&group.id)
        .await?
        .iter()
        .any(|m| m.id == user.id)
    {
        return Err(already());
    }
    let audit = Audit::new(
        "Add member to group",
        "GroupManagement",
        "Core Directory",
        "Add",
    )
    .by(caller.initiator())
    .target(Target::user(&user))
    .target(target(&group))
    .detail("Group.ObjectID", group.id.as_str())
    .detail("Group.DisplayName", group.display_name.as_str())
    .at(state.clock.now())?;
    store
        .add_member(&group.id, &user.id, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => already(),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /groups/{id}/members/{userId}/$ref` → 204.
pub(crate) async fn remove_member(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path((id, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let group = odata::find_group(store, &id).await?;
    let user = odata::find_user(store, &member).await?;
    let not_member = || {
        ApiError::not_found(format!(
            "Resource '{member}' does not exist or one of its queried reference-property objects are not present: {} is not a member of {}.",
            user.user_principal_name, group.display_name
        ))
    };
    if !store
        .list_members(&group.id)
        .await?
        .iter()
        .any(|m| m.id == user.id)
    {
        return Err(not_member());
    }
    let audit = Audit::new(
        "Remove member from group",
        "GroupManagement",
        "Core Directory",
        "Delete",
    )
    .by(caller.initiator())
    .target(Target::user(&user))
    .target(target(&group))
    .detail("Group.ObjectID", group.id.as_str())
    .detail("Group.DisplayName", group.display_name.as_str())
    .at(state.clock.now())?;
    store
        .remove_member(&group.id, &user.id, &audit)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => not_member(),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

/// The object id at the end of an `@odata.id` such as
/// `https://graph.microsoft.com/v1.0/directoryObjects/{id}` (or `…/users/{id}`).
fn referenced_object(reference: &str) -> Result<&str, ApiError> {
    let trimmed = reference.trim().trim_end_matches('/');
    let mut segments = trimmed.rsplit('/');
    let id = segments.next().unwrap_or_default();
    let collection = segments.next().unwrap_or_default();
    let collection = collection.split('(').next().unwrap_or_default();
    if id.is_empty()
        || !(collection.eq_ignore_ascii_case("directoryObjects")
            || collection.eq_ignore_ascii_case("users"))
    {
        return Err(bad_request(format!(
            "Invalid value specified for property '@odata.id': `{reference}`; send the user as https://graph.microsoft.com/v1.0/directoryObjects/{{userId}}"
        )));
    }
    Ok(id)
}

/// `description`: absent (`None`), cleared (`Some(None)`) or set.
fn description(body: &Map<String, Value>) -> Result<Option<Option<String>>, ApiError> {
    match body.get("description") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(text)) if text.chars().count() <= 1024 => {
            Ok(Some(Some(text.clone()).filter(|t| !t.is_empty())))
        }
        Some(other) => Err(bad_request(format!(
            "Invalid value specified for property 'description': {other}; send a string of at most 1024 characters, or null"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_directory_object() {
        let id = "73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f0a1b";
        for good in [
            format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}"),
            format!("https://login.example.org/beta/users/{id}"),
            format!("directoryObjects/{id}"),
        ] {
            assert_eq!(referenced_object(&good).unwrap(), id);
        }
        for bad in [
            "",
            id,
            "https://graph.microsoft.com/v1.0/groups/x",
            "directoryObjects/",
        ] {
            assert!(referenced_object(bad).is_err(), "{bad}");
        }
    }
}
