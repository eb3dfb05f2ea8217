//! The Passkey (FIDO2) configuration, Graph's `fido2AuthenticationMethodConfiguration`
//! with passkey profiles (v1.0, 2026), and its Graph JSON both ways.

use std::fmt;
use std::str::FromStr;

use keybound_webauthn::Aaguid;
use serde_json::{json, Value};

use crate::error::{FieldPath, PolicyError};
use crate::method::{self, GroupId, MethodState, Target};
use crate::patch::{self, Mode, Object, PatchContext};

/// The `@odata.type` of the configuration.
const ODATA_TYPE: &str = "#microsoft.graph.fido2AuthenticationMethodConfiguration";
/// The configuration's fixed id.
pub(crate) const ID: &str = "Fido2";
/// The name of the default passkey profile, which cannot change.
pub(crate) const DEFAULT_PROFILE_NAME: &str = "Default passkey profile";
/// The most passkey profiles one configuration keeps (Entra keeps 3; Keybound is less strict).
const MAX_PROFILES: usize = 50;
/// The most AAGUIDs one profile's key restrictions keep.
const MAX_AAGUIDS: usize = 500;
/// The longest profile name, in characters.
const MAX_NAME_CHARS: usize = 100;

/// What a profile id looks like, for errors.
const PROFILE_ID_FORM: &str =
    "a passkey profile id: a GUID in the 8-4-4-4-12 form, like 00000000-0000-0000-0000-000000000001";

/// A passkey profile's id, a GUID (Graph's `Edm.Guid`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProfileId([u8; 16]);

impl ProfileId {
    /// The default passkey profile, `00000000-0000-0000-0000-000000000001`; it always exists.
    pub const DEFAULT: ProfileId = ProfileId([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);

    /// The id with these 16 bytes, in the order the hyphenated form shows them.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        ProfileId(bytes)
    }

    /// The 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Reads the hyphenated form, any case.
    fn parse(text: &str, path: &FieldPath) -> Result<Self, PolicyError> {
        let invalid = || PolicyError::InvalidId {
            path: path.to_string(),
            value: text.to_owned(),
            expected: PROFILE_ID_FORM,
        };
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lengths != [8, 4, 4, 4, 12] {
            return Err(invalid());
        }
        let mut bytes = [0u8; 16];
        let mut digits = text.chars().filter(|c| *c != '-').map(|c| c.to_digit(16));
        for byte in &mut bytes {
            let (Some(Some(hi)), Some(Some(lo))) = (digits.next(), digits.next()) else {
                return Err(invalid());
            };
            *byte = u8::try_from(hi * 16 + lo).map_err(|_| invalid())?;
        }
        Ok(ProfileId(bytes))
    }
}

impl FromStr for ProfileId {
    type Err = PolicyError;

    /// Parses the hyphenated GUID form, any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ProfileId::parse(text, &FieldPath::root().field("passkey profile id"))
    }
}

impl fmt::Display for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProfileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProfileId({self})")
    }
}

/// Which passkeys a profile takes (Graph's flags enum `passkeyTypes`); never empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PasskeyTypes {
    /// Only device-bound passkeys (backup-eligible flag clear), `deviceBound`.
    DeviceBound,
    /// Only synced passkeys (backup-eligible flag set), `synced`.
    Synced,
    /// Both, `deviceBound,synced`.
    DeviceBoundAndSynced,
}

