//! The community passkey-provider AAGUID list format
//! (github.com/passkeydeveloper/passkey-authenticator-aaguids, `aaguid.json`).
//!
//! A JSON object from AAGUID to `{"name": …, "icon_light": …, "icon_dark": …}`;
//! `name` is required, icons are optional `data:image/svg+xml;base64,…` URIs.
//! Other members of an entry are ignored, as the schema allows them.

use std::collections::BTreeMap;

use keybound_webauthn::{encoding, Aaguid};
use serde_json::{Map, Value};

use crate::catalog::{Provider, Source};
use crate::error::Error;

/// The prefix every icon must carry.
const SVG_DATA_URI_PREFIX: &str = "data:image/svg+xml;base64,";

/// Parses the whole list, or fails on the first bad entry without keeping any.
pub(crate) fn parse(json: &str) -> Result<BTreeMap<Aaguid, Provider>, Error> {
    let value: Value = serde_json::from_str(json).map_err(|e| Error::NotJson {
        detail: e.to_string(),
    })?;
    let Value::Object(entries) = value else {
        return Err(Error::NotAnObject {
            found: json_type(&value),
        });
    };
    let mut providers = BTreeMap::new();
    for (key, entry) in &entries {
        let aaguid: Aaguid = key
            .parse()
            .map_err(|_| Error::InvalidAaguid { key: key.clone() })?;
        let Value::Object(fields) = entry else {
            return Err(Error::EntryNotAnObject { key: key.clone() });
        };
        providers.insert(aaguid, provider(key, fields)?);
    }
    Ok(providers)
}

/// One entry's provider.
fn provider(key: &str, fields: &Map<String, Value>) -> Result<Provider, Error> {
    let name = fields
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .ok_or_else(|| Error::MissingName {
            key: key.to_owned(),
        })?;
    let icon_light = icon(key, fields, "icon_light")?;
    let icon_dark = icon(key, fields, "icon_dark")?;
    Ok(Provider::new(
        name.to_owned(),
        icon_light,
        icon_dark,
        Source::CommunityList,
    ))
}

/// An optional icon: absent is fine, anything but an SVG data URI with base64 content is not.
fn icon(
    key: &str,
    fields: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, Error> {
    let Some(value) = fields.get(field) else {
        return Ok(None);
    };
    let invalid = || Error::InvalidIcon {
        key: key.to_owned(),
        field,
    };
    let uri = value.as_str().ok_or_else(invalid)?;
    let payload = uri.strip_prefix(SVG_DATA_URI_PREFIX).ok_or_else(invalid)?;
    if payload.is_empty() || encoding::decode(payload).is_none() {
        return Err(invalid());
    }
    Ok(Some(uri.to_owned()))
}

/// The JSON type of a value, for error messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
