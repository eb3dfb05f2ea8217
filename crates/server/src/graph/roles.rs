//! Directory role assignments (a Keybound extension in Graph's shape):
//! `/roleManagement/directory/roleAssignments`, with Graph's well-known role
//! template ids as `roleDefinitionId`, and the rule that the directory always
//! keeps one enabled Global Administrator.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_store::{DirectoryRole, Store, User, UserId};
use serde_json::{json, Value};

use super::filter::{self, Filter, Literal, Op};
use super::odata::{self, bad_request, GraphBase, Options};
use crate::audit::{Audit, Target};
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

const READ: &[Scope] = &[Scope::UserReadAll];
const WRITE: &[Scope] = &[Scope::UserReadWriteAll];

/// A role as Graph names it.
pub(crate) struct RoleInfo {
    pub(crate) role: DirectoryRole,
    /// The role template id, the same in every Entra tenant.
    pub(crate) template_id: &'static str,
    pub(crate) display_name: &'static str,
    pub(crate) description: &'static str,
}

/// The roles Keybound knows, with Graph's template ids.
pub(crate) static ROLES: [RoleInfo; 3] = [
    RoleInfo {
        role: DirectoryRole::GlobalAdministrator,
        template_id: "62e90394-69f5-4237-9190-012177145e10",
        display_name: "Global Administrator",
        description: "Can manage all aspects of the directory, including other administrators and their methods.",
    },
    RoleInfo {
        role: DirectoryRole::AuthenticationPolicyAdministrator,
        template_id: "0526716b-113d-4c15-b2c8-68e3c22b9f80",
        display_name: "Authentication Policy Administrator",
        description: "Can create and manage the authentication methods policy.",
    },
    RoleInfo {
        role: DirectoryRole::AuthenticationAdministrator,
        template_id: "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        display_name: "Authentication Administrator",
        description: "Can manage authentication methods and Temporary Access Passes of users who are not administrators.",
    },
];

/// Graph's names for a role.
pub(crate) fn info(role: DirectoryRole) -> &'static RoleInfo {
    match role {
        DirectoryRole::GlobalAdministrator => &ROLES[0],
        DirectoryRole::AuthenticationPolicyAdministrator => &ROLES[1],
        DirectoryRole::AuthenticationAdministrator => &ROLES[2],
    }
}

/// The role a template id names (any case).
fn by_template(id: &str) -> Option<&'static RoleInfo> {
    ROLES
        .iter()
        .find(|r| r.template_id.eq_ignore_ascii_case(id.trim()))
}

fn unknown_role(id: &str) -> ApiError {
    let known: Vec<String> = ROLES
        .iter()
        .map(|r| format!("{} ({})", r.template_id, r.display_name))
        .collect();
    bad_request(format!(
        "Invalid value specified for property 'roleDefinitionId': `{id}` is not a role Keybound knows; use one of {}",
        known.join(", ")
    ))
}

/// The role as a `directoryRole` object (for `memberOf`).
pub(crate) fn directory_role_json(role: DirectoryRole) -> Value {
    let info = info(role);
    json!({
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": info.template_id,
        "displayName": info.display_name,
        "description": info.description,
        "roleTemplateId": info.template_id,
    })
}

/// An assignment's id: the role template id and the user id.
fn assignment_id(role: DirectoryRole, user: &UserId) -> String {
    format!("{}_{}", info(role).template_id, user)
}

fn assignment_json(role: DirectoryRole, user: &UserId) -> Value {
    json!({
        "id": assignment_id(role, user),
        "principalId": user.as_str(),
        "roleDefinitionId": info(role).template_id,
        "directoryScopeId": "/",
    })
}

const ASSIGNMENT_PROPERTIES: &[&str] =
    &["id", "principalId", "roleDefinitionId", "directoryScopeId"];

/// The role and user an assignment id stands for, or 404.
fn parse_assignment_id(id: &str) -> Result<(DirectoryRole, UserId), ApiError> {
    let missing = || odata::not_found("role assignment", id);
    let (template, user) = id.split_once('_').ok_or_else(missing)?;
    let role = by_template(template).ok_or_else(missing)?.role;
    let user = UserId::parse(user).map_err(|_| missing())?;
    Ok((role, user))
}

/// Refuses a change that would leave the directory without an enabled Global
/// Administrator: removing `user`'s role, deleting them or disabling them.
pub(crate) async fn keep_a_global_administrator(
    store: &dyn Store,
    user: &User,
    change: &str,
) -> Result<(), ApiError> {
    let holders = store
        .users_with_role(DirectoryRole::GlobalAdministrator)
        .await?;
    if !holders.contains(&user.id) {
        return Ok(());
    }
    for other in holders.iter().filter(|id| **id != user.id) {
        if store
            .get_user(other)
            .await?
            .is_some_and(|u| u.account_enabled)
        {
            return Ok(());
        }
    }
    Err(ApiError::Conflict {
        code: "lastGlobalAdministrator",
        message: format!(
            "{} is the directory's last enabled Global Administrator, so Keybound refuses to {change}: nobody could manage the directory afterwards. Assign Global Administrator to another enabled user first (POST /v1.0/roleManagement/directory/roleAssignments).",
            user.user_principal_name
        ),
    })
}