impl PasskeyTypes {
    /// The Graph wire string: `deviceBound`, `synced` or `deviceBound,synced`.
    pub fn as_graph_str(self) -> &'static str {
        match self {
            PasskeyTypes::DeviceBound => "deviceBound",
            PasskeyTypes::Synced => "synced",
            PasskeyTypes::DeviceBoundAndSynced => "deviceBound,synced",
        }
    }

    /// Whether device-bound passkeys are taken.
    pub fn allows_device_bound(self) -> bool {
        matches!(
            self,
            PasskeyTypes::DeviceBound | PasskeyTypes::DeviceBoundAndSynced
        )
    }

    /// Whether synced passkeys are taken.
    pub fn allows_synced(self) -> bool {
        matches!(
            self,
            PasskeyTypes::Synced | PasskeyTypes::DeviceBoundAndSynced
        )
    }

    /// Reads the comma-joined flags, in any order, spaces allowed.
    fn parse(value: &Value, path: &FieldPath) -> Result<Self, PolicyError> {
        const EXPECTED: &str = "\"deviceBound\", \"synced\" or \"deviceBound,synced\"";
        let text = patch::string(
            value,
            path,
            "a string: \"deviceBound\", \"synced\" or \"deviceBound,synced\"",
        )?;
        let invalid = || PolicyError::InvalidValue {
            path: path.to_string(),
            value: text.to_owned(),
            expected: EXPECTED,
        };
        let (mut device_bound, mut synced) = (false, false);
        for flag in text.split(',').map(str::trim) {
            match flag {
                "deviceBound" => device_bound = true,
                "synced" => synced = true,
                _ => return Err(invalid()),
            }
        }
        match (device_bound, synced) {
            (true, true) => Ok(PasskeyTypes::DeviceBoundAndSynced),
            (true, false) => Ok(PasskeyTypes::DeviceBound),
            (false, true) => Ok(PasskeyTypes::Synced),
            (false, false) => Err(invalid()),
        }
    }
}

/// Whether a profile demands attestation (Graph's `attestationEnforcement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttestationEnforcement {
    /// Attestation is not required; the AAGUID and flags are the authenticator's claims.
    Disabled,
    /// A registration must carry attestation that chains to a trusted root; sign-in does not re-check it.
    RegistrationOnly,
}

impl AttestationEnforcement {
    /// The Graph wire string: `disabled` or `registrationOnly`.
    pub fn as_graph_str(self) -> &'static str {
        match self {
            AttestationEnforcement::Disabled => "disabled",
            AttestationEnforcement::RegistrationOnly => "registrationOnly",
        }
    }

    /// Reads the wire string.
    fn parse(value: &Value, path: &FieldPath) -> Result<Self, PolicyError> {
        match patch::string(
            value,
            path,
            "a string, \"disabled\" or \"registrationOnly\"",
        )? {
            "disabled" => Ok(AttestationEnforcement::Disabled),
            "registrationOnly" => Ok(AttestationEnforcement::RegistrationOnly),
            other => Err(PolicyError::InvalidValue {
                path: path.to_string(),
                value: other.to_owned(),
                expected: "\"disabled\" or \"registrationOnly\"",
            }),
        }
    }
}

/// Whether a key restriction list allows or blocks its AAGUIDs (Graph's `fido2RestrictionEnforcementType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnforcementType {
    /// Only the listed AAGUIDs are taken.
    Allow,
    /// The listed AAGUIDs are refused.
    Block,
}

impl EnforcementType {
    /// The Graph wire string: `allow` or `block`.
    pub fn as_graph_str(self) -> &'static str {
        match self {
            EnforcementType::Allow => "allow",
            EnforcementType::Block => "block",
        }
    }

    /// Reads the wire string.
    fn parse(value: &Value, path: &FieldPath) -> Result<Self, PolicyError> {
        match patch::string(value, path, "a string, \"allow\" or \"block\"")? {
            "allow" => Ok(EnforcementType::Allow),
            "block" => Ok(EnforcementType::Block),
            other => Err(PolicyError::InvalidValue {
                path: path.to_string(),
                value: other.to_owned(),
                expected: "\"allow\" or \"block\"",
            }),
        }
    }
}

/// Which authenticator models (AAGUIDs) a profile allows or blocks (Graph's `fido2KeyRestrictions`).
///
/// When not enforced, the list and its type are kept but have no effect, as in Graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRestrictions {
    is_enforced: bool,
    enforcement_type: EnforcementType,
    aaguids: Vec<Aaguid>,
}

impl KeyRestrictions {
    /// Whether the list is applied.
    pub fn is_enforced(&self) -> bool {
        self.is_enforced
    }

