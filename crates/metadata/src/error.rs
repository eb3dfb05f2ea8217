//! Why a provider list could not be loaded.

/// Why a provider list could not be loaded; the catalog is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON.
    #[error("the passkey-provider list is not JSON ({detail}); give the aaguid.json file of the community passkey-provider AAGUID list")]
    NotJson {
        /// What the JSON parser said.
        detail: String,
    },
    /// The JSON is not an object keyed by AAGUID.
    #[error("the passkey-provider list is a JSON {found}, but it must be an object that maps AAGUIDs to providers, like {{\"fbfc3007-154e-4ecc-8c0b-6e020557d7bd\": {{\"name\": \"iCloud Keychain\"}}}}")]
    NotAnObject {
        /// The JSON type found instead.
        found: &'static str,
    },
    /// A key is not an AAGUID.
    #[error("the passkey-provider list has the key `{key}`, which is not an AAGUID; write keys as 32 hexadecimal digits in the 8-4-4-4-12 form, like 90a3ccdf-635c-4729-a248-9b709135078f")]
    InvalidAaguid {
        /// The key as written.
        key: String,
    },
    /// An entry is not a JSON object.
    #[error("the passkey-provider list entry `{key}` is not an object; give {{\"name\": …, \"icon_light\": …, \"icon_dark\": …}}")]
    EntryNotAnObject {
        /// The entry's key.
        key: String,
    },
    /// An entry has no usable name.
    #[error("the passkey-provider list entry `{key}` has no name; every entry needs a non-empty `name` string")]
    MissingName {
        /// The entry's key.
        key: String,
    },
    /// An icon is not an SVG data URI.
    #[error("the `{field}` of passkey-provider list entry `{key}` is not an SVG data URI; icons must be strings of the form data:image/svg+xml;base64,<base64 of the SVG>")]
    InvalidIcon {
        /// The entry's key.
        key: String,
        /// `icon_light` or `icon_dark`.
        field: &'static str,
    },
}
