//! Graph PATCH semantics shared by every configuration: the caller's context,
//! and readers that check a JSON value's type and say where it sits.
//!
//! A PATCH leaves out what it does not change. Every configuration applies a
//! PATCH to a copy and replaces itself only when the whole copy is valid, so a
//! refused PATCH changes nothing.

use serde_json::{Map, Value};

use crate::error::{FieldPath, PolicyError};
use crate::fido2::ProfileId;
use crate::method::GroupId;
use crate::timestamp::Timestamp;

/// What a PATCH needs from the server: the directory's groups, new profile ids and the time.
///
/// The crate reads no database, generates no random ids and reads no clock;
/// the caller passes these in, so a PATCH is deterministic in tests.
pub struct PatchContext<'a> {
    group_exists: &'a dyn Fn(&GroupId) -> bool,
    new_profile_id: &'a dyn Fn() -> ProfileId,
    now: Timestamp,
}

impl<'a> PatchContext<'a> {
    /// A context from a group look-up, a generator of fresh profile ids (random
    /// v4 UUIDs in the server) and the request's time.
    ///
    /// `group_exists` is asked only about groups a PATCH adds as targets, so a
    /// PATCH that leaves a since-deleted group in place still succeeds.
    /// `new_profile_id` is called once per new passkey profile; an id that is
    /// already in use is discarded and the generator asked again.
    pub fn new(
        group_exists: &'a dyn Fn(&GroupId) -> bool,
        new_profile_id: &'a dyn Fn() -> ProfileId,
        now: Timestamp,
    ) -> Self {
        PatchContext {
            group_exists,
            new_profile_id,
            now,
        }
    }

    /// The request's time, which a root-policy change records as `lastModifiedDateTime`.
    pub fn now(&self) -> Timestamp {
        self.now
    }
}

/// Whether a body is a client's PATCH or a stored document being loaded.
#[derive(Clone, Copy)]
pub(crate) enum Mode<'a> {
    /// A client's PATCH: new groups must exist, new profiles get generated ids.
    Patch(&'a PatchContext<'a>),
    /// A document this crate wrote earlier: ids and groups are taken as they are.
    Load,
}

impl Mode<'_> {
    /// Whether a stored document is being loaded.
    pub(crate) fn is_load(self) -> bool {
        matches!(self, Mode::Load)
    }

    /// Refuses a group the directory does not have; loading trusts the stored document.
    pub(crate) fn check_group(self, group: &GroupId, path: &FieldPath) -> Result<(), PolicyError> {
        match self {
            Mode::Patch(ctx) if !(ctx.group_exists)(group) => Err(PolicyError::UnknownGroup {
                path: path.to_string(),
                group: group.as_str().to_owned(),
            }),
            _ => Ok(()),
        }
    }

    /// A fresh profile id not among `taken`, or `None` if the generator gave only taken ids.
    pub(crate) fn new_profile_id(self, taken: &[ProfileId]) -> Option<ProfileId> {
        /// How often a colliding generator is asked again before giving up.
        const ATTEMPTS: usize = 16;
        let Mode::Patch(ctx) = self else {
            return None;
        };
        (0..ATTEMPTS)
            .map(|_| (ctx.new_profile_id)())
            .find(|id| *id != ProfileId::DEFAULT && !taken.contains(id))
    }
}

/// A JSON object being read, with its path for errors.
pub(crate) struct Object<'v> {
    fields: &'v Map<String, Value>,
    path: FieldPath,
}

impl<'v> Object<'v> {
    /// Reads `value` as an object; `expected` says what object belongs there.
    pub(crate) fn new(
        value: &'v Value,
        path: FieldPath,
        expected: &'static str,
    ) -> Result<Self, PolicyError> {
        match value {
            Value::Object(fields) => Ok(Object { fields, path }),
            _ => Err(PolicyError::WrongType {
                path: path.to_string(),
                expected,
            }),
        }
    }

    /// The object's path.
    pub(crate) fn path(&self) -> &FieldPath {
        &self.path
    }

