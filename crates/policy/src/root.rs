//! The root `authenticationMethodsPolicy`: the method configurations together,
//! and its Graph JSON both ways.

use serde_json::{json, Value};

use crate::error::{FieldPath, PolicyError};
use crate::fido2::{self, Fido2Configuration};
use crate::patch::{self, Mode, Object, PatchContext};
use crate::software_oath::{self, SoftwareOathConfiguration};
use crate::tap::{self, TemporaryAccessPassConfiguration};
use crate::timestamp::Timestamp;

/// The singleton's id.
const ID: &str = "authenticationMethodsPolicy";
/// Its display name, as Graph shows it.
const DISPLAY_NAME: &str = "Authentication Methods Policy";
/// Its description, as Graph shows it.
const DESCRIPTION: &str = "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings";
/// The schema version Graph reports.
const POLICY_VERSION: &str = "1.5";
/// Keybound has no legacy MFA or SSPR policies, so the migration is always complete.
const MIGRATION_STATE: &str = "migrationComplete";
/// The days after which users reconfirm their methods, and the range allowed.
const RECONFIRMATION_DAYS: (u32, i64, i64) = (180, 0, 730);
/// Every configuration the root holds.
const CONFIGURATIONS: usize = 3;

/// One of the method configurations.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Fido2,
    TemporaryAccessPass,
    SoftwareOath,
}

impl Which {
    /// The configuration an id names (any case, as Graph's paths take).
    fn from_id(id: &str) -> Option<Which> {
        [
            (fido2::ID, Which::Fido2),
            (tap::ID, Which::TemporaryAccessPass),
            (software_oath::ID, Which::SoftwareOath),
        ]
        .into_iter()
        .find_map(|(name, which)| name.eq_ignore_ascii_case(id).then_some(which))
    }

    /// The configuration an `@odata.type` names.
    fn from_odata_type(name: &str) -> Option<Which> {
        match name.trim_start_matches('#') {
            "microsoft.graph.fido2AuthenticationMethodConfiguration" => Some(Which::Fido2),
            "microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration" => {
                Some(Which::TemporaryAccessPass)
            }
            "microsoft.graph.softwareOathAuthenticationMethodConfiguration" => {
                Some(Which::SoftwareOath)
            }
            _ => None,
        }
    }
}

/// The authentication-methods policy (Graph's `authenticationMethodsPolicy`):
/// every method's configuration and when the policy last changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticationMethodsPolicy {
    last_modified: Timestamp,
    reconfirmation_in_days: u32,
    fido2: Fido2Configuration,
    temporary_access_pass: TemporaryAccessPassConfiguration,
    software_oath: SoftwareOathConfiguration,
}

impl AuthenticationMethodsPolicy {
    /// The policy a new directory starts with, stamped `now`: every method at its default.
    pub fn new(now: Timestamp) -> Self {
        AuthenticationMethodsPolicy {
            last_modified: now,
            reconfirmation_in_days: RECONFIRMATION_DAYS.0,
            fido2: Fido2Configuration::default(),
            temporary_access_pass: TemporaryAccessPassConfiguration::default(),
            software_oath: SoftwareOathConfiguration::default(),
        }
    }

    /// When the policy last changed (Graph's `lastModifiedDateTime`).
    pub fn last_modified(&self) -> Timestamp {
        self.last_modified
    }

    /// Days after which users are asked to reconfirm their methods (Graph's `reconfirmationInDays`).
    pub fn reconfirmation_in_days(&self) -> u32 {
        self.reconfirmation_in_days
    }

    /// The Passkey (FIDO2) configuration.
    pub fn fido2(&self) -> &Fido2Configuration {
        &self.fido2
    }

    /// The Temporary Access Pass configuration.
    pub fn temporary_access_pass(&self) -> &TemporaryAccessPassConfiguration {
        &self.temporary_access_pass
    }

    /// The software OATH token configuration.
    pub fn software_oath(&self) -> &SoftwareOathConfiguration {
        &self.software_oath
    }

    /// The policy in Graph's wire shape, configurations expanded as Graph expands them.
    pub fn to_graph_json(&self) -> Value {
        json!({
            "id": ID,
            "displayName": DISPLAY_NAME,
            "description": DESCRIPTION,
            "lastModifiedDateTime": self.last_modified.to_string(),
            "policyVersion": POLICY_VERSION,
            "policyMigrationState": MIGRATION_STATE,
            "reconfirmationInDays": self.reconfirmation_in_days,
            "authenticationMethodConfigurations": [
                self.fido2.to_graph_json(),
                self.temporary_access_pass.to_graph_json(),
                self.software_oath.to_graph_json(),
            ],
        })
    }

