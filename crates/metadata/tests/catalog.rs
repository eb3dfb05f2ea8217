//! The passkey-provider catalog: built-in entries, the community list format,
//! and the errors a broken list gives. Every case goes through [`check`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keybound_metadata::{Catalog, Provider, Source, KEYBOUND_AUTHENTICATOR_AAGUID};
use keybound_webauthn::Aaguid;

const SAMPLE_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/passkey-provider-aaguids.json"
);

const KEYBOUND: &str = "ad30e13c-3426-4c6e-bd75-e0fa7afc7b68";
const MS_IOS: &str = "90a3ccdf-635c-4729-a248-9b709135078f";
const MS_ANDROID: &str = "de1e552d-db1d-4423-a619-566b625cdc84";
const APPLE: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const ICON: &str =
    "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciLz4=";

/// The community list copy the tests read; missing data fails the test, never skips it.
fn sample() -> String {
    std::fs::read_to_string(SAMPLE_PATH).unwrap_or_else(|e| {
        panic!(
            "the sample passkey-provider list is missing ({e}): it belongs at ../shared/data/passkey-provider-aaguids.json \
             beside the project checkout ({SAMPLE_PATH})"
        )
    })
}

/// What loading a list should do.
enum Expect<'a> {
    /// Loads this many entries.
    Loaded(usize),
    /// Fails with a message containing every fragment, leaving the catalog unchanged.
    Fails(&'a [&'a str]),
}

/// Loads `list` into the built-in catalog, checks the outcome, then looks up
/// each AAGUID and expects its provider's name and source (or no entry).
#[track_caller]
fn check(list: &str, expect: Expect<'_>, lookups: &[(&str, Option<(&str, Source)>)]) -> Catalog {
    let mut catalog = Catalog::builtin();
    let before: Vec<(Aaguid, Provider)> = catalog.iter().map(|(a, p)| (a, p.clone())).collect();
    match (catalog.load_community_list(list), expect) {
        (Ok(loaded), Expect::Loaded(expected)) => assert_eq!(loaded, expected, "entries loaded"),
        (Err(error), Expect::Fails(fragments)) => {
            let message = error.to_string();
            for fragment in fragments {
                assert!(
                    message.contains(fragment),
                    "`{message}` does not mention `{fragment}`"
                );
            }
            let after: Vec<(Aaguid, Provider)> =
                catalog.iter().map(|(a, p)| (a, p.clone())).collect();
            assert_eq!(
                after, before,
                "a failed load must leave the catalog unchanged"
            );
        }
        (Ok(loaded), Expect::Fails(fragments)) => {
            panic!("loaded {loaded} entries, expected an error mentioning {fragments:?}")
        }
        (Err(error), Expect::Loaded(expected)) => {
            panic!("expected {expected} entries, got: {error}")
        }
    }
    for (aaguid, expected) in lookups {
        let found = catalog
            .get(aaguid.parse().unwrap())
            .map(|p| (p.name(), p.source()));
        assert_eq!(found, *expected, "lookup of {aaguid}");
    }
    let keys: Vec<Aaguid> = catalog.iter().map(|(a, _)| a).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "iter is sorted by AAGUID"
    );
    assert_eq!(keys.len(), catalog.len());
    catalog
}

#[test]
fn builtin_entries_name_keybound_and_microsoft_authenticator() {
    assert_eq!(KEYBOUND_AUTHENTICATOR_AAGUID.to_string(), KEYBOUND);
    let catalog = check(
        "{}",
        Expect::Loaded(0),
        &[
            (KEYBOUND, Some(("Keybound Authenticator", Source::BuiltIn))),
            (
                MS_IOS,
                Some(("Microsoft Authenticator for iOS", Source::BuiltIn)),
            ),
            (
                MS_ANDROID,
                Some(("Microsoft Authenticator for Android", Source::BuiltIn)),
            ),
            (APPLE, None),
            ("00000000-0000-0000-0000-000000000000", None),
        ],
    );
    assert_eq!(catalog.len(), 3);
    assert!(!catalog.is_empty());
    assert!(catalog
        .iter()
        .all(|(_, p)| p.icon_light().is_none() && p.icon_dark().is_none()));
}

