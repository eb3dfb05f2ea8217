//! Graph JSON both ways: the wire shape, PATCH semantics and every refusal.
//!
//! Each area's rows go through one `check` function: a starting
//! configuration, a PATCH body, and either the JSON the result must contain
//! or the error (path, detail code, a phrase of the message). A refused
//! PATCH must leave the configuration exactly as it was.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;

use keybound_policy::{
    AuthenticationMethodsPolicy, Fido2Configuration, GroupId, PatchContext, PolicyError, ProfileId,
    SoftwareOathConfiguration, TemporaryAccessPassConfiguration, Timestamp,
};
use serde_json::{json, Value};

const DEFAULT: &str = "00000000-0000-0000-0000-000000000001";
/// The first and second ids the test generator hands out.
const GEN1: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const GEN2: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const MS_IOS: &str = "90a3ccdf-635c-4729-a248-9b709135078f";
const MS_ANDROID: &str = "de1e552d-db1d-4423-a619-566b625cdc84";
const YUBIKEY: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

/// The groups the test directory has.
const DIRECTORY: [&str; 4] = ["engineering", "finance", "contractors", "admins"];

/// 2026-07-17T10:11:12Z.
fn now() -> Timestamp {
    Timestamp::from_unix_seconds(1_784_283_072).unwrap()
}

/// Runs `f` with a context whose directory is [`DIRECTORY`] and whose ids count up from [`GEN1`].
fn with_ctx<R>(f: impl FnOnce(&PatchContext<'_>) -> R) -> R {
    let counter = Cell::new(0u8);
    let group_exists = |group: &GroupId| DIRECTORY.contains(&group.as_str());
    let new_id = || {
        counter.set(counter.get() + 1);
        let mut bytes = [
            0xaa, 0xaa, 0xaa, 0xaa, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, 0,
        ];
        bytes[15] = counter.get();
        ProfileId::from_bytes(bytes)
    };
    let ctx = PatchContext::new(&group_exists, &new_id, now());
    f(&ctx)
}

/// Applies `patch` to the default FIDO2 configuration, which must accept it.
fn fido2(patches: &[Value]) -> Fido2Configuration {
    let mut config = Fido2Configuration::default();
    for patch in patches {
        with_ctx(|ctx| config.apply_patch(patch, ctx)).unwrap();
    }
    config
}

/// A configuration with a second profile (id GEN1) that the engineering group
/// allows, and the contractors group excluded.
fn base() -> Fido2Configuration {
    fido2(&[
        json!({"passkeyProfiles": [
            {"id": DEFAULT, "name": "Default passkey profile"},
            {"name": "Security keys", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [YUBIKEY, MS_IOS]}},
        ]}),
        json!({
            "includeTargets": [
                {"id": "all_users", "targetType": "group", "isRegistrationRequired": false, "allowedPasskeyProfiles": [DEFAULT]},
                {"id": "engineering", "targetType": "group", "isRegistrationRequired": true, "allowedPasskeyProfiles": [DEFAULT, GEN1]},
            ],
            "excludeTargets": [{"id": "contractors", "targetType": "group"}],
        }),
    ])
}

/// What a row expects.
enum Expect {
    /// The PATCH succeeds and `to_graph_json` contains this (objects: these members; arrays: exactly these elements).
    Json(Value),
    /// The PATCH is refused with this path and detail code, and the message contains `says`.
    Error {
        path: &'static str,
        detail: &'static str,
        says: &'static str,
    },
}

/// Asserts that `actual` contains `expected`: objects by member, arrays element by element.
#[track_caller]
fn assert_contains(actual: &Value, expected: &Value, at: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            for (key, value) in expected {
                let Some(found) = actual.get(key) else {
                    panic!("{at}.{key} is missing from {actual:?}");
                };
                assert_contains(found, value, &format!("{at}.{key}"));
            }
        }
        (Value::Array(actual), Value::Array(expected)) => {
            assert_eq!(
                actual.len(),
                expected.len(),
                "{at}: {actual:?} vs {expected:?}"
            );
            for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
                assert_contains(a, e, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(actual, expected, "at {at}"),
    }
}

/// Asserts a refusal: a 400 `badRequest`, the path, the detail code and a phrase of the message.
#[track_caller]
fn assert_refusal(error: &PolicyError, path: &str, detail: &str, says: &str) {
    assert_eq!(error.code(), "badRequest", "{error}");
    assert_eq!(error.status(), 400, "{error}");
    assert_eq!(error.path(), path, "{error}");
    assert_eq!(error.detail_code(), detail, "{error}");
    assert!(
        error.to_string().contains(says),
        "`{error}` should say `{says}`"
    );
}

