//! Object identifiers: GUID strings, as Graph writes them.

use std::fmt;

/// Why a text is not a GUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an object id: write it as a GUID in the 8-4-4-4-12 form, like 73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f0a1b")]
pub struct InvalidId(pub String);

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// A fresh random (version 4) GUID.
            pub fn random() -> Self {
                $name(uuid::Uuid::new_v4().hyphenated().to_string())
            }

            /// Parses a GUID in the hyphenated form (any case), kept in lower case.
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                let trimmed = text.trim();
                if !is_guid(trimmed) {
                    return Err(InvalidId(text.to_owned()));
                }
                Ok($name(trimmed.to_ascii_lowercase()))
            }

            /// The GUID text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps an id read back from the database, which was checked on the way in.
            pub(crate) fn from_db(text: String) -> Self {
                $name(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }
    };
}

guid_id!(
    /// A user's object id.
    UserId
);
guid_id!(
    /// A group's object id.
    GroupId
);
guid_id!(
    /// An authentication method's id (passkey, Temporary Access Pass, software OATH token).
    MethodId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_parse_normalised_and_garbage_is_refused() {
        let id = UserId::parse("73E4B2C6-8A2F-4D3E-9B1A-5C7D8E9F0A1B").unwrap();
        assert_eq!(id.as_str(), "73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f0a1b");
        assert!(UserId::parse(UserId::random().as_str()).is_ok());
        for bad in [
            "",
            "73e4b2c68a2f4d3e9b1a5c7d8e9f0a1b",
            "73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f0a1",
            "73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f0a1g",
            "73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f-a1b",
        ] {
            assert!(MethodId::parse(bad).is_err(), "{bad}");
        }
    }
}