    /// Refuses properties other than `known`; OData instance annotations
    /// (`@odata.context`, `includeTargets@odata.context`) are ignored.
    pub(crate) fn only(&self, owner: &'static str, known: &[&str]) -> Result<(), PolicyError> {
        for name in self.fields.keys() {
            if known.contains(&name.as_str()) || (name.contains('@') && name != "@odata.type") {
                continue;
            }
            let suggestion = known
                .iter()
                .find(|k| k.eq_ignore_ascii_case(name))
                .map(|k| format!(", or write it as `{k}`"))
                .unwrap_or_default();
            return Err(PolicyError::UnknownProperty {
                path: self.path.to_string(),
                property: name.clone(),
                owner,
                suggestion,
            });
        }
        Ok(())
    }

    /// The property `name` and its path, if the object has it.
    pub(crate) fn get(&self, name: &str) -> Option<(&'v Value, FieldPath)> {
        self.fields
            .get(name)
            .map(|value| (value, self.path.field(name)))
    }

    /// The property `name` and its path, or an error saying what to send.
    pub(crate) fn require(
        &self,
        name: &str,
        hint: &'static str,
    ) -> Result<(&'v Value, FieldPath), PolicyError> {
        match self.get(name) {
            Some((Value::Null, _)) | None => Err(PolicyError::Missing {
                path: self.path.field(name).to_string(),
                hint,
            }),
            Some(found) => Ok(found),
        }
    }

    /// Accepts an `@odata.type` naming `type_name` (with or without `#`) and refuses any other.
    pub(crate) fn odata_type(&self, type_name: &'static str) -> Result<(), PolicyError> {
        let Some((value, path)) = self.get("@odata.type") else {
            return Ok(());
        };
        let given = string(value, &path, "a string naming the OData type")?;
        let bare = type_name.trim_start_matches('#');
        if given.trim_start_matches('#') == bare {
            return Ok(());
        }
        Err(PolicyError::ReadOnly {
            path: path.to_string(),
            current: type_name.to_owned(),
            requested: given.to_owned(),
        })
    }

    /// Accepts an `id` equal to `id` (ignoring case, as Graph does) and refuses any other.
    pub(crate) fn fixed_id(&self, id: &'static str) -> Result<(), PolicyError> {
        let Some((value, path)) = self.get("id") else {
            return Ok(());
        };
        let given = string(value, &path, "a string")?;
        if given.eq_ignore_ascii_case(id) {
            return Ok(());
        }
        Err(PolicyError::ReadOnly {
            path: path.to_string(),
            current: id.to_owned(),
            requested: given.to_owned(),
        })
    }
}

/// A boolean.
pub(crate) fn boolean(value: &Value, path: &FieldPath) -> Result<bool, PolicyError> {
    value.as_bool().ok_or_else(|| PolicyError::WrongType {
        path: path.to_string(),
        expected: "a boolean (true or false)",
    })
}

/// A string; `expected` says what string belongs there.
pub(crate) fn string<'v>(
    value: &'v Value,
    path: &FieldPath,
    expected: &'static str,
) -> Result<&'v str, PolicyError> {
    value.as_str().ok_or_else(|| PolicyError::WrongType {
        path: path.to_string(),
        expected,
    })
}

/// An integer in `min..=max`.
pub(crate) fn integer(
    value: &Value,
    path: &FieldPath,
    min: i64,
    max: i64,
) -> Result<i64, PolicyError> {
    let number = value.as_i64().ok_or_else(|| PolicyError::WrongType {
        path: path.to_string(),
        expected: "a whole number",
    })?;
    if number < min || number > max {
        return Err(PolicyError::OutOfRange {
            path: path.to_string(),
            value: number,
            min,
            max,
        });
    }
    Ok(number)
}

/// An array of at most `limit` elements, each with its path.
pub(crate) fn array<'v>(
    value: &'v Value,
    path: &FieldPath,
    expected: &'static str,
    what: &'static str,
    limit: usize,
) -> Result<impl Iterator<Item = (&'v Value, FieldPath)> + 'v, PolicyError> {
    let Value::Array(items) = value else {
        return Err(PolicyError::WrongType {
            path: path.to_string(),
            expected,
        });
    };
    if items.len() > limit {
        return Err(PolicyError::TooMany {
            path: path.to_string(),
            what,
            count: items.len(),
            limit,
        });
    }
    let path = path.clone();
    Ok(items
        .iter()
        .enumerate()
        .map(move |(i, item)| (item, path.index(i))))
}