/// One FIDO2 PATCH row.
#[track_caller]
fn check(start: Fido2Configuration, patch: Value, expect: Expect) {
    let mut config = start.clone();
    let result = with_ctx(|ctx| config.apply_patch(&patch, ctx));
    match (result, expect) {
        (Ok(()), Expect::Json(expected)) => {
            assert_contains(&config.to_graph_json(), &expected, "");
        }
        (Err(error), Expect::Error { path, detail, says }) => {
            assert_refusal(&error, path, detail, says);
            assert_eq!(config, start, "a refused PATCH must change nothing");
        }
        (Ok(()), Expect::Error { path, .. }) => {
            panic!(
                "expected a refusal at {path}, got {}",
                config.to_graph_json()
            )
        }
        (Err(error), Expect::Json(_)) => panic!("expected success, got `{error}`"),
    }
}

fn refused(path: &'static str, detail: &'static str, says: &'static str) -> Expect {
    Expect::Error { path, detail, says }
}

fn key_restrictions(enforced: bool, kind: &str, aaguids: &[&str]) -> Value {
    json!({"isEnforced": enforced, "enforcementType": kind, "aaGuids": aaguids})
}

#[test]
fn default_configuration_is_graphs_wire_shape() {
    let off = key_restrictions(false, "allow", &[]);
    assert_eq!(
        Fido2Configuration::default().to_graph_json(),
        json!({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
            "id": "Fido2",
            "state": "enabled",
            "isSelfServiceRegistrationAllowed": true,
            "isAttestationEnforced": false,
            "keyRestrictions": off,
            "defaultPasskeyProfile": DEFAULT,
            "excludeTargets": [],
            "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false,
                                "allowedPasskeyProfiles": [DEFAULT]}],
            "passkeyProfiles": [{"id": DEFAULT, "name": "Default passkey profile", "passkeyTypes": "deviceBound,synced",
                                 "attestationEnforcement": "disabled", "keyRestrictions": off}],
        })
    );
}

#[test]
fn seed_patch_lands_in_the_default_profile_and_the_legacy_fields() {
    let allow = key_restrictions(true, "allow", &[MS_IOS, MS_ANDROID]);
    let seed = json!({"isAttestationEnforced": false, "keyRestrictions": allow});
    let expected = json!({
        "isAttestationEnforced": false,
        "keyRestrictions": allow,
        "passkeyProfiles": [{"id": DEFAULT, "name": "Default passkey profile",
                             "attestationEnforcement": "disabled", "keyRestrictions": allow}],
    });
    check(
        Fido2Configuration::default(),
        seed.clone(),
        Expect::Json(expected.clone()),
    );
    // The 2024 blog posts send it with its @odata.type.
    let mut typed = seed;
    typed["@odata.type"] = json!("#microsoft.graph.fido2AuthenticationMethodConfiguration");
    check(Fido2Configuration::default(), typed, Expect::Json(expected));
    // Legacy isAttestationEnforced ⇔ registrationOnly, both ways.
    check(
        Fido2Configuration::default(),
        json!({"isAttestationEnforced": true}),
        Expect::Json(json!({"isAttestationEnforced": true,
                            "passkeyProfiles": [{"attestationEnforcement": "registrationOnly"}]})),
    );
    check(
        Fido2Configuration::default(),
        json!({"passkeyProfiles": [{"id": DEFAULT, "attestationEnforcement": "registrationOnly"}]}),
        Expect::Json(json!({"isAttestationEnforced": true})),
    );
    // With the default profile's element silent on a member, the legacy field sets it.
    check(
        base(),
        json!({"isAttestationEnforced": true, "keyRestrictions": {"aaGuids": [MS_ANDROID]},
               "passkeyProfiles": [{"id": DEFAULT, "passkeyTypes": "deviceBound"}, {"id": GEN1}]}),
        Expect::Json(json!({"isAttestationEnforced": true, "passkeyProfiles": [
            {"passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": key_restrictions(false, "allow", &[MS_ANDROID])},
            {"id": GEN1}]})),
    );
    // A partial legacy keyRestrictions changes only what it names.
    check(
        base(),
        json!({"keyRestrictions": {"isEnforced": true, "enforcementType": "block", "aaGuids": [MS_IOS]}}),
        Expect::Json(json!({"passkeyProfiles": [
            {"keyRestrictions": key_restrictions(true, "block", &[MS_IOS])},
            {"keyRestrictions": key_restrictions(true, "allow", &[YUBIKEY, MS_IOS])},
        ]})),
    );
}

