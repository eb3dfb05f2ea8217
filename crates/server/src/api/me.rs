//! A signed-in person's own methods: list them, add a passkey (after a
//! recent Temporary Access Pass or second factor), rename and delete one.
//! Every change is audited in the same store transaction; a registration the
//! policy refuses is audited as a failure.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_metadata::Catalog;
use keybound_policy::{
    Attestation, AttestationEnforcement, AuthenticationMethodsPolicy, CredentialFacts, Decision,
    DenialReason, GroupId, RegistrationChannel,
};
use keybound_store::{AttestationLevel, MethodId, Passkey, PasskeyType, StoreError};
use keybound_webauthn::{
    describe_certificate, Aaguid, AttestationConveyance, ChainTrust, CredentialDescriptor,
    RegistrationOptions, RegistrationResponse, UserEntity, VerifiedRegistration,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ceremony, display_name, memberships, policy, webauthn_refusal, ApiJson};
use crate::attestation_trust::AttestationTrust;
use crate::audit::{new_guid, Audit, Target};
use crate::auth::session::RECENT_MINUTES;
use crate::auth::SignedInUser;
use crate::clock;
use crate::error::ApiError;
use crate::method_shapes;
use crate::secrets;
use crate::state::AppState;

/// The audit log's service for passkey changes, as Entra logs them.
const SERVICE: &str = "Device Registration Service";

/// `POST /api/me/passkeys/verify`: a `RegistrationResponseJSON` and an optional name.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RegisterBody {
    credential: Value,
    #[serde(default)]
    display_name: Option<String>,
}

/// `PATCH /api/me/passkeys/{id}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RenameBody {
    display_name: String,
}

/// `GET /api/me/methods`: the person's methods as Graph shapes them, under `value`.
pub(super) async fn methods(
    user: SignedInUser,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let id = &user.user.id;
    let mut value = Vec::new();
    if let Some(password) = state.store.get_password(id).await? {
        value.push(method_shapes::password_method(&password));
    }
    for token in state.store.list_software_oath(id).await? {
        value.push(method_shapes::oath_method(&token));
    }
    if let Some(pass) = state.store.get_tap(id).await? {
        let usable = policy(&state)
            .await?
            .temporary_access_pass()
            .is_usable_by(&memberships(&state, id).await?);
        value.push(method_shapes::tap_method(&pass, None, usable, now));
    }
    let passkeys = state.store.list_passkeys(id).await?;
    let catalog = state.catalog();
    value.extend(
        passkeys
            .iter()
            .map(|p| method_shapes::fido2_method(p, &catalog)),
    );
    Ok(Json(json!({ "value": value })))
}

/// `POST /api/me/passkeys/options`: creation options for a new passkey.
pub(super) async fn passkey_options(
    user: SignedInUser,
    State(state): State<AppState>,
    ApiJson(_): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    if !user.recently_verified(now) {
        return Err(ApiError::forbidden(
            "recent_sign_in_required",
            format!("Adding a passkey needs a sign-in with a Temporary Access Pass, a passkey or your authenticator app's code within the last {RECENT_MINUTES} minutes; sign in again, then add the passkey."),
        ));
    }
    let policy = policy(&state).await?;
    let groups = memberships(&state, &user.user.id).await?;
    {
        let catalog = state.catalog();
        refuse_before_ceremony(&policy, &groups, &catalog)?;
    }
    let mut options = RegistrationOptions::passkey(UserEntity {
        id: user.user.user_handle.clone(),
        name: user.user.user_principal_name.clone(),
        display_name: user.user.display_name.clone(),
    });
    options.exclude_credentials = state
        .store
        .list_passkeys(&user.user.id)
        .await?
        .into_iter()
        .map(|p| CredentialDescriptor {
            id: p.credential_id,
            transports: p.transports,
        })
        .collect();
    if policy
        .fido2()
        .passkey_profiles()
        .any(|p| p.attestation_enforcement() == AttestationEnforcement::RegistrationOnly)
    {
        options.attestation = AttestationConveyance::Direct;
    }
    let (json, pending) = state
        .rp
        .start_registration(&options)
        .map_err(ApiError::internal)?;
    ceremony::put_registration(
        &state,
        &options,
        &pending,
        &user.user.id,
        &user.session.id_hash,
    )
    .await?;
    Ok(Json(json!({ "publicKey": json })))
}