    /// The configuration an id names in Graph's paths (`Fido2`, `TemporaryAccessPass`,
    /// `SoftwareOath`, any case), in Graph's wire shape.
    pub fn configuration_json(&self, id: &str) -> Result<Value, PolicyError> {
        match Which::from_id(id) {
            Some(Which::Fido2) => Ok(self.fido2.to_graph_json()),
            Some(Which::TemporaryAccessPass) => Ok(self.temporary_access_pass.to_graph_json()),
            Some(Which::SoftwareOath) => Ok(self.software_oath.to_graph_json()),
            None => Err(unknown_configuration(id)),
        }
    }

    /// Applies a PATCH of the root policy, stamping `lastModifiedDateTime` with the
    /// context's time; on error nothing changes.
    ///
    /// Read-only properties may be sent with their current value;
    /// `lastModifiedDateTime` is ignored. Each element of
    /// `authenticationMethodConfigurations` is a PATCH of the configuration its
    /// `id` (or `@odata.type`) names; configurations left out stay as they are.
    pub fn apply_patch(
        &mut self,
        patch: &Value,
        ctx: &PatchContext<'_>,
    ) -> Result<(), PolicyError> {
        let mut next = self.patched(patch, Mode::Patch(ctx))?;
        next.last_modified = ctx.now();
        *self = next;
        Ok(())
    }

    /// Applies a PATCH to the configuration an id names (the
    /// `…/authenticationMethodConfigurations/{id}` path, any case) and stamps
    /// `lastModifiedDateTime`; on error nothing changes. An unknown id gives
    /// [`PolicyError::UnknownConfiguration`] (`itemNotFound`).
    pub fn patch_configuration(
        &mut self,
        id: &str,
        patch: &Value,
        ctx: &PatchContext<'_>,
    ) -> Result<(), PolicyError> {
        let which = Which::from_id(id).ok_or_else(|| unknown_configuration(id))?;
        let mut next = self.clone();
        next.patch_one(which, patch, &FieldPath::root(), Mode::Patch(ctx))?;
        next.last_modified = ctx.now();
        *self = next;
        Ok(())
    }

    /// Reads a document [`AuthenticationMethodsPolicy::to_graph_json`] wrote (as stored by the server).
    pub fn from_graph_json(document: &Value) -> Result<Self, PolicyError> {
        let obj = Object::new(document, FieldPath::root(), "a JSON object")?;
        let (value, path) = obj.require(
            "lastModifiedDateTime",
            "a stored policy needs its lastModifiedDateTime, like \"2026-07-17T10:11:12Z\"",
        )?;
        let text = patch::string(value, &path, "an RFC 3339 UTC time string")?;
        let last_modified = Timestamp::parse(text).ok_or_else(|| PolicyError::InvalidValue {
            path: path.to_string(),
            value: text.to_owned(),
            expected: "an RFC 3339 UTC time from 1970 to 9999, like \"2026-07-17T10:11:12Z\"",
        })?;
        let mut policy =
            AuthenticationMethodsPolicy::new(last_modified).patched(document, Mode::Load)?;
        policy.last_modified = last_modified;
        Ok(policy)
    }