    /// Whether the list allows or blocks.
    pub fn enforcement_type(&self) -> EnforcementType {
        self.enforcement_type
    }

    /// The AAGUIDs, in the order given, without repeats.
    pub fn aaguids(&self) -> &[Aaguid] {
        &self.aaguids
    }

    /// Not enforced, an empty allow list: the default.
    fn off() -> Self {
        KeyRestrictions {
            is_enforced: false,
            enforcement_type: EnforcementType::Allow,
            aaguids: Vec::new(),
        }
    }

    /// Applies a `fido2KeyRestrictions` object over `self`; absent members stay.
    fn patched(&self, value: &Value, path: &FieldPath) -> Result<Self, PolicyError> {
        let obj = Object::new(
            value,
            path.clone(),
            "an object like {\"isEnforced\": true, \"enforcementType\": \"allow\", \"aaGuids\": [\"90a3ccdf-635c-4729-a248-9b709135078f\"]}",
        )?;
        obj.only(
            "fido2KeyRestrictions",
            &["@odata.type", "isEnforced", "enforcementType", "aaGuids"],
        )?;
        obj.odata_type("#microsoft.graph.fido2KeyRestrictions")?;
        let mut next = self.clone();
        if let Some((value, path)) = obj.get("isEnforced") {
            next.is_enforced = patch::boolean(value, &path)?;
        }
        if let Some((value, path)) = obj.get("enforcementType") {
            next.enforcement_type = EnforcementType::parse(value, &path)?;
        }
        if let Some((value, path)) = obj.get("aaGuids") {
            let mut aaguids = Vec::new();
            for (item, item_path) in patch::array(
                value,
                &path,
                "an array of AAGUID strings",
                "AAGUIDs",
                MAX_AAGUIDS,
            )? {
                let text = patch::string(item, &item_path, "an AAGUID string")?;
                let aaguid: Aaguid = text.parse().map_err(|_| PolicyError::InvalidAaguid {
                    path: item_path.to_string(),
                    value: text.to_owned(),
                })?;
                if aaguids.contains(&aaguid) {
                    return Err(PolicyError::Duplicate {
                        path: item_path.to_string(),
                        value: aaguid.to_string(),
                    });
                }
                aaguids.push(aaguid);
            }
            next.aaguids = aaguids;
        }
        Ok(next)
    }

    /// The Graph JSON.
    fn to_json(&self) -> Value {
        json!({
            "isEnforced": self.is_enforced,
            "enforcementType": self.enforcement_type.as_graph_str(),
            "aaGuids": self.aaguids.iter().map(ToString::to_string).collect::<Vec<_>>(),
        })
    }
}

/// A passkey profile: which passkeys its users may register and sign in with (Graph's `passkeyProfile`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyProfile {
    id: ProfileId,
    name: String,
    passkey_types: PasskeyTypes,
    attestation_enforcement: AttestationEnforcement,
    key_restrictions: KeyRestrictions,
}

impl PasskeyProfile {
    /// The profile's id.
    pub fn id(&self) -> ProfileId {
        self.id
    }

    /// The profile's name, unique in its configuration and never empty.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Device-bound, synced, or both.
    pub fn passkey_types(&self) -> PasskeyTypes {
        self.passkey_types
    }

    /// Whether registration demands trusted attestation.
    pub fn attestation_enforcement(&self) -> AttestationEnforcement {
        self.attestation_enforcement
    }

    /// The AAGUID allow or block list.
    pub fn key_restrictions(&self) -> &KeyRestrictions {
        &self.key_restrictions
    }

    /// Whether this is the default passkey profile.
    pub fn is_default(&self) -> bool {
        self.id == ProfileId::DEFAULT
    }

    /// The default profile as Keybound starts: both types, no attestation, no key restrictions.
    fn default_profile() -> Self {
        PasskeyProfile {
            id: ProfileId::DEFAULT,
            name: DEFAULT_PROFILE_NAME.to_owned(),
            passkey_types: PasskeyTypes::DeviceBoundAndSynced,
            attestation_enforcement: AttestationEnforcement::Disabled,
            key_restrictions: KeyRestrictions::off(),
        }
    }