/// Refuses before the ceremony what no passkey could pass: the method off,
/// the user excluded or not included, self-service off. The rules that
/// depend on the passkey are decided when it arrives.
fn refuse_before_ceremony(
    policy: &AuthenticationMethodsPolicy,
    groups: &[GroupId],
    catalog: &Catalog,
) -> Result<(), ApiError> {
    let any_passkey = CredentialFacts {
        aaguid: Aaguid::ZERO,
        backup_eligible: false,
        attestation: Attestation::NotAttested,
    };
    let decision = policy.fido2().may_register(
        groups,
        &any_passkey,
        RegistrationChannel::SelfService,
        catalog,
    );
    let Some(denial) = decision.denial() else {
        return Ok(());
    };
    let message = match denial.reason() {
        DenialReason::MethodDisabled => "Passkeys (FIDO2) are turned off for your organisation, so you cannot add one. Ask your administrator to turn passkeys on.".to_owned(),
        DenialReason::UserExcluded => format!(
            "Your account is in the group {}, which is excluded from passkeys (FIDO2), so you cannot add one. Ask your administrator to remove you from the exclusion.",
            denial.excluded_by().map_or("(unknown)", GroupId::as_str)
        ),
        DenialReason::UserNotTargeted => "Passkeys (FIDO2) are not enabled for your account: no group you belong to is included in your organisation's passkey policy. Ask your administrator to include you.".to_owned(),
        DenialReason::SelfServiceDisabled => "Your organisation does not allow adding passkeys yourself. Ask your administrator to register a passkey for you.".to_owned(),
        _ => return Ok(()),
    };
    Err(ApiError::forbidden(denial.code(), message))
}