#[test]
fn profiles_are_replaced_as_a_whole() {
    // New profiles come without id and get the generator's ids, skipping ids in use.
    check(
        base(),
        json!({"passkeyProfiles": [
            {"id": DEFAULT},
            {"id": GEN1},
            {"name": "Synced", "passkeyTypes": "synced,deviceBound", "attestationEnforcement": "disabled"},
        ]}),
        Expect::Json(json!({"passkeyProfiles": [
            {"id": DEFAULT},
            {"id": GEN1, "name": "Security keys"},
            {"id": GEN2, "name": "Synced", "passkeyTypes": "deviceBound,synced", "attestationEnforcement": "disabled",
             "keyRestrictions": key_restrictions(false, "allow", &[])},
        ]})),
    );
    // An existing profile keeps what the PATCH leaves out.
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1, "name": "Hardware keys"}]}),
        Expect::Json(json!({"passkeyProfiles": [
            {"id": DEFAULT},
            {"id": GEN1, "name": "Hardware keys", "passkeyTypes": "deviceBound",
             "attestationEnforcement": "registrationOnly",
             "keyRestrictions": key_restrictions(true, "allow", &[YUBIKEY, MS_IOS])},
        ]})),
    );
    // A profile no target allows may be left out (deleted).
    check(
        fido2(&[json!({"passkeyProfiles": [{"id": DEFAULT},
            {"name": "Spare", "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled"}]})]),
        json!({"passkeyProfiles": [{"id": DEFAULT}]}),
        Expect::Json(json!({"passkeyProfiles": [{"id": DEFAULT}]})),
    );
    // A referenced profile may go when the same PATCH drops the reference.
    check(
        base(),
        json!({
            "passkeyProfiles": [{"id": DEFAULT}],
            "includeTargets": [{"id": "engineering", "allowedPasskeyProfiles": [DEFAULT]}],
        }),
        Expect::Json(json!({
            "passkeyProfiles": [{"id": DEFAULT}],
            "includeTargets": [{"id": "engineering", "targetType": "group", "isRegistrationRequired": false,
                                "allowedPasskeyProfiles": [DEFAULT]}],
        })),
    );
    // Fifty profiles are fine: Keybound does not copy Entra's limit of three.
    let mut many = vec![json!({"id": DEFAULT})];
    many.extend((1..50).map(|i| {
        json!({"name": format!("Profile {i}"), "passkeyTypes": "deviceBound", "attestationEnforcement": "disabled"})
    }));
    let config = fido2(&[json!({"passkeyProfiles": many})]);
    assert_eq!(config.passkey_profiles().count(), 50);
}

#[test]
fn profile_protections() {
    check(
        base(),
        json!({"passkeyProfiles": [{"id": GEN1}]}),
        refused(
            "passkeyProfiles",
            "default_profile_required",
            "cannot be deleted",
        ),
    );
    check(
        base(),
        json!({"passkeyProfiles": []}),
        refused(
            "passkeyProfiles",
            "default_profile_required",
            "include it in the list",
        ),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT, "name": "Everyone"}, {"id": GEN1}]}),
        refused(
            "passkeyProfiles[0].name",
            "default_profile_renamed",
            "cannot be renamed",
        ),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}]}),
        refused(
            "includeTargets[1].allowedPasskeyProfiles[1]",
            "profile_in_use",
            "still allows the passkey profile “Security keys”",
        ),
    );
    check(
        base(),
        json!({"includeTargets": [{"id": "all_users", "targetType": "group"}]}),
        refused(
            "includeTargets[0].allowedPasskeyProfiles",
            "missing_passkey_profile_targets",
            "Include conditions are missing passkey profile targets",
        ),
    );
    check(
        base(),
        json!({"includeTargets": [{"id": "all_users", "allowedPasskeyProfiles": []}]}),
        refused(
            "includeTargets[0].allowedPasskeyProfiles",
            "missing_passkey_profile_targets",
            "Include conditions are missing passkey profile targets",
        ),
    );
    check(
        base(),
        json!({"includeTargets": [{"id": "all_users", "allowedPasskeyProfiles": [DEFAULT, GEN2]}]}),
        refused(
            "includeTargets[0].allowedPasskeyProfiles[1]",
            "unknown_profile",
            GEN2,
        ),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN2, "name": "Typo"}]}),
        refused(
            "passkeyProfiles[1].id",
            "unknown_profile",
            "send it in passkeyProfiles without an id",
        ),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1}, {"name": "security KEYS", "passkeyTypes": "synced", "attestationEnforcement": "disabled"}]}),
        refused("passkeyProfiles[2].name", "duplicate", "already listed"),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1}, {"id": GEN1}]}),
        refused("passkeyProfiles[2].id", "duplicate", GEN1),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1}, {"name": "New", "attestationEnforcement": "disabled"}]}),
        refused(
            "passkeyProfiles[2].passkeyTypes",
            "missing_property",
            "needs passkeyTypes",
        ),
    );
    check(
        base(),
        json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1}, {"name": "  ", "passkeyTypes": "synced", "attestationEnforcement": "disabled"}]}),
        refused(
            "passkeyProfiles[2].name",
            "invalid_value",
            "1 to 100 characters",
        ),
    );
}

