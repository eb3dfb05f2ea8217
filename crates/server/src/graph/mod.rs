//! The Microsoft Graph–compatible admin API, under `/v1.0` and `/beta` (the
//! same routes under both).
//!
//! Every route takes a [`GraphCaller`](crate::auth::GraphCaller) and checks its
//! scopes before reading anything (no token: 401 `InvalidAuthenticationToken`;
//! a token without the scope: 403 `Authorization_RequestDenied`); refusals are
//! Graph's `{"error":{"code","message"}}`, and a refused request writes nothing.
//!
//! | routes | read scope | write scope |
//! |---|---|---|
//! | `users`, `users/{id}` (object id or userPrincipalName) | User.Read.All | User.ReadWrite.All |
//! | `groups`, `groups/{id}`, `groups/{id}/members`, `…/members/$ref`, `…/members/{userId}/$ref`, `users/{id}/memberOf` | Group.Read.All | Group.ReadWrite.All |
//! | `roleManagement/directory/roleAssignments[/{id}]` | User.Read.All | User.ReadWrite.All |
//! | `users/{id}/authentication/{methods, fido2Methods, temporaryAccessPassMethods, passwordMethods, softwareOathMethods}[/{methodId}]` | UserAuthenticationMethod.Read.All | UserAuthenticationMethod.ReadWrite.All |
//! | `reports/authenticationMethods/userRegistrationDetails[/{userId}]` | AuditLog.Read.All | — |
//! | `authenticationMethodsPolicy…`, `policies/authenticationMethodsPolicy…` | Policy.Read.AuthenticationMethod (or Policy.Read.All) | Policy.ReadWrite.AuthenticationMethod |
//! | `auditLogs/directoryAudits` | AuditLog.Read.All | — |
//!
//! Keybound extension: directory roles are assigned with Graph's
//! `unifiedRoleAssignment` shape, `POST roleManagement/directory/roleAssignments`
//! `{"principalId": "<user id>", "roleDefinitionId": "<role template id>"}`,
//! using Graph's well-known template ids (Global Administrator
//! `62e90394-69f5-4237-9190-012177145e10`, Authentication Policy Administrator
//! `0526716b-113d-4c15-b2c8-68e3c22b9f80`, Authentication Administrator
//! `c4e39bd9-1100-46d3-8c65-fb160da0071f`); an assignment's id is
//! `{roleDefinitionId}_{principalId}`. Removing, deleting or disabling the last
//! enabled Global Administrator is refused (409 `lastGlobalAdministrator`).
//!
//! Keybound extension: attestation trust under `keybound/attestation/…`
//! (FIDO MDS3 BLOBs and organisation CAs; see [`attestation`]), read with
//! Policy.Read.All, changed with Policy.ReadWrite.AuthenticationMethod.
//!
//! Keybound extensions to the policy (scopes as the policy's row above;
//! `docs/graph-api.md` has the shapes): `PATCH …?dryRun=true` answers 200 with
//! the resulting policy or configuration and the passkeys the change would
//! stop, saving nothing; `…/authenticationMethodConfigurations/{id}/versions`
//! lists the configuration as it was in each saved version, newest first,
//! `…/versions/{n}` shows one, and `POST …/versions/{n}/restore` saves a new
//! version with that configuration as it was in version `n` (honouring
//! `If-Match`).

mod attestation;
mod audit;
mod filter;
mod groups;
mod methods;
mod odata;
pub(crate) mod policy;
mod policy_versions;
mod reports;
mod roles;
mod users;

use axum::extract::NestedPath;
use axum::http::Uri;
use axum::routing::{get, post};
use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