/// `POST /api/me/passkeys/verify`: verifies and stores the new passkey; 201 with its `fido2AuthenticationMethod`.
pub(super) async fn passkey_verify(
    user: SignedInUser,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<Response, ApiError> {
    // A bad name is refused before the ceremony is spent, so the person can fix it and retry.
    let name = body.display_name.as_deref().map(display_name).transpose()?;
    let response =
        RegistrationResponse::from_json(&body.credential.to_string()).map_err(webauthn_refusal)?;
    let pending = ceremony::take_registration(&state, &response.client_data().challenge).await?;
    if pending.user_id != user.user.id
        || !secrets::equal(&pending.session_hash, &user.session.id_hash)
    {
        return Err(ApiError::bad_request(
            "ceremony_not_yours",
            "This passkey registration was started in another sign-in session; start adding the passkey again from this page.",
        ));
    }
    let now = state.clock.now();
    // FIDO metadata roots and the organisation's CAs; models reported compromised are left out.
    let trust = AttestationTrust::load(state.store.as_ref(), now).await?;
    let verified = response
        .verify(
            &state.rp,
            pending.state,
            trust.anchors(),
            clock::system_time(now),
        )
        .map_err(webauthn_refusal)?;
    if verified.discoverable() == Some(false) {
        return Err(ApiError::bad_request(
            "not_discoverable",
            "The authenticator made a passkey that only works with a username typed first (not discoverable); Keybound needs a discoverable passkey. Use an authenticator that can store passkeys, such as a phone, a recent security key or Keybound Authenticator.",
        ));
    }
    let flags = verified.flags();
    let aaguid = verified.aaguid();
    let facts = CredentialFacts {
        aaguid,
        backup_eligible: flags.backup_eligible(),
        attestation: match verified.trust() {
            ChainTrust::NoChain => Attestation::NotAttested,
            trust => Attestation::Attested {
                trusted: trust.is_trusted(),
            },
        },
    };
    let passkey_type = if flags.backup_eligible() {
        PasskeyType::Synced
    } else {
        PasskeyType::DeviceBound
    };
    let activity = match passkey_type {
        PasskeyType::DeviceBound => "Add Passkey (device-bound) security key",
        PasskeyType::Synced => "Add Passkey (synced)",
    };
    let correlation = new_guid();
    let audit = |result: Option<&str>| {
        let entry = Audit::new(activity, "UserManagement", SERVICE, "Add")
            .by(user.initiator())
            .target(Target::user(&user.user))
            .detail("WebAuthnInfo", webauthn_info(&verified))
            .detail("AAGUID", aaguid.to_string())
            .correlation(&correlation);
        match result {
            Some(reason) => entry.failed(reason),
            None => entry,
        }
        .at(now)
    };
    // A model FIDO metadata reports compromised is refused whether or not its attestation is trusted.
    if let Some(refusal) = trust
        .mds_status(aaguid)
        .and_then(|status| status.refusal(aaguid))
    {
        state
            .store
            .append_audit(&audit(Some(&refusal.to_string()))?)
            .await?;
        return Err(refusal);
    }
    let policy = policy(&state).await?;
    let groups = memberships(&state, &user.user.id).await?;
    let (decision, provider) = {
        let catalog = state.catalog();
        (
            policy.fido2().may_register(
                &groups,
                &facts,
                RegistrationChannel::SelfService,
                &catalog,
            ),
            catalog.get(aaguid).map(|p| p.name().to_owned()),
        )
    };
    if let Decision::Denied(denial) = decision {
        state
            .store
            .append_audit(&audit(Some(&denial.message()))?)
            .await?;
        return Err(ApiError::forbidden(denial.code(), denial.message()));
    }
    let passkey = Passkey {
        id: MethodId::random(),
        credential_id: verified.credential_id().clone(),
        user_id: user.user.id.clone(),
        display_name: name.or(provider).unwrap_or_else(|| "Passkey".to_owned()),
        created_at: now,
        last_used_at: None,
        aaguid,
        public_key: verified.public_key().to_cbor(),
        sign_count: verified.sign_count(),
        backup_eligible: flags.backup_eligible(),
        backed_up: flags.backed_up(),
        transports: verified.transports().to_vec(),
        attestation_format: verified.format().identifier().to_owned(),
        attestation_level: if verified.trust().is_trusted() {
            AttestationLevel::Attested
        } else {
            AttestationLevel::NotAttested
        },
        attestation_certificates: verified.certificates().to_vec(),
        passkey_type,
        flagged: None,
    };
    state
        .store
        .create_passkey(&passkey, &audit(None)?)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => ApiError::Conflict {
                code: "credential_exists",
                message: "This passkey is registered already; it is on your list of sign-in methods, or on another account's.".into(),
            },
            other => other.into(),
        })?;
    let body = {
        let catalog = state.catalog();
        method_shapes::fido2_method(&passkey, &catalog)
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// The `WebAuthnInfo` audit detail: what the registration showed, as short JSON.
fn webauthn_info(verified: &VerifiedRegistration) -> String {
    let flags = verified.flags();
    let trust = match verified.trust() {
        ChainTrust::NoChain => "none".to_owned(),
        ChainTrust::Trusted { anchor } => format!("trusted ({anchor})"),
        ChainTrust::Untrusted { reason } => format!("untrusted ({reason})"),
    };
    json!({
        "format": verified.format().identifier(),
        "attestationType": verified.attestation_type().name(),
        "attestationTrust": trust,
        "attestationCertificate": verified
            .certificates()
            .first()
            .and_then(|der| describe_certificate(der))
            .map(|info| info.subject),
        "flags": {
            "UP": flags.user_present(),
            "UV": flags.user_verified(),
            "BE": flags.backup_eligible(),
            "BS": flags.backed_up(),
        },
        "credentialId": verified.credential_id().to_base64url(),
        "transports": verified.transports(),
    })
    .to_string()
}

/// `PATCH /api/me/passkeys/{id}`: renames one of the person's passkeys.
pub(super) async fn rename_passkey(
    user: SignedInUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenameBody>,
) -> Result<Json<Value>, ApiError> {
    let name = display_name(&body.display_name)?;
    let mut passkey = own_passkey(&state, &user, &id).await?;
    let quoted = |text: &str| Value::String(text.to_owned()).to_string();
    let audit = Audit::new("Update Passkey", "UserManagement", SERVICE, "Update")
        .by(user.initiator())
        .target(Target::user(&user.user).modified(
            "DisplayName",
            quoted(&passkey.display_name),
            quoted(&name),
        ))
        .detail("AAGUID", passkey.aaguid.to_string())
        .at(state.clock.now())?;
    state
        .store
        .rename_passkey(&user.user.id, &passkey.id, &name, &audit)
        .await?;
    passkey.display_name = name;
    let catalog = state.catalog();
    Ok(Json(method_shapes::fido2_method(&passkey, &catalog)))
}

/// `DELETE /api/me/passkeys/{id}`: deletes one of the person's passkeys; 204.
pub(super) async fn delete_passkey(
    user: SignedInUser,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let passkey = own_passkey(&state, &user, &id).await?;
    let activity = match passkey.passkey_type {
        PasskeyType::DeviceBound => "Delete Passkey (device-bound)",
        PasskeyType::Synced => "Delete Passkey (synced)",
    };
    let audit = Audit::new(activity, "UserManagement", SERVICE, "Delete")
        .by(user.initiator())
        .target(Target::user(&user.user))
        .detail("AAGUID", passkey.aaguid.to_string())
        .detail("DisplayName", passkey.display_name.clone())
        .at(state.clock.now())?;
    state
        .store
        .delete_passkey(&user.user.id, &passkey.id, &audit)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One of the signed-in person's passkeys, by method id; 404 otherwise.
async fn own_passkey(state: &AppState, user: &SignedInUser, id: &str) -> Result<Passkey, ApiError> {
    let not_found = || ApiError::NotFound {
        code: "passkey_not_found",
        message: format!(
            "You have no passkey with id `{id}`; list your methods with GET /api/me/methods."
        ),
    };
    let method = MethodId::parse(id).map_err(|_| not_found())?;
    state
        .store
        .get_passkey(&user.user.id, &method)
        .await?
        .ok_or_else(not_found)
}