    /// The Graph JSON.
    fn to_json(&self) -> Value {
        json!({
            "id": self.id.to_string(),
            "name": self.name,
            "passkeyTypes": self.passkey_types.as_graph_str(),
            "attestationEnforcement": self.attestation_enforcement.as_graph_str(),
            "keyRestrictions": self.key_restrictions.to_json(),
        })
    }
}

/// An include target of the passkey method (Graph's `passkeyAuthenticationMethodTarget`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyTarget {
    target: Target,
    is_registration_required: bool,
    allowed_passkey_profiles: Vec<ProfileId>,
}

impl PasskeyTarget {
    /// Whom the target names.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Whether the targeted users are asked to register a passkey (Graph's `isRegistrationRequired`).
    pub fn is_registration_required(&self) -> bool {
        self.is_registration_required
    }

    /// The profiles the target's users are in scope of; never empty, each an existing profile.
    pub fn allowed_passkey_profiles(&self) -> &[ProfileId] {
        &self.allowed_passkey_profiles
    }

    /// The Graph JSON.
    fn to_json(&self) -> Value {
        json!({
            "targetType": "group",
            "id": self.target.graph_id(),
            "isRegistrationRequired": self.is_registration_required,
            "allowedPasskeyProfiles": self
                .allowed_passkey_profiles
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        })
    }
}

/// The Passkey (FIDO2) method's configuration (Graph's `fido2AuthenticationMethodConfiguration`, id `Fido2`).
///
/// Always valid: the default profile exists, every include target allows at
/// least one existing profile, ids and names are unique and lists are within
/// their caps. It changes only through [`Fido2Configuration::apply_patch`],
/// which either applies a whole PATCH or none of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fido2Configuration {
    state: MethodState,
    is_self_service_registration_allowed: bool,
    include_targets: Vec<PasskeyTarget>,
    exclude_targets: Vec<GroupId>,
    default_profile: PasskeyProfile,
    other_profiles: Vec<PasskeyProfile>,
}

impl Default for Fido2Configuration {
    /// Enabled for all users with the default profile, self-service set-up
    /// allowed; the default profile takes device-bound and synced passkeys, with
    /// attestation and key restrictions off.
    fn default() -> Self {
        Fido2Configuration {
            state: MethodState::Enabled,
            is_self_service_registration_allowed: true,
            include_targets: vec![PasskeyTarget {
                target: Target::AllUsers,
                is_registration_required: false,
                allowed_passkey_profiles: vec![ProfileId::DEFAULT],
            }],
            exclude_targets: Vec::new(),
            default_profile: PasskeyProfile::default_profile(),
            other_profiles: Vec::new(),
        }
    }
}

impl Fido2Configuration {
    /// Whether the method is on.
    pub fn state(&self) -> MethodState {
        self.state
    }

    /// Whether users may add passkeys themselves on their security info page.
    pub fn is_self_service_registration_allowed(&self) -> bool {
        self.is_self_service_registration_allowed
    }

    /// The groups (or everyone) the method is enabled for, each with its profiles.
    pub fn include_targets(&self) -> &[PasskeyTarget] {
        &self.include_targets
    }

    /// The groups that may neither register nor sign in with a passkey, whatever they are included by.
    pub fn exclude_targets(&self) -> &[GroupId] {
        &self.exclude_targets
    }