/// The Graph routes, mounted at both `/v1.0` and `/beta`.
pub fn router() -> Router<AppState> {
    let routes = || {
        Router::new()
            .route(
                "/authenticationMethodsPolicy",
                get(policy::get_root).patch(policy::patch_root),
            )
            .route(
                "/policies/authenticationMethodsPolicy",
                get(policy::get_root).patch(policy::patch_root),
            )
            .route(
                "/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
                get(policy::get_configuration).patch(policy::patch_configuration),
            )
            .route(
                "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}",
                get(policy::get_configuration).patch(policy::patch_configuration),
            )
            // Policy versions (Keybound extension), under both prefixes.
            .route(
                "/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}/versions",
                get(policy_versions::list),
            )
            .route(
                "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}/versions",
                get(policy_versions::list),
            )
            .route(
                "/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}/versions/{version}",
                get(policy_versions::get),
            )
            .route(
                "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}/versions/{version}",
                get(policy_versions::get),
            )
            .route(
                "/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}/versions/{version}/restore",
                post(policy_versions::restore),
            )
            .route(
                "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{id}/versions/{version}/restore",
                post(policy_versions::restore),
            )
            .route("/auditLogs/directoryAudits", get(audit::list))
            // Users.
            .route("/users", get(users::list).post(users::create))
            .route(
                "/users/{id}",
                get(users::get).patch(users::update).delete(users::delete),
            )
            .route("/users/{id}/memberOf", get(users::member_of))
            // Groups and membership.
            .route("/groups", get(groups::list).post(groups::create))
            .route(
                "/groups/{id}",
                get(groups::get)
                    .patch(groups::update)
                    .delete(groups::delete),
            )
            .route("/groups/{id}/members", get(groups::members))
            .route(
                "/groups/{id}/members/$ref",
                axum::routing::post(groups::add_member),
            )
            .route(
                "/groups/{id}/members/{member}/$ref",
                axum::routing::delete(groups::remove_member),
            )
            // Directory roles (Keybound extension in Graph's shape).
            .route(
                "/roleManagement/directory/roleAssignments",
                get(roles::list).post(roles::create),
            )
            .route(
                "/roleManagement/directory/roleAssignments/{id}",
                get(roles::get).delete(roles::delete),
            )
            // Authentication methods.
            .route("/users/{id}/authentication/methods", get(methods::list_all))
            .route(
                "/users/{id}/authentication/fido2Methods",
                get(methods::list_fido2),
            )
            .route(
                "/users/{id}/authentication/fido2Methods/{method}",
                get(methods::get_fido2).delete(methods::delete_fido2),
            )
            .route(
                "/users/{id}/authentication/temporaryAccessPassMethods",
                get(methods::list_tap).post(methods::create_tap),
            )
            .route(
                "/users/{id}/authentication/temporaryAccessPassMethods/{method}",
                get(methods::get_tap).delete(methods::delete_tap),
            )
            .route(
                "/users/{id}/authentication/passwordMethods",
                get(methods::list_passwords),
            )
            .route(
                "/users/{id}/authentication/passwordMethods/{method}",
                get(methods::get_password),
            )
            .route(
                "/users/{id}/authentication/softwareOathMethods",
                get(methods::list_oath),
            )
            .route(
                "/users/{id}/authentication/softwareOathMethods/{method}",
                get(methods::get_oath).delete(methods::delete_oath),
            )
            // Registration report.
            .route(
                "/reports/authenticationMethods/userRegistrationDetails",
                get(reports::list),
            )
            .route(
                "/reports/authenticationMethods/userRegistrationDetails/{id}",
                get(reports::get),
            )
            // Attestation trust (Keybound extension).
            .merge(attestation::routes())
            .fallback(unknown_path)
    };
    Router::new()
        .nest("/v1.0", routes())
        .nest("/beta", routes())
}

/// Graph's 404 for a path no Graph route serves.
async fn unknown_path(
    nested: Result<NestedPath, axum::extract::rejection::NestedPathRejection>,
    uri: Uri,
) -> ApiError {
    let prefix = nested
        .as_ref()
        .map_or("", |n| n.as_str().trim_end_matches('/'));
    ApiError::NotFound {
        code: "Request_ResourceNotFound",
        message: format!(
            "Resource not found for the segment: Keybound serves no Graph resource at {prefix}{}. It serves users, groups, roleManagement/directory/roleAssignments, users/{{id}}/authentication/…, reports/authenticationMethods/userRegistrationDetails, authenticationMethodsPolicy and auditLogs/directoryAudits.",
            uri.path()
        ),
    }
}
