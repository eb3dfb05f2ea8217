//! The software OATH token configuration, Graph's
//! `softwareOathAuthenticationMethodConfiguration`, and its Graph JSON both ways.

use serde_json::{json, Value};

use crate::error::{FieldPath, PolicyError};
use crate::method::{self, GroupId, IncludeTarget, MethodState};
use crate::patch::{Mode, Object, PatchContext};

/// The `@odata.type` of the configuration.
const ODATA_TYPE: &str = "#microsoft.graph.softwareOathAuthenticationMethodConfiguration";
/// The configuration's fixed id.
pub(crate) const ID: &str = "SoftwareOath";

/// The software OATH token method's configuration (id `SoftwareOath`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftwareOathConfiguration {
    state: MethodState,
    include_targets: Vec<IncludeTarget>,
    exclude_targets: Vec<GroupId>,
}

impl Default for SoftwareOathConfiguration {
    /// Enabled for all users.
    fn default() -> Self {
        SoftwareOathConfiguration {
            state: MethodState::Enabled,
            include_targets: vec![IncludeTarget::all_users()],
            exclude_targets: Vec::new(),
        }
    }
}

impl SoftwareOathConfiguration {
    /// Whether the method is on.
    pub fn state(&self) -> MethodState {
        self.state
    }

    /// The groups (or everyone) the method is enabled for.
    pub fn include_targets(&self) -> &[IncludeTarget] {
        &self.include_targets
    }

    /// The groups that may not use the method, whatever they are included by.
    pub fn exclude_targets(&self) -> &[GroupId] {
        &self.exclude_targets
    }

    /// Whether a user with these group memberships may register and use a
    /// software OATH token: enabled, included and not excluded.
    pub fn is_usable_by(&self, memberships: &[GroupId]) -> bool {
        method::applies(
            self.state,
            &self.include_targets,
            &self.exclude_targets,
            memberships,
        )
    }

    /// The configuration in Graph's wire shape.
    pub fn to_graph_json(&self) -> Value {
        json!({
            "@odata.type": ODATA_TYPE,
            "id": ID,
            "state": self.state.as_graph_str(),
            "includeTargets": self.include_targets.iter().map(method::include_target_json).collect::<Vec<_>>(),
            "excludeTargets": method::exclude_targets_json(&self.exclude_targets),
        })
    }

    /// Applies a Graph PATCH body; absent properties stay, target lists are
    /// replaced, groups new to the configuration must exist. On error nothing changes.
    pub fn apply_patch(
        &mut self,
        patch: &Value,
        ctx: &PatchContext<'_>,
    ) -> Result<(), PolicyError> {
        *self = self.patched(patch, &FieldPath::root(), Mode::Patch(ctx))?;
        Ok(())
    }

    /// Reads a document [`SoftwareOathConfiguration::to_graph_json`] wrote.
    pub fn from_graph_json(document: &Value) -> Result<Self, PolicyError> {
        SoftwareOathConfiguration::default().patched(document, &FieldPath::root(), Mode::Load)
    }

    /// A copy with `patch` applied, if the result is valid.
    pub(crate) fn patched(
        &self,
        patch: &Value,
        path: &FieldPath,
        mode: Mode<'_>,
    ) -> Result<Self, PolicyError> {
        let obj = Object::new(
            patch,
            path.clone(),
            "a JSON object with the softwareOathAuthenticationMethodConfiguration properties to change",
        )?;
        obj.only(
            "softwareOathAuthenticationMethodConfiguration",
            &[
                "@odata.type",
                "id",
                "state",
                "includeTargets",
                "excludeTargets",
            ],
        )?;
        obj.odata_type(ODATA_TYPE)?;
        obj.fixed_id(ID)?;
        let mut next = self.clone();
        if let Some((value, path)) = obj.get("state") {
            next.state = MethodState::parse(value, &path)?;
        }
        let known = |group: &GroupId| {
            self.exclude_targets.contains(group)
                || self
                    .include_targets
                    .iter()
                    .any(|t| t.target().group() == Some(group))
        };
        if let Some((value, path)) = obj.get("includeTargets") {
            next.include_targets = method::read_include_targets(value, &path, mode, &known)?;
        }
        if let Some((value, path)) = obj.get("excludeTargets") {
            next.exclude_targets = method::read_exclude_targets(value, &path, mode, &known)?;
        }
        Ok(next)
    }
}
