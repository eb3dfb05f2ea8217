//! What every authentication method configuration has: a state, the groups it
//! includes and the groups it excludes.

use std::fmt;
use std::str::FromStr;

use serde_json::{json, Value};

use crate::error::{FieldPath, PolicyError};
use crate::patch::{self, Mode, Object};

/// The most include or exclude targets one configuration keeps.
pub(crate) const MAX_TARGETS: usize = 100;

/// The target id Graph uses for everyone in the directory.
const ALL_USERS: &str = "all_users";

/// Whether a method is on (`enabled`) or off (`disabled`), Graph's `authenticationMethodState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MethodState {
    /// The method may be used by the users it targets.
    Enabled,
    /// Nobody may register or use the method.
    Disabled,
}

impl MethodState {
    /// The Graph wire string: `enabled` or `disabled`.
    pub fn as_graph_str(self) -> &'static str {
        match self {
            MethodState::Enabled => "enabled",
            MethodState::Disabled => "disabled",
        }
    }

    /// Reads the wire string.
    pub(crate) fn parse(value: &Value, path: &FieldPath) -> Result<Self, PolicyError> {
        match patch::string(value, path, "a string, \"enabled\" or \"disabled\"")? {
            "enabled" => Ok(MethodState::Enabled),
            "disabled" => Ok(MethodState::Disabled),
            other => Err(PolicyError::InvalidValue {
                path: path.to_string(),
                value: other.to_owned(),
                expected: "\"enabled\" or \"disabled\"",
            }),
        }
    }
}

/// A directory group's id: 1 to 128 letters, digits, `.`, `_` or `-`, never `all_users`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(String);

/// What a group id looks like, for errors.
const GROUP_ID_FORM: &str =
    "a group id: 1 to 128 letters, digits, '.', '_' or '-' (such as a GUID), or all_users for everyone";

impl GroupId {
    /// The id as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the form; `all_users` is not a group but [`Target::AllUsers`].
    fn parse(text: &str, path: &FieldPath) -> Result<Self, PolicyError> {
        let well_formed = (1..=128).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && !text.eq_ignore_ascii_case(ALL_USERS);
        if !well_formed {
            return Err(PolicyError::InvalidId {
                path: path.to_string(),
                value: text.to_owned(),
                expected: GROUP_ID_FORM,
            });
        }
        Ok(GroupId(text.to_owned()))
    }
}

impl FromStr for GroupId {
    type Err = PolicyError;

    /// Parses a group id; `all_users` is refused, as it names everyone, not a group.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        GroupId::parse(text, &FieldPath::root().field("group id"))
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whom an include target names: everyone, or the members of one group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Everyone in the directory (Graph's target id `all_users`).
    AllUsers,
    /// The members of one group.
    Group(GroupId),
}

impl Target {
    /// The Graph target id: `all_users` or the group id.
    pub fn graph_id(&self) -> &str {
        match self {
            Target::AllUsers => ALL_USERS,
            Target::Group(group) => group.as_str(),
        }
    }

    /// Whether a user with these group memberships is among the target's users.
    pub fn includes(&self, memberships: &[GroupId]) -> bool {
        match self {
            Target::AllUsers => true,
            Target::Group(group) => memberships.contains(group),
        }
    }

    /// The group, if the target is one.
    pub(crate) fn group(&self) -> Option<&GroupId> {
        match self {
            Target::AllUsers => None,
            Target::Group(group) => Some(group),
        }
    }
}

/// An include target of a method without passkey profiles (Graph's `authenticationMethodTarget`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeTarget {
    target: Target,
    is_registration_required: bool,
}

impl IncludeTarget {
    /// Whom the target names.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Whether the targeted users are asked to register the method (Graph's `isRegistrationRequired`).
    pub fn is_registration_required(&self) -> bool {
        self.is_registration_required
    }

    /// Everyone, registration not required: the default of every method.
    pub(crate) fn all_users() -> Self {
        IncludeTarget {
            target: Target::AllUsers,
            is_registration_required: false,
        }
    }
}

/// The fields common to an include target, read from `obj`.
pub(crate) struct TargetFields {
    /// Whom the target names.
    pub(crate) target: Target,
    /// Graph's `isRegistrationRequired`; `false` when absent.
    pub(crate) is_registration_required: bool,
}

/// Reads `id`, `targetType` and `isRegistrationRequired` of an include target.
///
/// A group not in `known` (already targeted) must exist in the directory.
pub(crate) fn read_include_fields(
    obj: &Object<'_>,
    mode: Mode<'_>,
    known: &dyn Fn(&GroupId) -> bool,
) -> Result<TargetFields, PolicyError> {
    let target = read_target(obj, mode, known)?;
    let is_registration_required = match obj.get("isRegistrationRequired") {
        Some((value, path)) => patch::boolean(value, &path)?,
        None => false,
    };
    Ok(TargetFields {
        target,
        is_registration_required,
    })
}

