//! Why a policy document or PATCH was refused.

use std::fmt;

/// Where in a JSON body a problem sits, such as `passkeyProfiles[1].keyRestrictions.aaGuids[3]`.
///
/// Empty for the body itself, shown then as `the request body`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(String);

impl FieldPath {
    /// The body itself.
    pub(crate) fn root() -> Self {
        FieldPath(String::new())
    }

    /// The property `name` of the object at this path.
    pub(crate) fn field(&self, name: &str) -> Self {
        if self.0.is_empty() {
            FieldPath(name.to_owned())
        } else {
            FieldPath(format!("{}.{name}", self.0))
        }
    }

    /// The element `index` of the array at this path.
    pub(crate) fn index(&self, index: usize) -> Self {
        FieldPath(format!("{}[{index}]", self.0))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the request body")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// Why a policy document or PATCH was refused; the configuration is left unchanged.
///
/// Every variant names the JSON field it is about ([`PolicyError::path`]), and
/// its message says what was wrong and how to fix it. [`PolicyError::code`] is
/// the Microsoft Graph error code to answer with (`badRequest` for everything
/// a client can fix) and [`PolicyError::detail_code`] a finer stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// A value has the wrong JSON type (a string where a boolean belongs, a body that is not an object).
    #[error("{path} must be {expected}; fix the value and send the request again")]
    WrongType {
        /// The field.
        path: String,
        /// What belongs there, such as `a boolean (true or false)`.
        expected: &'static str,
    },
    /// The object has a property this type does not have.
    #[error(
        "{path} has the property `{property}`, which {owner} does not have; remove it{suggestion}"
    )]
    UnknownProperty {
        /// The object holding the property (`the request body` at the top).
        path: String,
        /// The property as written.
        property: String,
        /// The type, such as `fido2AuthenticationMethodConfiguration`.
        owner: &'static str,
        /// `, or write …` when only the letter case was wrong; otherwise empty.
        suggestion: String,
    },
    /// A read-only property was given a value other than the one it has.
    #[error("{path} is read-only and is `{current}`, but the request sets `{requested}`; leave it out or send the current value")]
    ReadOnly {
        /// The field.
        path: String,
        /// Its value, which cannot change.
        current: String,
        /// The value the request asked for.
        requested: String,
    },
    /// A string is not one of the values the field takes.
    #[error("{path} is `{value}`, which is not allowed; use {expected}")]
    InvalidValue {
        /// The field.
        path: String,
        /// The value as written.
        value: String,
        /// The values it takes, in a phrase such as `"allow" or "block"`.
        expected: &'static str,
    },
    /// An AAGUID is malformed.
    #[error("{path} is `{value}`, which is not an AAGUID; write it as 32 hexadecimal digits in the 8-4-4-4-12 form, like 90a3ccdf-635c-4729-a248-9b709135078f")]
    InvalidAaguid {
        /// The field.
        path: String,
        /// The value as written.
        value: String,
    },
    /// A group or profile id is malformed.
    #[error("{path} is `{value}`, which is not {expected}")]
    InvalidId {
        /// The field.
        path: String,
        /// The value as written.
        value: String,
        /// What an id of this kind looks like.
        expected: &'static str,
    },
    /// A target names a group the directory does not have.
    #[error("{path} names the group `{group}`, which does not exist; create the group first or use an existing group's id")]
    UnknownGroup {
        /// The field.
        path: String,
        /// The group id as written.
        group: String,
    },
    /// A list is longer than Keybound keeps.
    #[error("{path} has {count} {what}, more than the {limit} allowed; remove some, or split them across passkey profiles or groups")]
    TooMany {
        /// The list.
        path: String,
        /// What the list holds, such as `AAGUIDs`.
        what: &'static str,
        /// How many the request sent.
        count: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A list names the same thing twice.
    #[error("{path} repeats `{value}`, which is already listed; remove the repeated entry")]
    Duplicate {
        /// The repeated entry.
        path: String,
        /// The value that repeats.
        value: String,
    },
    /// A number is outside the range the field takes.
    #[error("{path} is {value}, but it must be between {min} and {max}")]
    OutOfRange {
        /// The field.
        path: String,
        /// The value as written.
        value: i64,
        /// The smallest allowed.
        min: i64,
        /// The largest allowed.
        max: i64,
    },
    /// The Temporary Access Pass lifetimes are not ordered minimum ≤ default ≤ maximum.
    #[error("{path}: the lifetimes must satisfy minimumLifetimeInMinutes ≤ defaultLifetimeInMinutes ≤ maximumLifetimeInMinutes, but they would be {minimum} ≤ {default} ≤ {maximum}; change them so that the default lies between the minimum and the maximum")]
    LifetimeOrder {
        /// The lifetime field the request changed.
        path: String,
        /// The minimum lifetime, in minutes.
        minimum: u32,
        /// The default lifetime, in minutes.
        default: u32,
        /// The maximum lifetime, in minutes.
        maximum: u32,
    },
    /// A property that a new object needs is missing.
    #[error("{path} is missing; {hint}")]
    Missing {
        /// The missing field.
        path: String,
        /// What to send, in a sentence.
        hint: &'static str,
    },
    /// An include target allows no passkey profile.
    #[error("{path}: Include conditions are missing passkey profile targets; list at least one passkey profile id in allowedPasskeyProfiles, such as the default profile 00000000-0000-0000-0000-000000000001")]
    MissingProfileTargets {
        /// The target's `allowedPasskeyProfiles`.
        path: String,
    },
    /// A profile id that no profile has.
    #[error("{path} is `{profile}`, but no passkey profile has that id; use the id of an existing profile (to create a profile, send it in passkeyProfiles without an id)")]
    UnknownProfile {
        /// The field.
        path: String,
        /// The id as written.
        profile: String,
    },
    /// The request would delete the default passkey profile.
    #[error("{path} leaves out the default passkey profile (00000000-0000-0000-0000-000000000001), which cannot be deleted; include it in the list")]
    DefaultProfileRemoved {
        /// The `passkeyProfiles` list.
        path: String,
    },
    /// The request would rename the default passkey profile.
    #[error("{path} renames the default passkey profile to `{name}`, but it cannot be renamed; keep the name \"Default passkey profile\"")]
    DefaultProfileRenamed {
        /// The default profile's `name`.
        path: String,
        /// The name the request asked for.
        name: String,
    },
    /// The request would delete a profile an include target still allows.
    #[error("{path} still allows the passkey profile “{name}” ({profile}), so it cannot be deleted; remove it from that target's allowedPasskeyProfiles in the same request, or keep the profile")]
    ProfileInUse {
        /// The target's `allowedPasskeyProfiles` entry naming the profile.
        path: String,
        /// The profile's id.
        profile: String,
        /// The profile's name.
        name: String,
    },
    /// A legacy field and the default profile in the same request disagree.
    #[error("{path} mirrors the default passkey profile, but the request gives the default profile a different value in passkeyProfiles; send only one of them, or the same value in both")]
    ConflictingLegacySetting {
        /// The legacy field.
        path: String,
    },
    /// The request names an authentication method configuration Keybound does not have.
    #[error("{path}: there is no authentication method configuration `{id}`; Keybound has Fido2, TemporaryAccessPass and SoftwareOath")]
    UnknownConfiguration {
        /// Where the id was given (`the request body` when it came from the URL).
        path: String,
        /// The id as written.
        id: String,
    },
    /// The caller's id generator kept returning ids already in use.
    #[error("{path}: could not create a passkey profile because the id generator kept returning ids already in use; this is a server fault, try again later")]
    ProfileIdsExhausted {
        /// The new profile.
        path: String,
    },
}