    /// Every passkey profile, the default first, then the others in the order they were given.
    pub fn passkey_profiles(&self) -> impl Iterator<Item = &PasskeyProfile> + '_ {
        std::iter::once(&self.default_profile).chain(&self.other_profiles)
    }

    /// The profile with this id.
    pub fn profile(&self, id: ProfileId) -> Option<&PasskeyProfile> {
        self.passkey_profiles().find(|p| p.id == id)
    }

    /// The default passkey profile, which the legacy `isAttestationEnforced` and `keyRestrictions` mirror.
    pub fn default_profile(&self) -> &PasskeyProfile {
        &self.default_profile
    }

    /// The configuration in Graph's wire shape, including the 2024 legacy
    /// `isAttestationEnforced` and `keyRestrictions`, which mirror the default profile.
    pub fn to_graph_json(&self) -> Value {
        let default = self.default_profile();
        json!({
            "@odata.type": ODATA_TYPE,
            "id": ID,
            "state": self.state.as_graph_str(),
            "isSelfServiceRegistrationAllowed": self.is_self_service_registration_allowed,
            "isAttestationEnforced":
                default.attestation_enforcement == AttestationEnforcement::RegistrationOnly,
            "keyRestrictions": default.key_restrictions.to_json(),
            "defaultPasskeyProfile": ProfileId::DEFAULT.to_string(),
            "excludeTargets": method::exclude_targets_json(&self.exclude_targets),
            "includeTargets": self.include_targets.iter().map(PasskeyTarget::to_json).collect::<Vec<_>>(),
            "passkeyProfiles": self.passkey_profiles().map(PasskeyProfile::to_json).collect::<Vec<_>>(),
        })
    }

    /// Applies a Graph PATCH body; on error nothing changes.
    ///
    /// Absent properties stay as they are. `passkeyProfiles` replaces the whole
    /// list: a profile left out is deleted (never the default one, nor one a
    /// target still allows), a profile without `id` is created with an id from
    /// the context, and a profile with an `id` is updated (absent members stay).
    /// `includeTargets` and `excludeTargets` replace their lists; groups new to
    /// the configuration must exist. The legacy `isAttestationEnforced` and
    /// `keyRestrictions` write through to the default profile.
    pub fn apply_patch(
        &mut self,
        patch: &Value,
        ctx: &PatchContext<'_>,
    ) -> Result<(), PolicyError> {
        *self = self.patched(patch, &FieldPath::root(), Mode::Patch(ctx))?;
        Ok(())
    }

    /// Reads a document [`Fido2Configuration::to_graph_json`] wrote (as stored by the
    /// server): ids are taken as they are and groups are not looked up.
    pub fn from_graph_json(document: &Value) -> Result<Self, PolicyError> {
        Fido2Configuration::default().patched(document, &FieldPath::root(), Mode::Load)
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
            "a JSON object with the fido2AuthenticationMethodConfiguration properties to change",
        )?;
        obj.only(
            "fido2AuthenticationMethodConfiguration",
            &[
                "@odata.type",
                "id",
                "state",
                "isSelfServiceRegistrationAllowed",
                "isAttestationEnforced",
                "keyRestrictions",
                "defaultPasskeyProfile",
                "excludeTargets",
                "includeTargets",
                "passkeyProfiles",
            ],
        )?;
        obj.odata_type(ODATA_TYPE)?;
        obj.fixed_id(ID)?;
        let mut next = self.clone();
        if let Some((value, path)) = obj.get("state") {
            next.state = MethodState::parse(value, &path)?;
        }
        if let Some((value, path)) = obj.get("isSelfServiceRegistrationAllowed") {
            next.is_self_service_registration_allowed = patch::boolean(value, &path)?;
        }
        if let Some((value, path)) = obj.get("defaultPasskeyProfile") {
            let given = patch::string(
                value,
                &path,
                "the string \"00000000-0000-0000-0000-000000000001\"",
            )?;
            let same = ProfileId::parse(given, &path).is_ok_and(|id| id == ProfileId::DEFAULT);
            if !same {
                return Err(PolicyError::ReadOnly {
                    path: path.to_string(),
                    current: ProfileId::DEFAULT.to_string(),
                    requested: given.to_owned(),
                });
            }
        }
        if let Some((value, path)) = obj.get("passkeyProfiles") {
            (next.default_profile, next.other_profiles) = self.read_profiles(value, &path, mode)?;
        }
        next.write_legacy(&obj)?;
        let known = |group: &GroupId| self.targets_group(group);
        if let Some((value, path)) = obj.get("includeTargets") {
            next.include_targets = read_passkey_targets(value, &path, mode, &known)?;
        }
        if let Some((value, path)) = obj.get("excludeTargets") {
            next.exclude_targets = method::read_exclude_targets(value, &path, mode, &known)?;
        }
        next.check_profile_references(self, &obj)?;
        Ok(next)
    }

    /// Whether a group is already an include or exclude target.
    fn targets_group(&self, group: &GroupId) -> bool {
        self.exclude_targets.contains(group)
            || self
                .include_targets
                .iter()
                .any(|t| t.target.group() == Some(group))
    }

    /// Reads a full `passkeyProfiles` list, existing profiles updated, new ones given ids:
    /// the default profile and the others.
    fn read_profiles(
        &self,
        value: &Value,
        path: &FieldPath,
        mode: Mode<'_>,
    ) -> Result<(PasskeyProfile, Vec<PasskeyProfile>), PolicyError> {
        let mut drafts: Vec<(Option<ProfileId>, PasskeyProfile, FieldPath)> = Vec::new();
        for (item, item_path) in patch::array(
            value,
            path,
            "an array of passkey profiles (profiles cannot be turned off, so null is not allowed)",
            "passkey profiles",
            MAX_PROFILES,
        )? {
            let (id, profile) = self.read_profile(item, &item_path, mode)?;
            if let Some(id) = id {
                if drafts.iter().any(|(other, _, _)| *other == Some(id)) {
                    return Err(PolicyError::Duplicate {
                        path: item_path.field("id").to_string(),
                        value: id.to_string(),
                    });
                }
            }
            if drafts
                .iter()
                .any(|(_, other, _)| other.name.to_lowercase() == profile.name.to_lowercase())
            {
                return Err(PolicyError::Duplicate {
                    path: item_path.field("name").to_string(),
                    value: profile.name,
                });
            }
            drafts.push((id, profile, item_path));
        }
        let Some(default_index) = drafts
            .iter()
            .position(|(id, _, _)| *id == Some(ProfileId::DEFAULT))
        else {
            return Err(PolicyError::DefaultProfileRemoved {
                path: path.to_string(),
            });
        };
        let (_, default, _) = drafts.remove(default_index);
        let mut taken: Vec<ProfileId> = drafts.iter().filter_map(|(id, _, _)| *id).collect();
        taken.extend(self.passkey_profiles().map(|p| p.id));
        let mut others = Vec::with_capacity(drafts.len());
        for (id, mut profile, item_path) in drafts {
            profile.id = match id {
                Some(id) => id,
                None => {
                    let fresh = mode.new_profile_id(&taken).ok_or_else(|| {
                        PolicyError::ProfileIdsExhausted {
                            path: item_path.to_string(),
                        }
                    })?;
                    taken.push(fresh);
                    fresh
                }
            };
            others.push(profile);
        }
        Ok((default, others))
    }

    /// Reads one `passkeyProfile`: its id if given, and the profile (id not yet final when new).
    fn read_profile(
        &self,
        item: &Value,
        path: &FieldPath,
        mode: Mode<'_>,
    ) -> Result<(Option<ProfileId>, PasskeyProfile), PolicyError> {
        let obj = Object::new(
            item,
            path.clone(),
            "a passkey profile object like {\"name\": \"Security keys\", \"passkeyTypes\": \"deviceBound\", \"attestationEnforcement\": \"registrationOnly\"}",
        )?;
        obj.only(
            "passkeyProfile",
            &[
                "@odata.type",
                "id",
                "name",
                "passkeyTypes",
                "attestationEnforcement",
                "keyRestrictions",
            ],
        )?;
        obj.odata_type("#microsoft.graph.passkeyProfile")?;
        let id = match obj.get("id") {
            None | Some((Value::Null, _)) => None,
            Some((value, id_path)) => {
                let text = patch::string(value, &id_path, "a passkey profile id string")?;
                Some(ProfileId::parse(text, &id_path)?)
            }
        };
        let existing = id.and_then(|id| self.profile(id));
        let mut profile = match (id, existing) {
            (_, Some(existing)) => existing.clone(),
            (Some(id), None) if !mode.is_load() => {
                return Err(PolicyError::UnknownProfile {
                    path: path.field("id").to_string(),
                    profile: id.to_string(),
                });
            }
            (None, None) if mode.is_load() => {
                return Err(PolicyError::Missing {
                    path: path.field("id").to_string(),
                    hint: "a stored passkey profile needs its id",
                });
            }
            // A new profile's id is assigned once the whole list is read.
            (id, None) => new_profile(&obj, id.unwrap_or(ProfileId::from_bytes([0; 16])))?,
        };
        if let Some((value, name_path)) = obj.get("name") {
            let name = read_name(value, &name_path)?;
            if profile.is_default() && name != DEFAULT_PROFILE_NAME {
                return Err(PolicyError::DefaultProfileRenamed {
                    path: name_path.to_string(),
                    name,
                });
            }
            profile.name = name;
        }
        if let Some((value, types_path)) = obj.get("passkeyTypes") {
            profile.passkey_types = PasskeyTypes::parse(value, &types_path)?;
        }
        if let Some((value, enforcement_path)) = obj.get("attestationEnforcement") {
            profile.attestation_enforcement =
                AttestationEnforcement::parse(value, &enforcement_path)?;
        }
        if let Some((value, restrictions_path)) = obj.get("keyRestrictions") {
            profile.key_restrictions = profile
                .key_restrictions
                .patched(value, &restrictions_path)?;
        }
        Ok((id, profile))
    }

    /// Writes the legacy `isAttestationEnforced` and `keyRestrictions` through to the default profile.
    ///
    /// When the same request also sets the member in the default profile's
    /// element of `passkeyProfiles`, the two must agree.
    fn write_legacy(&mut self, obj: &Object<'_>) -> Result<(), PolicyError> {
        let default = &mut self.default_profile;
        if let Some((value, path)) = obj.get("isAttestationEnforced") {
            let enforcement = if patch::boolean(value, &path)? {
                AttestationEnforcement::RegistrationOnly
            } else {
                AttestationEnforcement::Disabled
            };
            if default_element_sets(obj, "attestationEnforcement")
                && enforcement != default.attestation_enforcement
            {
                return Err(PolicyError::ConflictingLegacySetting {
                    path: path.to_string(),
                });
            }
            default.attestation_enforcement = enforcement;
        }
        if let Some((value, path)) = obj.get("keyRestrictions") {
            let restrictions = default.key_restrictions.patched(value, &path)?;
            if default_element_sets(obj, "keyRestrictions")
                && restrictions != default.key_restrictions
            {
                return Err(PolicyError::ConflictingLegacySetting {
                    path: path.to_string(),
                });
            }
            default.key_restrictions = restrictions;
        }
        Ok(())
    }

    /// Every profile a target allows must exist; one deleted by this request is "in use".
    fn check_profile_references(&self, before: &Self, obj: &Object<'_>) -> Result<(), PolicyError> {
        let targets_path = obj.path().field("includeTargets");
        for (i, target) in self.include_targets.iter().enumerate() {
            let allowed_path = targets_path.index(i).field("allowedPasskeyProfiles");
            for (j, id) in target.allowed_passkey_profiles.iter().enumerate() {
                if self.profile(*id).is_some() {
                    continue;
                }
                let entry = allowed_path.index(j).to_string();
                return Err(match before.profile(*id) {
                    Some(deleted) => PolicyError::ProfileInUse {
                        path: entry,
                        profile: id.to_string(),
                        name: deleted.name.clone(),
                    },
                    None => PolicyError::UnknownProfile {
                        path: entry,
                        profile: id.to_string(),
                    },
                });
            }
        }
        Ok(())
    }
}