#[test]
fn invalid_input_is_refused_with_its_field() {
    let aaguids = [YUBIKEY, MS_IOS, MS_ANDROID, "not-an-aaguid"];
    let rows = [
        (
            json!({"keyRestrictions": {"enforcementType": "deny"}}),
            refused(
                "keyRestrictions.enforcementType",
                "invalid_value",
                "\"allow\" or \"block\"",
            ),
        ),
        (
            json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1, "keyRestrictions": {"enforcementType": "allowList"}}]}),
            refused(
                "passkeyProfiles[1].keyRestrictions.enforcementType",
                "invalid_value",
                "`allowList`",
            ),
        ),
        (
            json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1, "keyRestrictions": {"aaGuids": aaguids}}]}),
            refused(
                "passkeyProfiles[1].keyRestrictions.aaGuids[3]",
                "invalid_aaguid",
                "8-4-4-4-12",
            ),
        ),
        (
            json!({"keyRestrictions": {"aaGuids": [MS_IOS, MS_IOS.to_uppercase()]}}),
            refused("keyRestrictions.aaGuids[1]", "duplicate", MS_IOS),
        ),
        (
            json!({"keyRestrictions": {"aaGuids": [42]}}),
            refused(
                "keyRestrictions.aaGuids[0]",
                "wrong_type",
                "an AAGUID string",
            ),
        ),
        (
            json!({"includeTargets": [
                {"id": "all_users", "allowedPasskeyProfiles": [DEFAULT]},
                {"id": "marketing", "allowedPasskeyProfiles": [DEFAULT]}]}),
            refused(
                "includeTargets[1].id",
                "unknown_group",
                "`marketing`, which does not exist",
            ),
        ),
        (
            json!({"excludeTargets": [{"id": "marketing", "targetType": "group"}]}),
            refused("excludeTargets[0].id", "unknown_group", "marketing"),
        ),
        (
            json!({"excludeTargets": [{"id": "all_users", "targetType": "group"}]}),
            refused(
                "excludeTargets[0].id",
                "invalid_value",
                "set state to \"disabled\"",
            ),
        ),
        (
            json!({"includeTargets": [{"id": "engineering", "targetType": "user", "allowedPasskeyProfiles": [DEFAULT]}]}),
            refused("includeTargets[0].targetType", "invalid_value", "\"group\""),
        ),
        (
            json!({"includeTargets": [{"id": "bad id!", "allowedPasskeyProfiles": [DEFAULT]}]}),
            refused("includeTargets[0].id", "invalid_id", "a group id"),
        ),
        (
            json!({"includeTargets": [
                {"id": "all_users", "allowedPasskeyProfiles": [DEFAULT]},
                {"id": "ALL_USERS", "allowedPasskeyProfiles": [DEFAULT]}]}),
            refused("includeTargets[1].id", "duplicate", "all_users"),
        ),
        (
            json!({"includeTargets": [{"id": "all_users", "allowedPasskeyProfiles": ["default"]}]}),
            refused(
                "includeTargets[0].allowedPasskeyProfiles[0]",
                "invalid_id",
                "a GUID",
            ),
        ),
        (
            json!({"keyRestrictions": {"aaGuids": vec![MS_IOS; 501]}}),
            refused(
                "keyRestrictions.aaGuids",
                "too_many",
                "501 AAGUIDs, more than the 500",
            ),
        ),
        (
            json!({"excludeTargets": vec![json!({"id": "finance"}); 101]}),
            refused("excludeTargets", "too_many", "more than the 100"),
        ),
        (
            json!({"passkeyProfiles": vec![json!({"id": DEFAULT}); 51]}),
            refused(
                "passkeyProfiles",
                "too_many",
                "51 passkey profiles, more than the 50",
            ),
        ),
        (
            json!({"isAttestationEnforce": true}),
            refused(
                "the request body",
                "unknown_property",
                "`isAttestationEnforce`",
            ),
        ),
        (
            json!({"IsAttestationEnforced": true}),
            refused(
                "the request body",
                "unknown_property",
                "or write it as `isAttestationEnforced`",
            ),
        ),
        (
            json!({"passkeyProfiles": [{"id": DEFAULT, "colour": "blue"}]}),
            refused(
                "passkeyProfiles[0]",
                "unknown_property",
                "passkeyProfile does not have",
            ),
        ),
        (
            json!({"keyRestrictions": {"isEnforced": true, "aaguids": []}}),
            refused(
                "keyRestrictions",
                "unknown_property",
                "write it as `aaGuids`",
            ),
        ),
        (
            json!({"id": "Sms"}),
            refused("id", "read_only", "read-only"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration"}),
            refused(
                "@odata.type",
                "read_only",
                "smsAuthenticationMethodConfiguration",
            ),
        ),
        (
            json!({"defaultPasskeyProfile": GEN1}),
            refused("defaultPasskeyProfile", "read_only", DEFAULT),
        ),
        (
            json!({"state": "paused"}),
            refused("state", "invalid_value", "\"enabled\" or \"disabled\""),
        ),
        (
            json!({"isSelfServiceRegistrationAllowed": "yes"}),
            refused(
                "isSelfServiceRegistrationAllowed",
                "wrong_type",
                "a boolean",
            ),
        ),
        (
            json!({"passkeyProfiles": null}),
            refused(
                "passkeyProfiles",
                "wrong_type",
                "profiles cannot be turned off",
            ),
        ),
        (
            json!({"passkeyProfiles": [{"id": DEFAULT, "passkeyTypes": ""}, {"id": GEN1}]}),
            refused(
                "passkeyProfiles[0].passkeyTypes",
                "invalid_value",
                "\"deviceBound,synced\"",
            ),
        ),
        (
            json!({"passkeyProfiles": [{"id": DEFAULT, "passkeyTypes": "deviceBound,unknownFutureValue"}, {"id": GEN1}]}),
            refused(
                "passkeyProfiles[0].passkeyTypes",
                "invalid_value",
                "unknownFutureValue",
            ),
        ),
        (
            json!({"passkeyProfiles": [{"id": DEFAULT, "attestationEnforcement": "always"}, {"id": GEN1}]}),
            refused(
                "passkeyProfiles[0].attestationEnforcement",
                "invalid_value",
                "\"registrationOnly\"",
            ),
        ),
        (
            json!({"keyRestrictions": {"isEnforced": true},
                   "passkeyProfiles": [{"id": DEFAULT, "keyRestrictions": {"isEnforced": false}}, {"id": GEN1}]}),
            refused(
                "keyRestrictions",
                "conflicting_legacy_setting",
                "mirrors the default passkey profile",
            ),
        ),
        (
            json!({"isAttestationEnforced": true,
                   "passkeyProfiles": [{"id": DEFAULT, "attestationEnforcement": "disabled"}, {"id": GEN1}]}),
            refused(
                "isAttestationEnforced",
                "conflicting_legacy_setting",
                "send only one of them",
            ),
        ),
        (
            json!([{"state": "disabled"}]),
            refused("the request body", "wrong_type", "a JSON object"),
        ),
    ];
    for (patch, expect) in rows {
        check(base(), patch, expect);
    }
}

