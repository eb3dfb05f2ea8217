//! The catalog: AAGUID → provider, built-in entries first, loaded lists on top.

use std::collections::BTreeMap;
use std::fmt;

use keybound_webauthn::Aaguid;

use crate::community_list;
use crate::error::Error;
use crate::mds::MdsBlob;

/// The AAGUID of Keybound's own device-bound authenticator (`keybound authenticator`).
///
/// Its catalog entry is built in and no loaded list replaces it.
pub const KEYBOUND_AUTHENTICATOR_AAGUID: Aaguid = Aaguid::from_bytes([
    0xad, 0x30, 0xe1, 0x3c, 0x34, 0x26, 0x4c, 0x6e, 0xbd, 0x75, 0xe0, 0xfa, 0x7a, 0xfc, 0x7b, 0x68,
]);

/// Microsoft Authenticator for iOS, `90a3ccdf-635c-4729-a248-9b709135078f`.
const MICROSOFT_AUTHENTICATOR_IOS: Aaguid = Aaguid::from_bytes([
    0x90, 0xa3, 0xcc, 0xdf, 0x63, 0x5c, 0x47, 0x29, 0xa2, 0x48, 0x9b, 0x70, 0x91, 0x35, 0x07, 0x8f,
]);

/// Microsoft Authenticator for Android, `de1e552d-db1d-4423-a619-566b625cdc84`.
const MICROSOFT_AUTHENTICATOR_ANDROID: Aaguid = Aaguid::from_bytes([
    0xde, 0x1e, 0x55, 0x2d, 0xdb, 0x1d, 0x44, 0x23, 0xa6, 0x19, 0x56, 0x6b, 0x62, 0x5c, 0xdc, 0x84,
]);

/// The entries Keybound ships. They carry no icons: Keybound does not invent image data.
const BUILT_IN: [(Aaguid, &str); 3] = [
    (KEYBOUND_AUTHENTICATOR_AAGUID, "Keybound Authenticator"),
    (
        MICROSOFT_AUTHENTICATOR_IOS,
        "Microsoft Authenticator for iOS",
    ),
    (
        MICROSOFT_AUTHENTICATOR_ANDROID,
        "Microsoft Authenticator for Android",
    ),
];

/// Where a catalog entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// Shipped with Keybound.
    BuiltIn,
    /// Loaded from the community passkey-provider AAGUID list.
    CommunityList,
    /// A FIDO Metadata Service BLOB's metadata statement (its `description`).
    Mds,
}

impl Source {
    /// A short name for reports: `built-in`, `community list` or `FIDO metadata`.
    pub const fn name(self) -> &'static str {
        match self {
            Source::BuiltIn => "built-in",
            Source::CommunityList => "community list",
            Source::Mds => "FIDO metadata",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A passkey provider as people know it: a name and icons, for display only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provider {
    name: String,
    icon_light: Option<String>,
    icon_dark: Option<String>,
    source: Source,
}

impl Provider {
    /// Makes an entry; callers have checked that the name is not empty and the icons are SVG data URIs.
    pub(crate) fn new(
        name: String,
        icon_light: Option<String>,
        icon_dark: Option<String>,
        source: Source,
    ) -> Self {
        Provider {
            name,
            icon_light,
            icon_dark,
            source,
        }
    }

    /// The provider's name, such as `iCloud Keychain`; never empty.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The icon for light backgrounds, as a `data:image/svg+xml;base64,…` URI.
    pub fn icon_light(&self) -> Option<&str> {
        self.icon_light.as_deref()
    }

    /// The icon for dark backgrounds, as a `data:image/svg+xml;base64,…` URI.
    pub fn icon_dark(&self) -> Option<&str> {
        self.icon_dark.as_deref()
    }

    /// Where the entry came from.
    pub fn source(&self) -> Source {
        self.source
    }
}

/// AAGUID → provider, for naming authenticators to people; never a trust decision.
#[derive(Clone, Debug)]
pub struct Catalog {
    entries: BTreeMap<Aaguid, Provider>,
}

impl Catalog {
    /// The entries Keybound ships: its own authenticator and Microsoft Authenticator for iOS and Android.
    pub fn builtin() -> Self {
        let entries = BUILT_IN
            .iter()
            .map(|(aaguid, name)| {
                let provider = Provider::new((*name).to_owned(), None, None, Source::BuiltIn);
                (*aaguid, provider)
            })
            .collect();
        Catalog { entries }
    }

    /// Adds the entries of a community passkey-provider AAGUID list (its `aaguid.json` text).
    ///
    /// The format is a JSON object from AAGUID to `{name, icon_light?, icon_dark?}`,
    /// icons being `data:image/svg+xml;base64,…` URIs. Loaded entries replace
    /// earlier ones for the same AAGUID, except Keybound's own entry
    /// ([`KEYBOUND_AUTHENTICATOR_AAGUID`]), which stays. Returns how many
    /// entries were loaded. On error the catalog is unchanged and the error
    /// names the offending key.
    pub fn load_community_list(&mut self, json: &str) -> Result<usize, Error> {
        let parsed = community_list::parse(json)?;
        let mut loaded = 0;
        for (aaguid, provider) in parsed {
            if aaguid == KEYBOUND_AUTHENTICATOR_AAGUID {
                continue;
            }
            self.entries.insert(aaguid, provider);
            loaded += 1;
        }
        Ok(loaded)
    }

    /// Names the models of a verified FIDO MDS3 BLOB that the catalog lacks,
    /// from their metadata statements' `description`.
    ///
    /// Built-in and community-list entries stay: their names are the ones
    /// people know (MDS names models, such as "YubiKey 5 Series with NFC",
    /// where the list names providers). Entries an earlier BLOB added are
    /// replaced, so a renamed model is renamed here too. MDS icons are
    /// usually PNG, and the catalog keeps SVG only, so none are taken.
    /// Returns how many entries were added or replaced.
    pub fn load_mds(&mut self, blob: &MdsBlob) -> usize {
        let mut loaded = 0;
        for entry in blob.entries() {
            let (Some(aaguid), Some(name)) = (entry.aaguid(), entry.description()) else {
                continue;
            };
            if aaguid.is_zero() {
                continue;
            }
            let keep = self
                .entries
                .get(&aaguid)
                .is_some_and(|existing| existing.source != Source::Mds);
            if keep {
                continue;
            }
            let provider = Provider::new(name.to_owned(), None, None, Source::Mds);
            self.entries.insert(aaguid, provider);
            loaded += 1;
        }
        loaded
    }

    /// The provider an AAGUID names, if the catalog knows it.
    pub fn get(&self, aaguid: Aaguid) -> Option<&Provider> {
        self.entries.get(&aaguid)
    }

    /// How many AAGUIDs the catalog knows.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalog knows no AAGUID.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, sorted by AAGUID.
    pub fn iter(&self) -> impl Iterator<Item = (Aaguid, &Provider)> + '_ {
        self.entries
            .iter()
            .map(|(aaguid, provider)| (*aaguid, provider))
    }
}
