//! `/reports/authenticationMethods/userRegistrationDetails`: who holds which
//! methods, in Graph's `userRegistrationDetails` shape, computed from the
//! store's per-user summary and the policy in force.
//!
//! - `isPasswordlessCapable`: holds a passkey the current policy lets them sign in with.
//! - `isMfaCapable`: that, or a software OATH token the policy allows.
//! - `isMfaRegistered`: holds a passkey or a software OATH token, allowed or not.
//! - `methodsRegistered`: `passKeyDeviceBound`, `passKeyDeviceBoundAuthenticator`
//!   (Microsoft Authenticator and Keybound Authenticator), `passKeySynced`,
//!   `softwareOneTimePasscode`, `temporaryAccessPass`. Graph has no member for
//!   passwords, so they are not listed.
//!
//! `$filter`s on computed properties cannot be pushed into the store, so a
//! page is assembled by reading the store's pages in user-id order and keeping
//! the matches; the `$skiptoken` records the last user returned and the store
//! page it came from, so paging is exact even while users are added.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::Json;
use keybound_metadata::{Catalog, KEYBOUND_AUTHENTICATOR_AAGUID};
use keybound_policy::{
    Attestation, AuthenticationMethodsPolicy, CredentialFacts, GroupId as PolicyGroupId, Target,
};
use keybound_store::{
    AttestationLevel, ListQuery, MethodsSummary, NameField, NameFilter, NameMatch, PasskeyType,
    UserId,
};
use keybound_webauthn::Aaguid;
use serde_json::{json, Value};

use super::filter::{self, Filter, Literal, Op};
use super::odata::{self, bad_request, GraphBase, Options};
use super::policy;
use crate::auth::scope::Scope;
use crate::auth::GraphCaller;
use crate::error::ApiError;
use crate::state::AppState;

const READ: &[Scope] = &[Scope::AuditLogReadAll];

/// Passkey providers Graph reports as `passKeyDeviceBoundAuthenticator`.
const AUTHENTICATOR_AAGUIDS: [Aaguid; 3] = [
    KEYBOUND_AUTHENTICATOR_AAGUID,
    // Microsoft Authenticator for iOS, 90a3ccdf-635c-4729-a248-9b709135078f.
    Aaguid::from_bytes([
        0x90, 0xa3, 0xcc, 0xdf, 0x63, 0x5c, 0x47, 0x29, 0xa2, 0x48, 0x9b, 0x70, 0x91, 0x35, 0x07,
        0x8f,
    ]),
    // Microsoft Authenticator for Android, de1e552d-db1d-4423-a619-566b625cdc84.
    Aaguid::from_bytes([
        0xde, 0x1e, 0x55, 0x2d, 0xdb, 0x1d, 0x44, 0x23, 0xa6, 0x19, 0x56, 0x6b, 0x62, 0x5c, 0xdc,
        0x84,
    ]),
];

/// Graph's `usageAuthMethod` members, the values `methodsRegistered` can hold.
const USAGE_AUTH_METHODS: &[&str] = &[
    "email",
    "mobileSMS",
    "mobileCall",
    "officePhone",
    "securityQuestion",
    "appNotification",
    "appCode",
    "alternateMobileCall",
    "fido",
    "appPassword",
    "unknownFutureValue",
    "externalAuthMethod",
    "hardwareOneTimePasscode",
    "windowsHelloForBusiness",
    "microsoftAuthenticatorPasswordless",
    "temporaryAccessPass",
    "macOsSecureEnclaveKey",
    "passKeyDeviceBound",
    "passKeyDeviceBoundAuthenticator",
    "passKeyDeviceBoundWindowsHello",
    "softwareOneTimePasscode",
    "microsoftAuthenticatorPush",
    "mobilePhone",
    "sms",
    "alternateMobilePhone",
    "fido2SecurityKey",
    "oneTimePasscode",
    "passKeySynced",
    "qrCode",
];

/// The Boolean properties `$filter` can compare with `eq`.
const BOOLEAN_PROPERTIES: &[&str] = &[
    "isAdmin",
    "isMfaCapable",
    "isMfaRegistered",
    "isPasswordlessCapable",
    "isSsprCapable",
    "isSsprEnabled",
    "isSsprRegistered",
    "isSystemPreferredAuthenticationMethodEnabled",
];

const PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "userDisplayName",
    "userType",
    "isAdmin",
    "isMfaCapable",
    "isMfaRegistered",
    "isPasswordlessCapable",
    "isSsprCapable",
    "isSsprEnabled",
    "isSsprRegistered",
    "isSystemPreferredAuthenticationMethodEnabled",
    "lastUpdatedDateTime",
    "methodsRegistered",
    "systemPreferredAuthenticationMethods",
    "userPreferredMethodForSecondaryAuthentication",
];