#[test]
fn sample_community_list_loads_all_52_entries() {
    let catalog = check(
        &sample(),
        Expect::Loaded(52),
        &[
            (APPLE, Some(("Apple Passwords", Source::CommunityList))),
            (
                "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
                Some(("Google Password Manager", Source::CommunityList)),
            ),
            (
                "bada5566-a7aa-401f-bd96-45619a55120d",
                Some(("1Password", Source::CommunityList)),
            ),
            (
                "891494da-2c90-4d31-a9cd-4eab0aed1309",
                Some(("Sésame", Source::CommunityList)),
            ),
            (
                "b5397666-4885-aa6b-cebf-e52262a439a2",
                Some(("Chromium Browser", Source::CommunityList)),
            ),
            (KEYBOUND, Some(("Keybound Authenticator", Source::BuiltIn))),
            (
                MS_IOS,
                Some(("Microsoft Authenticator for iOS", Source::BuiltIn)),
            ),
        ],
    );
    assert_eq!(catalog.len(), 55);
    let apple = catalog.get(APPLE.parse().unwrap()).unwrap();
    assert!(apple
        .icon_light()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    assert!(apple
        .icon_dark()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    let chromium = catalog
        .get("b5397666-4885-aa6b-cebf-e52262a439a2".parse().unwrap())
        .unwrap();
    assert_eq!((chromium.icon_light(), chromium.icon_dark()), (None, None));
}

#[test]
fn loaded_entries_override_builtins_but_not_keybound() {
    let list = format!(
        r#"{{"{KEYBOUND}": {{"name": "Impostor"}},
            "{MS_IOS}": {{"name": "Microsoft Authenticator", "icon_light": "{ICON}"}},
            "{}": {{"name": "  Apple Passwords  ", "icon_dark": "{ICON}", "extra": 1}}}}"#,
        APPLE.to_uppercase()
    );
    let catalog = check(
        &list,
        Expect::Loaded(2),
        &[
            (KEYBOUND, Some(("Keybound Authenticator", Source::BuiltIn))),
            (
                MS_IOS,
                Some(("Microsoft Authenticator", Source::CommunityList)),
            ),
            (
                MS_ANDROID,
                Some(("Microsoft Authenticator for Android", Source::BuiltIn)),
            ),
            (APPLE, Some(("Apple Passwords", Source::CommunityList))),
        ],
    );
    assert_eq!(
        catalog.get(MS_IOS.parse().unwrap()).unwrap().icon_light(),
        Some(ICON)
    );
}

#[test]
fn malformed_lists_name_the_offending_key() {
    let cases: &[(&str, &[&str])] = &[
        ("not json", &["not JSON"]),
        ("[]", &["JSON array", "object that maps AAGUIDs"]),
        (
            r#"{"not-an-aaguid": {"name": "X"}}"#,
            &["`not-an-aaguid`", "not an AAGUID"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7b": {"name": "X"}}"#,
            &["`fbfc3007-154e-4ecc-8c0b-6e020557d7b`"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": "Apple"}"#,
            &["`fbfc3007-154e-4ecc-8c0b-6e020557d7bd`", "not an object"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {}}"#,
            &["`fbfc3007-154e-4ecc-8c0b-6e020557d7bd`", "has no name"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": " "}}"#,
            &["has no name"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": 7}}"#,
            &["has no name"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": "X", "icon_light": "data:image/png;base64,AAAA"}}"#,
            &[
                "`icon_light`",
                "`fbfc3007-154e-4ecc-8c0b-6e020557d7bd`",
                "SVG data URI",
            ],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": "X", "icon_dark": "data:image/svg+xml;base64,%%%"}}"#,
            &["`icon_dark`", "SVG data URI"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": "X", "icon_dark": "data:image/svg+xml;base64,"}}"#,
            &["`icon_dark`"],
        ),
        (
            r#"{"fbfc3007-154e-4ecc-8c0b-6e020557d7bd": {"name": "X", "icon_dark": null}}"#,
            &["`icon_dark`"],
        ),
        // The first entry is valid; the bad second one still keeps both out.
        (
            r#"{"90a3ccdf-635c-4729-a248-9b709135078f": {"name": "Replaced"}, "zz": {"name": "X"}}"#,
            &["`zz`"],
        ),
    ];
    for (list, fragments) in cases {
        check(
            list,
            Expect::Fails(fragments),
            &[(
                MS_IOS,
                Some(("Microsoft Authenticator for iOS", Source::BuiltIn)),
            )],
        );
    }
}