#[test]
fn read_only_values_and_annotations_pass_when_unchanged() {
    check(
        base(),
        json!({"id": "fido2", "defaultPasskeyProfile": DEFAULT, "@odata.context": "https://example/$metadata",
               "includeTargets@odata.context": "https://example/includeTargets", "state": "disabled"}),
        Expect::Json(json!({"id": "Fido2", "state": "disabled"})),
    );
}

#[test]
fn groups_are_looked_up_only_when_added() {
    // "finance" is targeted, then leaves the directory: other changes still save.
    let start = fido2(&[json!({"excludeTargets": [{"id": "finance", "targetType": "group"}]})]);
    let mut config = start.clone();
    let nobody = |_: &GroupId| false;
    let no_ids = || ProfileId::DEFAULT;
    let ctx = PatchContext::new(&nobody, &no_ids, now());
    let mut round_trip = config.to_graph_json();
    round_trip["isSelfServiceRegistrationAllowed"] = json!(false);
    config.apply_patch(&round_trip, &ctx).unwrap();
    assert!(!config.is_self_service_registration_allowed());
    // A group the configuration does not yet target is looked up.
    let error = config
        .apply_patch(
            &json!({"excludeTargets": [{"id": "finance"}, {"id": "admins"}]}),
            &ctx,
        )
        .unwrap_err();
    assert_refusal(&error, "excludeTargets[1].id", "unknown_group", "admins");
}

#[test]
fn a_generator_that_only_repeats_is_a_server_fault() {
    let mut config = base();
    let before = config.clone();
    let everyone = |_: &GroupId| true;
    let stuck = || ProfileId::DEFAULT;
    let ctx = PatchContext::new(&everyone, &stuck, now());
    let patch = json!({"passkeyProfiles": [{"id": DEFAULT}, {"id": GEN1},
        {"name": "New", "passkeyTypes": "synced", "attestationEnforcement": "disabled"}]});
    let error = config.apply_patch(&patch, &ctx).unwrap_err();
    assert_eq!((error.code(), error.status()), ("generalException", 500));
    assert_eq!(error.path(), "passkeyProfiles[2]");
    assert_eq!(config, before);
}

#[test]
fn graph_capture_loads_and_writes_back_unchanged() {
    // The 2026-07 live-tenant capture of reference §3.2 (AAGUIDs written out).
    let mut capture = json!({
        "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
        "id": "Fido2",
        "state": "enabled",
        "isSelfServiceRegistrationAllowed": true,
        "isAttestationEnforced": true,
        "keyRestrictions": key_restrictions(true, "allow", &[MS_IOS, MS_ANDROID]),
        "defaultPasskeyProfile": DEFAULT,
        "excludeTargets": [],
        "includeTargets@odata.context": "https://graph.microsoft.com/v1.0/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations('Fido2')/microsoft.graph.fido2AuthenticationMethodConfiguration/includeTargets",
        "includeTargets": [
            {"targetType": "group", "id": "all_users", "isRegistrationRequired": false,
             "allowedPasskeyProfiles": [DEFAULT, "e47a833c-5dfa-45f1-9471-bb0cf0eb425b"]}
        ],
        "passkeyProfiles": [
            {"id": DEFAULT, "name": "Default passkey profile", "passkeyTypes": "deviceBound,synced",
             "attestationEnforcement": "registrationOnly",
             "keyRestrictions": key_restrictions(true, "allow", &[MS_IOS, MS_ANDROID])},
            {"id": "e47a833c-5dfa-45f1-9471-bb0cf0eb425b", "name": "synced", "passkeyTypes": "synced",
             "attestationEnforcement": "disabled",
             "keyRestrictions": key_restrictions(false, "allow",
                 &["dd4ec289-e01d-41c9-bb89-70fa845d4bf2", "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"])}
        ]
    });
    let config = Fido2Configuration::from_graph_json(&capture).unwrap();
    capture
        .as_object_mut()
        .unwrap()
        .remove("includeTargets@odata.context");
    assert_eq!(config.to_graph_json(), capture);
}