    /// A copy with a root PATCH applied, if the result is valid; the time is not stamped.
    fn patched(&self, patch: &Value, mode: Mode<'_>) -> Result<Self, PolicyError> {
        let obj = Object::new(
            patch,
            FieldPath::root(),
            "a JSON object with the authenticationMethodsPolicy properties to change",
        )?;
        obj.only(
            "authenticationMethodsPolicy",
            &[
                "@odata.type",
                "id",
                "displayName",
                "description",
                "lastModifiedDateTime",
                "policyVersion",
                "policyMigrationState",
                "reconfirmationInDays",
                "authenticationMethodConfigurations",
            ],
        )?;
        obj.odata_type("#microsoft.graph.authenticationMethodsPolicy")?;
        obj.fixed_id(ID)?;
        for (name, current) in [
            ("displayName", DISPLAY_NAME),
            ("description", DESCRIPTION),
            ("policyVersion", POLICY_VERSION),
        ] {
            read_only_string(&obj, name, current)?;
        }
        if let Some((value, path)) = obj.get("lastModifiedDateTime") {
            if !value.is_null() {
                patch::string(
                    value,
                    &path,
                    "an RFC 3339 UTC time string (it is ignored: the server sets it)",
                )?;
            }
        }
        if let Some((value, path)) = obj.get("policyMigrationState") {
            let given = patch::string(value, &path, "the string \"migrationComplete\"")?;
            if given != MIGRATION_STATE {
                return Err(PolicyError::InvalidValue {
                    path: path.to_string(),
                    value: given.to_owned(),
                    expected: "\"migrationComplete\" (Keybound has no legacy MFA or SSPR policies to migrate from)",
                });
            }
        }
        let mut next = self.clone();
        if let Some((value, path)) = obj.get("reconfirmationInDays") {
            let days = patch::integer(value, &path, RECONFIRMATION_DAYS.1, RECONFIRMATION_DAYS.2)?;
            next.reconfirmation_in_days = u32::try_from(days).unwrap_or(RECONFIRMATION_DAYS.0);
        }
        if let Some((value, path)) = obj.get("authenticationMethodConfigurations") {
            let mut seen: Vec<Which> = Vec::new();
            for (item, item_path) in patch::array(
                value,
                &path,
                "an array of authentication method configurations",
                "authentication method configurations",
                CONFIGURATIONS,
            )? {
                let which = identify(item, &item_path)?;
                if seen.contains(&which) {
                    return Err(PolicyError::Duplicate {
                        path: item_path.to_string(),
                        value: match which {
                            Which::Fido2 => fido2::ID,
                            Which::TemporaryAccessPass => tap::ID,
                            Which::SoftwareOath => software_oath::ID,
                        }
                        .to_owned(),
                    });
                }
                seen.push(which);
                next.patch_one(which, item, &item_path, mode)?;
            }
        }
        Ok(next)
    }

    /// Applies a PATCH at `path` to one configuration.
    fn patch_one(
        &mut self,
        which: Which,
        patch: &Value,
        path: &FieldPath,
        mode: Mode<'_>,
    ) -> Result<(), PolicyError> {
        match which {
            Which::Fido2 => self.fido2 = self.fido2.patched(patch, path, mode)?,
            Which::TemporaryAccessPass => {
                self.temporary_access_pass =
                    self.temporary_access_pass.patched(patch, path, mode)?;
            }
            Which::SoftwareOath => {
                self.software_oath = self.software_oath.patched(patch, path, mode)?;
            }
        }
        Ok(())
    }
}

/// Which configuration an element of `authenticationMethodConfigurations` is, by `id` or else `@odata.type`.
fn identify(item: &Value, path: &FieldPath) -> Result<Which, PolicyError> {
    const EXPECTED: &str = "\"Fido2\", \"TemporaryAccessPass\" or \"SoftwareOath\"";
    let obj = Object::new(
        item,
        path.clone(),
        "an authentication method configuration object",
    )?;
    if let Some((value, id_path)) = obj.get("id") {
        let id = patch::string(value, &id_path, "a string naming the configuration")?;
        return Which::from_id(id).ok_or_else(|| PolicyError::InvalidValue {
            path: id_path.to_string(),
            value: id.to_owned(),
            expected: EXPECTED,
        });
    }
    if let Some((value, type_path)) = obj.get("@odata.type") {
        let name = patch::string(value, &type_path, "a string naming the OData type")?;
        return Which::from_odata_type(name).ok_or_else(|| PolicyError::InvalidValue {
            path: type_path.to_string(),
            value: name.to_owned(),
            expected:
                "the @odata.type of a Fido2, TemporaryAccessPass or SoftwareOath configuration",
        });
    }
    Err(PolicyError::Missing {
        path: path.field("id").to_string(),
        hint: "say which configuration to change with its id: \"Fido2\", \"TemporaryAccessPass\" or \"SoftwareOath\"",
    })
}

/// Accepts a read-only string property only with its current value.
fn read_only_string(
    obj: &Object<'_>,
    name: &str,
    current: &'static str,
) -> Result<(), PolicyError> {
    let Some((value, path)) = obj.get(name) else {
        return Ok(());
    };
    let given = patch::string(value, &path, "a string")?;
    if given == current {
        return Ok(());
    }
    Err(PolicyError::ReadOnly {
        path: path.to_string(),
        current: current.to_owned(),
        requested: given.to_owned(),
    })
}

/// The error for a configuration id the URL names but Keybound does not have.
fn unknown_configuration(id: &str) -> PolicyError {
    PolicyError::UnknownConfiguration {
        path: "the request URL".to_owned(),
        id: id.to_owned(),
    }
}