/// Reads `id` and `targetType` into a [`Target`].
fn read_target(
    obj: &Object<'_>,
    mode: Mode<'_>,
    known: &dyn Fn(&GroupId) -> bool,
) -> Result<Target, PolicyError> {
    read_target_type(obj)?;
    let (value, path) = obj.require(
        "id",
        "give the target's id: all_users for everyone, or a group id",
    )?;
    let id = patch::string(value, &path, "a string: all_users or a group id")?;
    if id.eq_ignore_ascii_case(ALL_USERS) {
        return Ok(Target::AllUsers);
    }
    let group = GroupId::parse(id, &path)?;
    if !known(&group) {
        mode.check_group(&group, &path)?;
    }
    Ok(Target::Group(group))
}

/// Accepts a `targetType` of `group` (or none) and refuses `user`.
fn read_target_type(obj: &Object<'_>) -> Result<(), PolicyError> {
    let Some((value, path)) = obj.get("targetType") else {
        return Ok(());
    };
    match patch::string(value, &path, "a string, \"group\"")? {
        "group" => Ok(()),
        other => Err(PolicyError::InvalidValue {
            path: path.to_string(),
            value: other.to_owned(),
            expected: "\"group\" (Keybound targets groups; Microsoft no longer recommends \"user\" targets, so Keybound does not take them)",
        }),
    }
}

/// Reads an `includeTargets` list of plain targets (TAP, software OATH).
pub(crate) fn read_include_targets(
    value: &Value,
    path: &FieldPath,
    mode: Mode<'_>,
    known: &dyn Fn(&GroupId) -> bool,
) -> Result<Vec<IncludeTarget>, PolicyError> {
    let mut targets: Vec<IncludeTarget> = Vec::new();
    for (item, item_path) in patch::array(
        value,
        path,
        "an array of include targets",
        "include targets",
        MAX_TARGETS,
    )? {
        let obj = Object::new(
            item,
            item_path,
            "an object like {\"id\": \"all_users\", \"targetType\": \"group\", \"isRegistrationRequired\": false}",
        )?;
        obj.only(
            "authenticationMethodTarget",
            &["@odata.type", "id", "targetType", "isRegistrationRequired"],
        )?;
        obj.odata_type("#microsoft.graph.authenticationMethodTarget")?;
        let fields = read_include_fields(&obj, mode, known)?;
        if targets.iter().any(|t| t.target == fields.target) {
            return Err(duplicate_target(obj.path(), &fields.target));
        }
        targets.push(IncludeTarget {
            target: fields.target,
            is_registration_required: fields.is_registration_required,
        });
    }
    Ok(targets)
}

/// Reads an `excludeTargets` list: groups only.
pub(crate) fn read_exclude_targets(
    value: &Value,
    path: &FieldPath,
    mode: Mode<'_>,
    known: &dyn Fn(&GroupId) -> bool,
) -> Result<Vec<GroupId>, PolicyError> {
    let mut groups: Vec<GroupId> = Vec::new();
    for (item, item_path) in patch::array(
        value,
        path,
        "an array of exclude targets",
        "exclude targets",
        MAX_TARGETS,
    )? {
        let obj = Object::new(
            item,
            item_path,
            "an object like {\"id\": \"<group id>\", \"targetType\": \"group\"}",
        )?;
        obj.only("excludeTarget", &["@odata.type", "id", "targetType"])?;
        obj.odata_type("#microsoft.graph.excludeTarget")?;
        let target = read_target(&obj, mode, known)?;
        let Target::Group(group) = target else {
            return Err(PolicyError::InvalidValue {
                path: obj.path().field("id").to_string(),
                value: ALL_USERS.to_owned(),
                expected: "a group id (to turn the method off for everyone, set state to \"disabled\" instead of excluding all_users)",
            });
        };
        if groups.contains(&group) {
            return Err(duplicate_target(obj.path(), &Target::Group(group)));
        }
        groups.push(group);
    }
    Ok(groups)
}

/// The error for a target listed twice.
pub(crate) fn duplicate_target(path: &FieldPath, target: &Target) -> PolicyError {
    PolicyError::Duplicate {
        path: path.field("id").to_string(),
        value: target.graph_id().to_owned(),
    }
}

/// The Graph JSON of a plain include target.
pub(crate) fn include_target_json(target: &IncludeTarget) -> Value {
    json!({
        "targetType": "group",
        "id": target.target.graph_id(),
        "isRegistrationRequired": target.is_registration_required,
    })
}

/// The Graph JSON of an exclude list.
pub(crate) fn exclude_targets_json(groups: &[GroupId]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| json!({ "id": g.as_str(), "targetType": "group" }))
            .collect(),
    )
}

/// Whether `memberships` puts the user in any of `excluded`, and which group does.
pub(crate) fn excluded_by<'g>(
    excluded: &'g [GroupId],
    memberships: &[GroupId],
) -> Option<&'g GroupId> {
    excluded.iter().find(|g| memberships.contains(g))
}

/// Enabled, included and not excluded: whether a plain method applies to a user.
pub(crate) fn applies(
    state: MethodState,
    include: &[IncludeTarget],
    exclude: &[GroupId],
    memberships: &[GroupId],
) -> bool {
    state == MethodState::Enabled
        && excluded_by(exclude, memberships).is_none()
        && include.iter().any(|t| t.target.includes(memberships))
}