#[test]
fn round_trip_to_graph_json_as_patch_gives_the_same_json() {
    let seeded = fido2(&[json!({"isAttestationEnforced": false,
        "keyRestrictions": key_restrictions(true, "allow", &[MS_IOS, MS_ANDROID])})]);
    for config in [Fido2Configuration::default(), seeded, base()] {
        let document = config.to_graph_json();
        let mut patched = config.clone();
        with_ctx(|ctx| patched.apply_patch(&document, ctx)).unwrap();
        assert_eq!(patched.to_graph_json(), document);
        assert_eq!(patched, config);
        assert_eq!(
            Fido2Configuration::from_graph_json(&document).unwrap(),
            config
        );
    }
}

/// One Temporary Access Pass PATCH row, from the default configuration.
#[track_caller]
fn check_tap(patch: Value, expect: Expect) {
    let start = TemporaryAccessPassConfiguration::default();
    let mut config = start.clone();
    let result = with_ctx(|ctx| config.apply_patch(&patch, ctx));
    match (result, expect) {
        (Ok(()), Expect::Json(expected)) => assert_contains(&config.to_graph_json(), &expected, ""),
        (Err(error), Expect::Error { path, detail, says }) => {
            assert_refusal(&error, path, detail, says);
            assert_eq!(config, start, "a refused PATCH must change nothing");
        }
        (Ok(()), Expect::Error { path, .. }) => panic!("expected a refusal at {path}"),
        (Err(error), Expect::Json(_)) => panic!("expected success, got `{error}`"),
    }
}

#[test]
fn temporary_access_pass() {
    assert_eq!(
        TemporaryAccessPassConfiguration::default().to_graph_json(),
        json!({
            "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
            "id": "TemporaryAccessPass",
            "state": "enabled",
            "defaultLifetimeInMinutes": 60,
            "defaultLength": 8,
            "minimumLifetimeInMinutes": 60,
            "maximumLifetimeInMinutes": 480,
            "isUsableOnce": false,
            "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}],
            "excludeTargets": [],
        })
    );
    check_tap(
        json!({"minimumLifetimeInMinutes": 10, "defaultLifetimeInMinutes": 30, "maximumLifetimeInMinutes": 43200,
               "defaultLength": 48, "isUsableOnce": true}),
        Expect::Json(
            json!({"minimumLifetimeInMinutes": 10, "defaultLifetimeInMinutes": 30,
                            "maximumLifetimeInMinutes": 43200, "defaultLength": 48, "isUsableOnce": true}),
        ),
    );
    check_tap(
        json!({"includeTargets": [{"id": "admins", "targetType": "group", "isRegistrationRequired": false}],
               "excludeTargets": [{"id": "contractors", "targetType": "group"}]}),
        Expect::Json(
            json!({"includeTargets": [{"id": "admins"}], "excludeTargets": [{"id": "contractors"}]}),
        ),
    );
    let rows = [
        (
            json!({"defaultLifetimeInMinutes": 500}),
            refused(
                "defaultLifetimeInMinutes",
                "lifetime_order",
                "60 ≤ 500 ≤ 480",
            ),
        ),
        (
            json!({"minimumLifetimeInMinutes": 120}),
            refused(
                "minimumLifetimeInMinutes",
                "lifetime_order",
                "minimumLifetimeInMinutes ≤ defaultLifetimeInMinutes",
            ),
        ),
        (
            json!({"maximumLifetimeInMinutes": 30}),
            refused("maximumLifetimeInMinutes", "lifetime_order", "60 ≤ 60 ≤ 30"),
        ),
        (
            json!({"minimumLifetimeInMinutes": 5}),
            refused(
                "minimumLifetimeInMinutes",
                "out_of_range",
                "between 10 and 43200",
            ),
        ),
        (
            json!({"maximumLifetimeInMinutes": 43201}),
            refused("maximumLifetimeInMinutes", "out_of_range", "43201"),
        ),
        (
            json!({"defaultLength": 7}),
            refused("defaultLength", "out_of_range", "between 8 and 48"),
        ),
        (
            json!({"defaultLength": 8.5}),
            refused("defaultLength", "wrong_type", "a whole number"),
        ),
        (
            json!({"isUsableOnce": "true"}),
            refused("isUsableOnce", "wrong_type", "a boolean"),
        ),
        (
            json!({"lifetimeInMinutes": 60}),
            refused("the request body", "unknown_property", "lifetimeInMinutes"),
        ),
        (
            json!({"id": "Fido2"}),
            refused("id", "read_only", "TemporaryAccessPass"),
        ),
        (
            json!({"includeTargets": [{"id": "marketing"}]}),
            refused("includeTargets[0].id", "unknown_group", "marketing"),
        ),
        (
            json!({"includeTargets": [{"id": "admins", "allowedPasskeyProfiles": [DEFAULT]}]}),
            refused(
                "includeTargets[0]",
                "unknown_property",
                "allowedPasskeyProfiles",
            ),
        ),
    ];
    for (patch, expect) in rows {
        check_tap(patch, expect);
    }
    let tap = TemporaryAccessPassConfiguration::from_graph_json(&json!({
        "includeTargets": [{"id": "admins"}], "excludeTargets": [{"id": "contractors"}]}))
    .unwrap();
    let groups =
        |names: &[&str]| -> Vec<GroupId> { names.iter().map(|n| n.parse().unwrap()).collect() };
    assert!(tap.is_usable_by(&groups(&["admins"])));
    assert!(!tap.is_usable_by(&groups(&["admins", "contractors"])));
    assert!(!tap.is_usable_by(&groups(&["finance"])));
    let document = tap.to_graph_json();
    assert_eq!(
        TemporaryAccessPassConfiguration::from_graph_json(&document).unwrap(),
        tap
    );
}