/// Whether the PATCH's `passkeyProfiles` element for the default profile sets `member`.
fn default_element_sets(obj: &Object<'_>, member: &str) -> bool {
    let Some((Value::Array(profiles), _)) = obj.get("passkeyProfiles") else {
        return false;
    };
    let default = ProfileId::DEFAULT.to_string();
    profiles.iter().any(|p| {
        p.get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.eq_ignore_ascii_case(&default))
            && p.get(member).is_some()
    })
}

/// A profile made from a PATCH element without an existing id: name, types and attestation are required.
fn new_profile(obj: &Object<'_>, id: ProfileId) -> Result<PasskeyProfile, PolicyError> {
    let (value, path) = obj.require(
        "name",
        "a new passkey profile needs a name, such as \"Security keys only\"",
    )?;
    let name = read_name(value, &path)?;
    let (value, path) = obj.require(
        "passkeyTypes",
        "a new passkey profile needs passkeyTypes: \"deviceBound\", \"synced\" or \"deviceBound,synced\"",
    )?;
    let passkey_types = PasskeyTypes::parse(value, &path)?;
    let (value, path) = obj.require(
        "attestationEnforcement",
        "a new passkey profile needs attestationEnforcement: \"disabled\" or \"registrationOnly\"",
    )?;
    let attestation_enforcement = AttestationEnforcement::parse(value, &path)?;
    Ok(PasskeyProfile {
        id,
        name,
        passkey_types,
        attestation_enforcement,
        key_restrictions: KeyRestrictions::off(),
    })
}

