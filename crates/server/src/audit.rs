//! Audit entries in Graph's `directoryAudit` shape, built where the change is made
//! and handed to the store, which commits them with the change.

use keybound_store::{
    AppIdentity, AuditEntry, AuditResult, KeyValue, ModifiedProperty, TargetResource, Timestamp,
    User, UserIdentity,
};
use keybound_webauthn::encoding;

use crate::error::ApiError;
use crate::secrets;

pub use keybound_store::Initiator as StoreInitiator;

/// Who made a change.
#[derive(Clone, Debug)]
pub struct Initiator(StoreInitiator);

impl Initiator {
    /// Keybound itself (bootstrap, key rotation).
    pub fn keybound() -> Self {
        Initiator(StoreInitiator::App(AppIdentity {
            app_id: "keybound".into(),
            display_name: Some("Keybound".into()),
        }))
    }

    /// An operator at the command line (`keybound admin …`).
    pub fn operator_cli() -> Self {
        Initiator(StoreInitiator::App(AppIdentity {
            app_id: "keybound-admin-cli".into(),
            display_name: Some("keybound admin (command line)".into()),
        }))
    }

    /// A bearer token's holder.
    pub fn token(subject: &str, token_id: &str) -> Self {
        Initiator(StoreInitiator::App(AppIdentity {
            app_id: subject.into(),
            display_name: Some(format!("bearer token {token_id}")),
        }))
    }

    /// A signed-in person.
    pub fn user(user: &User, ip: Option<String>) -> Self {
        Initiator(StoreInitiator::User(UserIdentity {
            id: user.id.as_str().into(),
            display_name: Some(user.display_name.clone()),
            user_principal_name: Some(user.user_principal_name.clone()),
            ip_address: ip,
        }))
    }
}

/// What a change was made to.
#[derive(Clone, Debug)]
pub struct Target(TargetResource);

impl Target {
    /// A user.
    pub fn user(user: &User) -> Self {
        Target(TargetResource {
            id: Some(user.id.as_str().into()),
            display_name: Some(user.display_name.clone()),
            resource_type: "User".into(),
            user_principal_name: Some(user.user_principal_name.clone()),
            modified_properties: Vec::new(),
        })
    }

    /// A policy.
    pub fn policy(id: &str, name: &str) -> Self {
        Target(TargetResource {
            id: Some(id.into()),
            display_name: Some(name.into()),
            resource_type: "Policy".into(),
            user_principal_name: None,
            modified_properties: Vec::new(),
        })
    }

    /// A group.
    pub fn group(id: &str, name: &str) -> Self {
        Target(TargetResource {
            id: Some(id.into()),
            display_name: Some(name.into()),
            resource_type: "Group".into(),
            user_principal_name: None,
            modified_properties: Vec::new(),
        })
    }

    /// Anything else, named by id.
    pub fn other(id: &str) -> Self {
        Target(TargetResource {
            id: Some(id.into()),
            display_name: Some(id.into()),
            resource_type: "Other".into(),
            user_principal_name: None,
            modified_properties: Vec::new(),
        })
    }

    /// Records a property's old and new value.
    pub fn modified(mut self, name: &str, old: impl Into<String>, new: impl Into<String>) -> Self {
        self.0.modified_properties.push(ModifiedProperty {
            display_name: name.into(),
            old_value: Some(old.into()),
            new_value: Some(new.into()),
        });
        self
    }
}

/// An audit entry being put together.
#[derive(Debug)]
pub struct Audit {
    activity: String,
    category: String,
    service: String,
    operation: String,
    result: AuditResult,
    reason: String,
    initiator: Initiator,
    targets: Vec<TargetResource>,
    details: Vec<KeyValue>,
    correlation_id: String,
}

impl Audit {
    /// Starts an entry: activity (`Add Passkey (device-bound)`), category, logging service, operation type.
    pub fn new(activity: &str, category: &str, service: &str, operation: &str) -> Self {
        Audit {
            activity: activity.into(),
            category: category.into(),
            service: service.into(),
            operation: operation.into(),
            result: AuditResult::Success,
            reason: String::new(),
            initiator: Initiator::keybound(),
            targets: Vec::new(),
            details: Vec::new(),
            correlation_id: String::new(),
        }
    }

    /// Who did it.
    pub fn by(mut self, initiator: Initiator) -> Self {
        self.initiator = initiator;
        self
    }

    /// What it was done to.
    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target.0);
        self
    }

    /// An extra fact (`AAGUID`, `WebAuthnInfo`).
    pub fn detail(mut self, key: &str, value: impl Into<String>) -> Self {
        self.details.push(KeyValue {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// Marks the entry as a failure, with its reason.
    pub fn failed(mut self, reason: impl Into<String>) -> Self {
        self.result = AuditResult::Failure;
        self.reason = reason.into();
        self
    }

    /// Ties the entry to a request.
    pub fn correlation(mut self, id: &str) -> Self {
        self.correlation_id = id.into();
        self
    }

    /// Finishes the entry at `now`, with a fresh id.
    pub fn at(self, now: Timestamp) -> Result<AuditEntry, ApiError> {
        Ok(AuditEntry {
            id: new_guid(),
            activity_date_time: now,
            activity_display_name: self.activity,
            category: self.category,
            result: self.result,
            result_reason: self.reason,
            initiated_by: self.initiator.0,
            target_resources: self.targets,
            additional_details: self.details,
            logged_by_service: self.service,
            operation_type: self.operation,
            correlation_id: self.correlation_id,
        })
    }
}

/// A random version-4 GUID, as Graph ids are.
pub fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Base64url of random bytes, for opaque ids.
pub fn new_opaque_id(bytes: usize) -> Result<String, ApiError> {
    Ok(encoding::encode(&secrets::random_bytes(bytes)?))
}