#[test]
fn software_oath() {
    let mut config = SoftwareOathConfiguration::default();
    assert_eq!(
        config.to_graph_json(),
        json!({
            "@odata.type": "#microsoft.graph.softwareOathAuthenticationMethodConfiguration",
            "id": "SoftwareOath",
            "state": "enabled",
            "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}],
            "excludeTargets": [],
        })
    );
    with_ctx(|ctx| {
        config.apply_patch(
            &json!({"state": "disabled", "excludeTargets": [{"id": "finance"}]}),
            ctx,
        )
    })
    .unwrap();
    assert_contains(
        &config.to_graph_json(),
        &json!({"state": "disabled", "excludeTargets": [{"id": "finance", "targetType": "group"}]}),
        "",
    );
    assert!(!config.is_usable_by(&[]));
    let before = config.clone();
    let error =
        with_ctx(|ctx| config.apply_patch(&json!({"state": "enabled", "numberOfDigits": 6}), ctx))
            .unwrap_err();
    assert_refusal(
        &error,
        "the request body",
        "unknown_property",
        "numberOfDigits",
    );
    assert_eq!(config, before);
    assert_eq!(
        SoftwareOathConfiguration::from_graph_json(&config.to_graph_json()).unwrap(),
        config
    );
}

/// One root-policy PATCH row, from a new policy stamped at the epoch.
#[track_caller]
fn check_root(patch: Value, expect: Expect) {
    let start = AuthenticationMethodsPolicy::new(Timestamp::from_unix_seconds(0).unwrap());
    let mut policy = start.clone();
    let result = with_ctx(|ctx| policy.apply_patch(&patch, ctx));
    match (result, expect) {
        (Ok(()), Expect::Json(expected)) => {
            assert_eq!(policy.last_modified(), now());
            assert_contains(&policy.to_graph_json(), &expected, "");
        }
        (Err(error), Expect::Error { path, detail, says }) => {
            assert_refusal(&error, path, detail, says);
            assert_eq!(
                policy, start,
                "a refused PATCH must change nothing, the time included"
            );
        }
        (Ok(()), Expect::Error { path, .. }) => panic!("expected a refusal at {path}"),
        (Err(error), Expect::Json(_)) => panic!("expected success, got `{error}`"),
    }
}