/// How many summaries to read from the store at a time while filtering.
const SCAN_PAGE: u32 = 200;

/// One checked `$filter` clause.
#[derive(Clone, Debug, PartialEq)]
enum Clause {
    /// `methodsRegistered/any(x:x eq 'value')`.
    Registered(String),
    /// `isX eq true|false`, on a property of [`BOOLEAN_PROPERTIES`].
    Flag(&'static str, bool),
    /// `userPrincipalName`/`userDisplayName` `eq` or `startswith`, ignoring case.
    Name(&'static str, NameMatch, String),
    /// `userType eq 'member'`.
    UserType(String),
}

impl Clause {
    fn holds(&self, details: &Value) -> bool {
        match self {
            Clause::Registered(method) => details["methodsRegistered"]
                .as_array()
                .is_some_and(|m| m.iter().any(|v| v.as_str() == Some(method.as_str()))),
            Clause::Flag(name, wanted) => details[*name].as_bool() == Some(*wanted),
            Clause::Name(name, matching, value) => {
                let actual = details[*name].as_str().unwrap_or_default().to_lowercase();
                let value = value.to_lowercase();
                match matching {
                    NameMatch::Equals => actual == value,
                    NameMatch::StartsWith => actual.starts_with(&value),
                }
            }
            Clause::UserType(value) => details["userType"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(value)),
        }
    }

    /// The filter the store can apply itself, for a name clause.
    fn store_filter(&self) -> Option<NameFilter> {
        match self {
            Clause::Name(name, matching, value) => Some(NameFilter {
                field: if *name == "userPrincipalName" {
                    NameField::UserPrincipalName
                } else {
                    NameField::DisplayName
                },
                matching: *matching,
                value: value.clone(),
            }),
            _ => None,
        }
    }
}

const SUPPORTED: &str = "Supported, joined with and: methodsRegistered/any(x:x eq 'passKeyDeviceBound'), isPasswordlessCapable eq true|false (likewise isMfaCapable, isMfaRegistered, isAdmin, isSsprCapable, isSsprEnabled, isSsprRegistered, isSystemPreferredAuthenticationMethodEnabled), userPrincipalName or userDisplayName eq '…' or startswith(…,'…'), userType eq 'member'.";

fn parse_filter(text: &str) -> Result<Vec<Clause>, ApiError> {
    let parsed = filter::parse(text).map_err(|e| bad_request(format!("{e}. {SUPPORTED}")))?;
    let unsupported = |what: String| {
        bad_request(format!(
            "Invalid filter clause: {what} is not supported on userRegistrationDetails. {SUPPORTED}"
        ))
    };
    let name_property = |path: &str| {
        ["userPrincipalName", "userDisplayName"]
            .into_iter()
            .find(|p| p.eq_ignore_ascii_case(path))
    };
    parsed
        .clauses()
        .into_iter()
        .map(|clause| match clause {
            Filter::Any { path, value } if path.eq_ignore_ascii_case("methodsRegistered") => {
                if !USAGE_AUTH_METHODS.contains(&value.as_str()) {
                    return Err(bad_request(format!(
                        "Invalid filter clause: `{value}` is not a method Graph reports in methodsRegistered; use one of {}",
                        USAGE_AUTH_METHODS.join(", ")
                    )));
                }
                Ok(Clause::Registered(value.clone()))
            }
            Filter::Compare {
                path,
                op: Op::Eq,
                value: Literal::Bool(wanted),
            } => BOOLEAN_PROPERTIES
                .iter()
                .find(|p| p.eq_ignore_ascii_case(path))
                .map(|p| Clause::Flag(p, *wanted))
                .ok_or_else(|| unsupported(format!("`{path} eq {wanted}`"))),
            Filter::Compare {
                path,
                op: Op::Eq,
                value: Literal::String(value),
            } if path.eq_ignore_ascii_case("userType") => Ok(Clause::UserType(value.clone())),
            Filter::Compare {
                path,
                op: Op::Eq,
                value: Literal::String(value),
            } => name_property(path)
                .map(|p| Clause::Name(p, NameMatch::Equals, value.clone()))
                .ok_or_else(|| unsupported(format!("`{path} eq '{value}'`"))),
            Filter::StartsWith { path, prefix } => name_property(path)
                .map(|p| Clause::Name(p, NameMatch::StartsWith, prefix.clone()))
                .ok_or_else(|| unsupported(format!("`startswith({path},…)`"))),
            Filter::Compare { path, op, value } => Err(unsupported(format!(
                "`{path} {op} {}`",
                odata::describe(value)
            ))),
            Filter::Any { path, .. } => Err(unsupported(format!("`{path}/any(…)`"))),
            Filter::And(_) => Err(unsupported("a nested and".into())),
        })
        .collect()
}

/// Whether deciding for a user needs their groups (the policy targets a group somewhere).
fn policy_targets_groups(policy: &AuthenticationMethodsPolicy) -> bool {
    let fido2 = policy.fido2();
    let oath = policy.software_oath();
    !fido2.exclude_targets().is_empty()
        || fido2
            .include_targets()
            .iter()
            .any(|t| matches!(t.target(), Target::Group(_)))
        || !oath.exclude_targets().is_empty()
        || oath
            .include_targets()
            .iter()
            .any(|t| matches!(t.target(), Target::Group(_)))
}

/// One user's `userRegistrationDetails`.
fn details(
    summary: &MethodsSummary,
    policy: &AuthenticationMethodsPolicy,
    groups: &[PolicyGroupId],
    catalog: &Catalog,
) -> Value {
    let mut methods: Vec<&str> = Vec::new();
    let mut passwordless = false;
    for passkey in &summary.passkeys {
        let method = match passkey.passkey_type {
            PasskeyType::Synced => "passKeySynced",
            PasskeyType::DeviceBound if AUTHENTICATOR_AAGUIDS.contains(&passkey.aaguid) => {
                "passKeyDeviceBoundAuthenticator"
            }
            PasskeyType::DeviceBound => "passKeyDeviceBound",
        };
        if !methods.contains(&method) {
            methods.push(method);
        }
        let facts = CredentialFacts {
            aaguid: passkey.aaguid,
            backup_eligible: passkey.passkey_type == PasskeyType::Synced,
            attestation: match passkey.attestation_level {
                AttestationLevel::Attested => Attestation::Attested { trusted: true },
                AttestationLevel::NotAttested => Attestation::NotAttested,
            },
        };
        passwordless |= policy
            .fido2()
            .may_sign_in(groups, &facts, catalog)
            .is_allowed();
    }
    let has_oath = summary.software_oath_count > 0;
    if has_oath {
        methods.push("softwareOneTimePasscode");
    }
    if summary.has_temporary_access_pass {
        methods.push("temporaryAccessPass");
    }
    let oath_allowed = has_oath && policy.software_oath().is_usable_by(groups);
    json!({
        "id": summary.user_id.as_str(),
        "userPrincipalName": summary.user_principal_name,
        "userDisplayName": summary.display_name,
        "userType": "member",
        "isAdmin": summary.is_admin,
        "isMfaCapable": passwordless || oath_allowed,
        "isMfaRegistered": !summary.passkeys.is_empty() || has_oath,
        "isPasswordlessCapable": passwordless,
        "isSsprCapable": false,
        "isSsprEnabled": false,
        "isSsprRegistered": false,
        "isSystemPreferredAuthenticationMethodEnabled": false,
        "lastUpdatedDateTime": summary.last_updated.to_rfc3339(),
        "methodsRegistered": methods,
        "systemPreferredAuthenticationMethods": [],
        "userPreferredMethodForSecondaryAuthentication": "none",
    })
}

/// Computes a user's details: their groups when the policy needs them, then the decision.
async fn details_of(
    state: &AppState,
    policy: &AuthenticationMethodsPolicy,
    needs_groups: bool,
    summary: &MethodsSummary,
) -> Result<Value, ApiError> {
    let groups: Vec<PolicyGroupId> = if needs_groups {
        state
            .store
            .groups_of_user(&summary.user_id)
            .await?
            .iter()
            .filter_map(|g| g.id.as_str().parse().ok())
            .collect()
    } else {
        Vec::new()
    };
    let catalog = state.catalog();
    Ok(details(summary, policy, &groups, &catalog))
}

/// Where a page of the report resumes: after this user, within this store page.
fn encode_position(last: &UserId, store_token: Option<&str>) -> String {
    odata::encode_token(&format!("{last}|{}", store_token.unwrap_or_default()))
}

fn decode_position(token: &str) -> Result<(UserId, Option<String>), ApiError> {
    let text = odata::decode_token(token)?;
    let bad = || {
        bad_request("the $skiptoken is not one Keybound issued; start again from the first page")
    };
    let (last, store_token) = text.split_once('|').ok_or_else(bad)?;
    let last = UserId::parse(last).map_err(|_| bad())?;
    Ok((last, Some(store_token.to_owned()).filter(|t| !t.is_empty())))
}

/// `GET /reports/authenticationMethods/userRegistrationDetails`: `$filter`, `$top`, `$skiptoken`, `$select`.
pub(crate) async fn list(
    caller: GraphCaller,
    State(state): State<AppState>,
    base: GraphBase,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    caller.require(READ)?;
    let options = Options::parse(&params, odata::LIST)?;
    let clauses = match &options.filter {
        Some(text) => parse_filter(text)?,
        None => Vec::new(),
    };
    let (mut after, mut store_token) = match &options.skip_token {
        Some(token) => {
            let (last, store_token) = decode_position(token)?;
            (Some(last), store_token)
        }
        None => (None, None),
    };
    let store = state.store.as_ref();
    let (policy, _) = policy::current(store).await?;
    let needs_groups = policy_targets_groups(&policy);
    let limit = usize::try_from(if options.top == 0 { 100 } else { options.top }).unwrap_or(100);
    let prefilter = clauses.iter().find_map(Clause::store_filter);
    let mut items = Vec::new();
    let mut next = None;
    let mut full_at: Option<String> = None;
    'pages: loop {
        let page = store
            .methods_summary(&ListQuery {
                filter: prefilter.clone(),
                top: SCAN_PAGE,
                skip_token: store_token.clone(),
            })
            .await
            .map_err(|e| match e {
                keybound_store::StoreError::InvalidInput { .. } => bad_request(
                    "the $skiptoken is not one Keybound issued; start again from the first page",
                ),
                other => other.into(),
            })?;
        for summary in &page.items {
            if after.as_ref().is_some_and(|a| summary.user_id <= *a) {
                continue;
            }
            let value = details_of(&state, &policy, needs_groups, summary).await?;
            if !clauses.iter().all(|c| c.holds(&value)) {
                continue;
            }
            // A match beyond a full page: only now is a next page known not to be empty.
            if let Some(position) = full_at.take() {
                next = Some(position);
                break 'pages;
            }
            items.push(options.select(value, "userRegistrationDetails", PROPERTIES)?);
            if items.len() == limit {
                full_at = Some(encode_position(&summary.user_id, store_token.as_deref()));
            }
        }
        match page.next_skip_token {
            Some(token) => {
                store_token = Some(token);
                after = None;
            }
            None => break,
        }
    }
    let next = next.map(|t| {
        options.next_link(
            &base,
            "/reports/authenticationMethods/userRegistrationDetails",
            &t,
        )
    });
    Ok(Json(odata::collection(
        base.context("reports/authenticationMethods/userRegistrationDetails"),
        items,
        next,
    )))
}

/// `GET /reports/authenticationMethods/userRegistrationDetails/{userId}`.
pub(crate) async fn get(
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
    let page = store
        .methods_summary(&ListQuery {
            filter: Some(NameFilter {
                field: NameField::UserPrincipalName,
                matching: NameMatch::Equals,
                value: user.user_principal_name.clone(),
            }),
            top: 1,
            skip_token: None,
        })
        .await?;
    let summary = page
        .items
        .iter()
        .find(|s| s.user_id == user.id)
        .ok_or_else(|| odata::not_found("user", &id))?;
    let (policy, _) = policy::current(store).await?;
    let value = details_of(&state, &policy, policy_targets_groups(&policy), summary).await?;
    let value = options.select(value, "userRegistrationDetails", PROPERTIES)?;
    Ok(Json(odata::entity(
        base.context("reports/authenticationMethods/userRegistrationDetails/$entity"),
        value,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Result<Vec<Clause>, &str>) {
        match (parse_filter(text), expected) {
            (Ok(actual), Ok(expected)) => assert_eq!(actual, expected, "{text}"),
            (Err(e), Err(fragment)) => {
                let message = e.to_string();
                assert!(message.contains(fragment), "{text}: {message}");
            }
            (actual, expected) => panic!("{text}: {actual:?} vs {expected:?}"),
        }
    }

    #[test]
    fn filters_graph_clients_send() {
        check(
            "methodsRegistered/any(x:x eq 'passKeyDeviceBound')",
            Ok(vec![Clause::Registered("passKeyDeviceBound".into())]),
        );
        check(
            "isPasswordlessCapable eq false and isadmin eq true",
            Ok(vec![
                Clause::Flag("isPasswordlessCapable", false),
                Clause::Flag("isAdmin", true),
            ]),
        );
        check(
            "startswith(userPrincipalName,'al') and userType eq 'member'",
            Ok(vec![
                Clause::Name("userPrincipalName", NameMatch::StartsWith, "al".into()),
                Clause::UserType("member".into()),
            ]),
        );
        check(
            "methodsRegistered/any(x:x eq 'passkey')",
            Err("`passkey` is not a method"),
        );
        check("isPasswordlessCapable eq 'yes'", Err("not supported"));
        check("displayName eq 'x'", Err("not supported"));
        check("isMfaCapable ne true", Err("`isMfaCapable ne true`"));
        check("isMfaCapable eq", Err("Supported"));
    }

    #[test]
    fn positions_round_trip() {
        let id = UserId::random();
        let token = encode_position(&id, Some("abc"));
        assert_eq!(
            decode_position(&token).unwrap(),
            (id.clone(), Some("abc".into()))
        );
        let token = encode_position(&id, None);
        assert_eq!(decode_position(&token).unwrap(), (id, None));
        assert!(decode_position("nonsense").is_err());
    }
}