/// A profile name: trimmed, 1 to 100 characters.
fn read_name(value: &Value, path: &FieldPath) -> Result<String, PolicyError> {
    let text = patch::string(value, path, "a string naming the profile")?;
    let name = text.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(PolicyError::InvalidValue {
            path: path.to_string(),
            value: text.to_owned(),
            expected: "a name of 1 to 100 characters without control characters",
        });
    }
    Ok(name.to_owned())
}

/// Reads an `includeTargets` list of passkey targets; profile existence is checked afterwards.
fn read_passkey_targets(
    value: &Value,
    path: &FieldPath,
    mode: Mode<'_>,
    known: &dyn Fn(&GroupId) -> bool,
) -> Result<Vec<PasskeyTarget>, PolicyError> {
    let mut targets: Vec<PasskeyTarget> = Vec::new();
    for (item, item_path) in patch::array(
        value,
        path,
        "an array of include targets",
        "include targets",
        method::MAX_TARGETS,
    )? {
        let obj = Object::new(
            item,
            item_path,
            "an object like {\"id\": \"all_users\", \"targetType\": \"group\", \"isRegistrationRequired\": false, \"allowedPasskeyProfiles\": [\"00000000-0000-0000-0000-000000000001\"]}",
        )?;
        obj.only(
            "passkeyAuthenticationMethodTarget",
            &[
                "@odata.type",
                "id",
                "targetType",
                "isRegistrationRequired",
                "allowedPasskeyProfiles",
            ],
        )?;
        obj.odata_type("#microsoft.graph.passkeyAuthenticationMethodTarget")?;
        let fields = method::read_include_fields(&obj, mode, known)?;
        if targets.iter().any(|t| t.target == fields.target) {
            return Err(method::duplicate_target(obj.path(), &fields.target));
        }
        let allowed_path = obj.path().field("allowedPasskeyProfiles");
        let mut allowed: Vec<ProfileId> = Vec::new();
        if let Some((value, _)) = obj
            .get("allowedPasskeyProfiles")
            .filter(|(v, _)| !v.is_null())
        {
            for (entry, entry_path) in patch::array(
                value,
                &allowed_path,
                "an array of passkey profile ids",
                "passkey profiles",
                MAX_PROFILES,
            )? {
                let text = patch::string(entry, &entry_path, "a passkey profile id string")?;
                let id = ProfileId::parse(text, &entry_path)?;
                if allowed.contains(&id) {
                    return Err(PolicyError::Duplicate {
                        path: entry_path.to_string(),
                        value: id.to_string(),
                    });
                }
                allowed.push(id);
            }
        }
        if allowed.is_empty() {
            return Err(PolicyError::MissingProfileTargets {
                path: allowed_path.to_string(),
            });
        }
        targets.push(PasskeyTarget {
            target: fields.target,
            is_registration_required: fields.is_registration_required,
            allowed_passkey_profiles: allowed,
        });
    }
    Ok(targets)
}
