//! The Temporary Access Pass configuration, Graph's
//! `temporaryAccessPassAuthenticationMethodConfiguration`, and its Graph JSON both ways.

use serde_json::{json, Value};

use crate::error::{FieldPath, PolicyError};
use crate::method::{self, GroupId, IncludeTarget, MethodState};
use crate::patch::{self, Mode, Object, PatchContext};

/// The `@odata.type` of the configuration.
const ODATA_TYPE: &str = "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";
/// The configuration's fixed id.
pub(crate) const ID: &str = "TemporaryAccessPass";
/// The shortest and longest lifetime a pass may have, in minutes (10 minutes to 30 days).
const LIFETIME_RANGE: (i64, i64) = (10, 43_200);
/// The shortest and longest pass, in characters.
const LENGTH_RANGE: (i64, i64) = (8, 48);

/// The Temporary Access Pass method's configuration (id `TemporaryAccessPass`).
///
/// Always valid: every lifetime lies in 10..=43200 minutes with
/// minimum ≤ default ≤ maximum, and the length lies in 8..=48.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemporaryAccessPassConfiguration {
    state: MethodState,
    default_lifetime_in_minutes: u32,
    minimum_lifetime_in_minutes: u32,
    maximum_lifetime_in_minutes: u32,
    default_length: u32,
    is_usable_once: bool,
    include_targets: Vec<IncludeTarget>,
    exclude_targets: Vec<GroupId>,
}

impl Default for TemporaryAccessPassConfiguration {
    /// Enabled for all users; lifetimes 60 (minimum), 60 (default) and 480 (maximum)
    /// minutes; 8 characters; each pass chooses whether it is one-time.
    fn default() -> Self {
        TemporaryAccessPassConfiguration {
            state: MethodState::Enabled,
            default_lifetime_in_minutes: 60,
            minimum_lifetime_in_minutes: 60,
            maximum_lifetime_in_minutes: 480,
            default_length: 8,
            is_usable_once: false,
            include_targets: vec![IncludeTarget::all_users()],
            exclude_targets: Vec::new(),
        }
    }
}

impl TemporaryAccessPassConfiguration {
    /// Whether the method is on.
    pub fn state(&self) -> MethodState {
        self.state
    }

    /// The lifetime of a pass that asks for none, in minutes.
    pub fn default_lifetime_in_minutes(&self) -> u32 {
        self.default_lifetime_in_minutes
    }

    /// The shortest lifetime a pass may ask for, in minutes.
    pub fn minimum_lifetime_in_minutes(&self) -> u32 {
        self.minimum_lifetime_in_minutes
    }

    /// The longest lifetime a pass may ask for, in minutes.
    pub fn maximum_lifetime_in_minutes(&self) -> u32 {
        self.maximum_lifetime_in_minutes
    }

    /// How many characters a pass has.
    pub fn default_length(&self) -> u32 {
        self.default_length
    }

    /// `true`: every pass is one-time; `false`: each pass chooses.
    pub fn is_usable_once(&self) -> bool {
        self.is_usable_once
    }

    /// The groups (or everyone) the method is enabled for.
    pub fn include_targets(&self) -> &[IncludeTarget] {
        &self.include_targets
    }

    /// The groups that may not use a pass, whatever they are included by.
    pub fn exclude_targets(&self) -> &[GroupId] {
        &self.exclude_targets
    }

    /// Whether a user with these group memberships may sign in with a pass:
    /// the method is enabled, a target includes the user and none excludes them.
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
            "defaultLifetimeInMinutes": self.default_lifetime_in_minutes,
            "defaultLength": self.default_length,
            "minimumLifetimeInMinutes": self.minimum_lifetime_in_minutes,
            "maximumLifetimeInMinutes": self.maximum_lifetime_in_minutes,
            "isUsableOnce": self.is_usable_once,
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

    /// Reads a document [`TemporaryAccessPassConfiguration::to_graph_json`] wrote.
    pub fn from_graph_json(document: &Value) -> Result<Self, PolicyError> {
        TemporaryAccessPassConfiguration::default().patched(
            document,
            &FieldPath::root(),
            Mode::Load,
        )
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
            "a JSON object with the temporaryAccessPassAuthenticationMethodConfiguration properties to change",
        )?;
        obj.only(
            "temporaryAccessPassAuthenticationMethodConfiguration",
            &[
                "@odata.type",
                "id",
                "state",
                "defaultLifetimeInMinutes",
                "defaultLength",
                "minimumLifetimeInMinutes",
                "maximumLifetimeInMinutes",
                "isUsableOnce",
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
        let minutes = |name: &str| -> Result<Option<u32>, PolicyError> {
            obj.get(name)
                .map(|(value, path)| {
                    let n = patch::integer(value, &path, LIFETIME_RANGE.0, LIFETIME_RANGE.1)?;
                    Ok(u32::try_from(n).unwrap_or(u32::MAX))
                })
                .transpose()
        };
        let default = minutes("defaultLifetimeInMinutes")?;
        let maximum = minutes("maximumLifetimeInMinutes")?;
        let minimum = minutes("minimumLifetimeInMinutes")?;
        next.default_lifetime_in_minutes = default.unwrap_or(next.default_lifetime_in_minutes);
        next.maximum_lifetime_in_minutes = maximum.unwrap_or(next.maximum_lifetime_in_minutes);
        next.minimum_lifetime_in_minutes = minimum.unwrap_or(next.minimum_lifetime_in_minutes);
        if !(next.minimum_lifetime_in_minutes <= next.default_lifetime_in_minutes
            && next.default_lifetime_in_minutes <= next.maximum_lifetime_in_minutes)
        {
            let changed = [
                (default, "defaultLifetimeInMinutes"),
                (maximum, "maximumLifetimeInMinutes"),
                (minimum, "minimumLifetimeInMinutes"),
            ]
            .into_iter()
            .find_map(|(given, name)| given.map(|_| name))
            .unwrap_or("defaultLifetimeInMinutes");
            return Err(PolicyError::LifetimeOrder {
                path: obj.path().field(changed).to_string(),
                minimum: next.minimum_lifetime_in_minutes,
                default: next.default_lifetime_in_minutes,
                maximum: next.maximum_lifetime_in_minutes,
            });
        }
        if let Some((value, path)) = obj.get("defaultLength") {
            let n = patch::integer(value, &path, LENGTH_RANGE.0, LENGTH_RANGE.1)?;
            next.default_length = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some((value, path)) = obj.get("isUsableOnce") {
            next.is_usable_once = patch::boolean(value, &path)?;
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