#[test]
fn root_policy() {
    let policy = AuthenticationMethodsPolicy::new(now());
    let document = policy.to_graph_json();
    assert_contains(
        &document,
        &json!({
            "id": "authenticationMethodsPolicy",
            "displayName": "Authentication Methods Policy",
            "description": "The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings",
            "lastModifiedDateTime": "2026-07-17T10:11:12Z",
            "policyVersion": "1.5",
            "policyMigrationState": "migrationComplete",
            "reconfirmationInDays": 180,
        }),
        "",
    );
    assert_eq!(
        document["authenticationMethodConfigurations"][0],
        Fido2Configuration::default().to_graph_json()
    );
    assert_eq!(
        AuthenticationMethodsPolicy::from_graph_json(&document).unwrap(),
        policy
    );

    let seed = json!({"isAttestationEnforced": false,
        "keyRestrictions": key_restrictions(true, "allow", &[MS_IOS, MS_ANDROID])});
    let mut seed_element = seed.clone();
    seed_element["id"] = json!("Fido2");
    check_root(
        json!({"reconfirmationInDays": 90, "displayName": "Authentication Methods Policy",
               "lastModifiedDateTime": "2001-01-01T00:00:00Z",
               "authenticationMethodConfigurations": [
                   seed_element,
                   {"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration", "isUsableOnce": true}]}),
        Expect::Json(
            json!({"reconfirmationInDays": 90, "lastModifiedDateTime": "2026-07-17T10:11:12Z",
            "authenticationMethodConfigurations": [
                {"id": "Fido2", "passkeyProfiles": [{"keyRestrictions": seed["keyRestrictions"]}]},
                {"id": "TemporaryAccessPass", "isUsableOnce": true},
                {"id": "SoftwareOath", "state": "enabled"}]}),
        ),
    );
    let rows = [
        (json!({"displayName": "Mine"}), refused("displayName", "read_only", "Authentication Methods Policy")),
        (json!({"policyVersion": "2.0"}), refused("policyVersion", "read_only", "1.5")),
        (json!({"policyMigrationState": "preMigration"}), refused("policyMigrationState", "invalid_value", "no legacy MFA or SSPR policies")),
        (json!({"reconfirmationInDays": 731}), refused("reconfirmationInDays", "out_of_range", "between 0 and 730")),
        (json!({"registrationEnforcement": {}}), refused("the request body", "unknown_property", "registrationEnforcement")),
        (
            json!({"authenticationMethodConfigurations": [{"id": "Sms", "state": "enabled"}]}),
            refused("authenticationMethodConfigurations[0].id", "invalid_value", "\"Fido2\", \"TemporaryAccessPass\" or \"SoftwareOath\""),
        ),
        (
            json!({"authenticationMethodConfigurations": [{"state": "enabled"}]}),
            refused("authenticationMethodConfigurations[0].id", "missing_property", "say which configuration"),
        ),
        (
            // The first element is fine; the second's error leaves the first unapplied too.
            json!({"authenticationMethodConfigurations": [
                {"id": "SoftwareOath", "state": "disabled"},
                {"id": "Fido2", "passkeyProfiles": [{"id": DEFAULT, "keyRestrictions": {"aaGuids": ["x"]}}]}]}),
            refused("authenticationMethodConfigurations[1].passkeyProfiles[0].keyRestrictions.aaGuids[0]", "invalid_aaguid", "`x`"),
        ),
        (
            json!({"authenticationMethodConfigurations": [{"id": "Fido2"}, {"id": "FIDO2"}]}),
            refused("authenticationMethodConfigurations[1]", "duplicate", "Fido2"),
        ),
    ];
    for (patch, expect) in rows {
        check_root(patch, expect);
    }
}

#[test]
fn configurations_by_path() {
    let mut policy = AuthenticationMethodsPolicy::new(Timestamp::from_unix_seconds(0).unwrap());
    let seed = json!({"isAttestationEnforced": false,
        "keyRestrictions": key_restrictions(true, "allow", &[MS_IOS, MS_ANDROID])});
    with_ctx(|ctx| policy.patch_configuration("FIDO2", &seed, ctx)).unwrap();
    assert_eq!(policy.last_modified(), now());
    assert_eq!(
        policy.configuration_json("fido2").unwrap()["passkeyProfiles"][0]["keyRestrictions"],
        seed["keyRestrictions"]
    );
    let before = policy.clone();
    let error = with_ctx(|ctx| policy.patch_configuration("Sms", &json!({}), ctx)).unwrap_err();
    assert_eq!(
        (error.code(), error.status(), error.detail_code()),
        ("itemNotFound", 404, "unknown_configuration")
    );
    assert!(error
        .to_string()
        .contains("Keybound has Fido2, TemporaryAccessPass and SoftwareOath"));
    assert_eq!(policy, before);
    assert!(policy.configuration_json("sms").is_err());
}

#[test]
fn timestamps_read_and_write_rfc_3339() {
    let rows = [
        (0, "1970-01-01T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (1_784_283_072, "2026-07-17T10:11:12Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ];
    for (seconds, text) in rows {
        let time = Timestamp::from_unix_seconds(seconds).unwrap();
        assert_eq!(time.to_string(), text);
        let mut document = AuthenticationMethodsPolicy::new(time).to_graph_json();
        assert_eq!(
            AuthenticationMethodsPolicy::from_graph_json(&document)
                .unwrap()
                .last_modified(),
            time
        );
        document["lastModifiedDateTime"] = json!(text.replace('Z', ".1234567Z"));
        assert_eq!(
            AuthenticationMethodsPolicy::from_graph_json(&document)
                .unwrap()
                .last_modified(),
            time
        );
    }
    assert_eq!(Timestamp::from_unix_seconds(-1), None);
    assert_eq!(Timestamp::from_unix_seconds(253_402_300_800), None);
    for bad in [
        "2026-02-30T00:00:00Z",
        "2026-07-17 10:11:12Z",
        "2026-07-17T10:11:12",
        "2026-07-17T24:00:00Z",
    ] {
        let mut document = AuthenticationMethodsPolicy::new(now()).to_graph_json();
        document["lastModifiedDateTime"] = json!(bad);
        let error = AuthenticationMethodsPolicy::from_graph_json(&document).unwrap_err();
        assert_refusal(&error, "lastModifiedDateTime", "invalid_value", "RFC 3339");
    }
}