impl PolicyError {
    /// The Microsoft Graph error code: `badRequest` for anything the client can fix,
    /// `itemNotFound` for an unknown configuration, `generalException` for a server fault.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::UnknownConfiguration { .. } => "itemNotFound",
            PolicyError::ProfileIdsExhausted { .. } => "generalException",
            _ => "badRequest",
        }
    }

    /// The HTTP status to answer with: 400, 404 or 500, matching [`PolicyError::code`].
    pub fn status(&self) -> u16 {
        match self {
            PolicyError::UnknownConfiguration { .. } => 404,
            PolicyError::ProfileIdsExhausted { .. } => 500,
            _ => 400,
        }
    }

    /// A stable code for this kind of refusal, finer than [`PolicyError::code`], such as `invalid_aaguid`.
    pub fn detail_code(&self) -> &'static str {
        match self {
            PolicyError::WrongType { .. } => "wrong_type",
            PolicyError::UnknownProperty { .. } => "unknown_property",
            PolicyError::ReadOnly { .. } => "read_only",
            PolicyError::InvalidValue { .. } => "invalid_value",
            PolicyError::InvalidAaguid { .. } => "invalid_aaguid",
            PolicyError::InvalidId { .. } => "invalid_id",
            PolicyError::UnknownGroup { .. } => "unknown_group",
            PolicyError::TooMany { .. } => "too_many",
            PolicyError::Duplicate { .. } => "duplicate",
            PolicyError::OutOfRange { .. } => "out_of_range",
            PolicyError::LifetimeOrder { .. } => "lifetime_order",
            PolicyError::Missing { .. } => "missing_property",
            PolicyError::MissingProfileTargets { .. } => "missing_passkey_profile_targets",
            PolicyError::UnknownProfile { .. } => "unknown_profile",
            PolicyError::DefaultProfileRemoved { .. } => "default_profile_required",
            PolicyError::DefaultProfileRenamed { .. } => "default_profile_renamed",
            PolicyError::ProfileInUse { .. } => "profile_in_use",
            PolicyError::ConflictingLegacySetting { .. } => "conflicting_legacy_setting",
            PolicyError::UnknownConfiguration { .. } => "unknown_configuration",
            PolicyError::ProfileIdsExhausted { .. } => "profile_ids_exhausted",
        }
    }

    /// The JSON field the refusal is about, such as `passkeyProfiles[1].keyRestrictions.aaGuids[3]`;
    /// `the request body` for the body itself.
    pub fn path(&self) -> &str {
        match self {
            PolicyError::WrongType { path, .. }
            | PolicyError::UnknownProperty { path, .. }
            | PolicyError::ReadOnly { path, .. }
            | PolicyError::InvalidValue { path, .. }
            | PolicyError::InvalidAaguid { path, .. }
            | PolicyError::InvalidId { path, .. }
            | PolicyError::UnknownGroup { path, .. }
            | PolicyError::TooMany { path, .. }
            | PolicyError::Duplicate { path, .. }
            | PolicyError::OutOfRange { path, .. }
            | PolicyError::LifetimeOrder { path, .. }
            | PolicyError::Missing { path, .. }
            | PolicyError::MissingProfileTargets { path }
            | PolicyError::UnknownProfile { path, .. }
            | PolicyError::DefaultProfileRemoved { path }
            | PolicyError::DefaultProfileRenamed { path, .. }
            | PolicyError::ProfileInUse { path, .. }
            | PolicyError::ConflictingLegacySetting { path }
            | PolicyError::UnknownConfiguration { path, .. }
            | PolicyError::ProfileIdsExhausted { path } => path,
        }
    }
}