/// `GET /roleManagement/directory/roleAssignments`, optionally `$filter`ed by
/// `principalId eq '…'` and `roleDefinitionId eq '…'`.
pub(crate) async fn list(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::LIST)?;
    let (mut principal, mut wanted_role) = (None, None);
    if let Some(text) = &options.filter {
        let supported = "Supported: principalId eq '…', roleDefinitionId eq '…', joined with and.";
        let parsed = filter::parse(text).map_err(|e| bad_request(format!("{e}. {supported}")))?;
        for clause in parsed.clauses() {
            match clause {
                Filter::Compare {
                    path,
                    op: Op::Eq,
                    value: Literal::String(v),
                } if path.eq_ignore_ascii_case("principalId") => {
                    principal = Some(v.to_ascii_lowercase());
                }
                Filter::Compare {
                    path,
                    op: Op::Eq,
                    value: Literal::String(v),
                } if path.eq_ignore_ascii_case("roleDefinitionId") => {
                    wanted_role = Some(by_template(v).ok_or_else(|| unknown_role(v))?.role);
                }
                other => {
                    return Err(bad_request(format!(
                        "Invalid filter clause: {other:?} is not supported on roleAssignments. {supported}"
                    )))
                }
            }
        }
    }
    let mut assignments = Vec::new();
    for info in &ROLES {
        if wanted_role.is_some_and(|r| r != info.role) {
            continue;
        }
        for user in state.store.users_with_role(info.role).await? {
            if principal.as_deref().is_none_or(|p| p == user.as_str()) {
                assignments.push((assignment_id(info.role, &user), info.role, user));
            }
        }
    }
    assignments.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next) = odata::page_by_id(assignments, &options, |a| a.0.as_str())?;
    let items = page
        .iter()
        .map(|(_, role, user)| {
            options.select(
                assignment_json(*role, user),
                "unifiedRoleAssignment",
                ASSIGNMENT_PROPERTIES,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let next =
        next.map(|t| options.next_link(&base, "/roleManagement/directory/roleAssignments", &t));
    Ok(Json(odata::collection(
        base.context("roleManagement/directory/roleAssignments"),
        items,
        next,
    )))
}

/// `GET /roleManagement/directory/roleAssignments/{id}`.
pub(crate) async fn get(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::ENTITY)?;
    let (role, user) = parse_assignment_id(&id)?;
    if !state.store.roles_of_user(&user).await?.contains(&role) {
        return Err(odata::not_found("role assignment", &id));
    }
    let body = options.select(
        assignment_json(role, &user),
        "unifiedRoleAssignment",
        ASSIGNMENT_PROPERTIES,
    )?;
    Ok(Json(odata::entity(
        base.context("roleManagement/directory/roleAssignments/$entity"),
        body,
    )))
}

/// `POST /roleManagement/directory/roleAssignments` `{"principalId","roleDefinitionId"}` → 201.
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
        &["principalId", "roleDefinitionId", "directoryScopeId"],
        "unifiedRoleAssignment",
    )?;
    let principal = odata::opt_string(&body, "principalId")?.ok_or_else(|| {
        bad_request("principalId is required: the object id of the user to assign the role to")
    })?;
    let role_id = odata::opt_string(&body, "roleDefinitionId")?.ok_or_else(|| {
        bad_request("roleDefinitionId is required: the role's template id, such as 62e90394-69f5-4237-9190-012177145e10 for Global Administrator")
    })?;
    if let Some(scope) = odata::opt_string(&body, "directoryScopeId")? {
        if scope != "/" {
            return Err(bad_request(format!(
                "Invalid value specified for property 'directoryScopeId': `{scope}`; Keybound assigns roles for the whole directory only, \"/\""
            )));
        }
    }
    let info = by_template(role_id).ok_or_else(|| unknown_role(role_id))?;
    let store = state.store.as_ref();
    let user = odata::find_user(store, principal).await?;
    let already = || {
        ApiError::Conflict {
        code: "Request_MultipleObjectsWithSameKeyValue",
        message: format!(
            "A conflicting object with one or more of the specified property values is present in the directory: {} already holds {}.",
            user.user_principal_name, info.display_name
        ),
    }
    };
    if store.roles_of_user(&user.id).await?.contains(&info.role) {
        return Err(already());
    }
    let now = state.clock.now();
    let audit = Audit::new(
        "Add member to role",
        "RoleManagement",
        "Core Directory",
        "Assign",
    )
    .by(caller.initiator())
    .target(Target::user(&user))
    .detail("Role.DisplayName", info.display_name)
    .detail("Role.TemplateId", info.template_id)
    .at(now)?;
    store
        .assign_role(&user.id, info.role, &audit)
        .await
        .map_err(|e| match e {
            keybound_store::StoreError::Conflict { .. } => already(),
            other => other.into(),
        })?;
    let body = odata::entity(
        base.context("roleManagement/directory/roleAssignments/$entity"),
        assignment_json(info.role, &user.id),
    );
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    let location = base.url(&format!(
        "/roleManagement/directory/roleAssignments/{}",
        assignment_id(info.role, &user.id)
    ));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `DELETE /roleManagement/directory/roleAssignments/{id}` → 204; never the last Global Administrator.
pub(crate) async fn delete(
    caller: GraphCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(WRITE)?;
    let store = state.store.as_ref();
    let (role, user_id) = parse_assignment_id(&id)?;
    let user = store
        .get_user(&user_id)
        .await?
        .ok_or_else(|| odata::not_found("role assignment", &id))?;
    if !store.roles_of_user(&user.id).await?.contains(&role) {
        return Err(odata::not_found("role assignment", &id));
    }
    if role == DirectoryRole::GlobalAdministrator {
        keep_a_global_administrator(store, &user, "remove their Global Administrator role").await?;
    }
    let info = info(role);
    let audit = Audit::new(
        "Remove member from role",
        "RoleManagement",
        "Core Directory",
        "Unassign",
    )
    .by(caller.initiator())
    .target(Target::user(&user))
    .detail("Role.DisplayName", info.display_name)
    .detail("Role.TemplateId", info.template_id)
    .at(state.clock.now())?;
    store.remove_role(&user.id, role, &audit).await?;
    Ok(StatusCode::NO_CONTENT)
}
