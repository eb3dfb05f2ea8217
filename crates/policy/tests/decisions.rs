//! The register and sign-in decisions, unattested-claim warnings and dry-run
//! impact, each area's rows through one `check` function.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;

use keybound_metadata::Catalog;
use keybound_policy::{
    impact, Attestation, Claim, CredentialFacts, Decision, Fido2Configuration, GroupId,
    PatchContext, ProfileId, RegistrationChannel, Timestamp, UserRef,
};
use keybound_webauthn::Aaguid;
use serde_json::{json, Value};

const DEFAULT: &str = "00000000-0000-0000-0000-000000000001";
const GEN1: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const GEN2: &str = "aaaaaaaa-0000-4000-8000-000000000002";
const MS_IOS: &str = "90a3ccdf-635c-4729-a248-9b709135078f";
const MS_ANDROID: &str = "de1e552d-db1d-4423-a619-566b625cdc84";
const APPLE: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const GOOGLE: &str = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";
const YUBIKEY: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

const DIRECTORY: [&str; 4] = ["engineering", "finance", "contractors", "admins"];

/// The default configuration with `patches` applied; ids count up from GEN1 across them.
fn config(patches: &[Value]) -> Fido2Configuration {
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
    let ctx = PatchContext::new(
        &group_exists,
        &new_id,
        Timestamp::from_unix_seconds(0).unwrap(),
    );
    let mut config = Fido2Configuration::default();
    for patch in patches {
        config.apply_patch(patch, &ctx).unwrap();
    }
    config
}

fn restrictions(kind: &str, aaguids: &[&str]) -> Value {
    json!({"isEnforced": true, "enforcementType": kind, "aaGuids": aaguids})
}

/// The default profile with these members changed.
fn default_profile(members: Value) -> Value {
    let mut profile = members;
    profile["id"] = json!(DEFAULT);
    json!({"passkeyProfiles": [profile]})
}

fn groups(names: &[&str]) -> Vec<GroupId> {
    names.iter().map(|n| n.parse().unwrap()).collect()
}

const NONE: Attestation = Attestation::NotAttested;
const TRUSTED: Attestation = Attestation::Attested { trusted: true };
const UNTRUSTED: Attestation = Attestation::Attested { trusted: false };

fn synced(aaguid: &str) -> CredentialFacts {
    CredentialFacts {
        aaguid: aaguid.parse().unwrap(),
        backup_eligible: true,
        attestation: NONE,
    }
}

fn device_bound(aaguid: &str, attestation: Attestation) -> CredentialFacts {
    CredentialFacts {
        aaguid: aaguid.parse().unwrap(),
        backup_eligible: false,
        attestation,
    }
}

/// Which decision a row asks for.
#[derive(Clone, Copy, Debug)]
enum Ask {
    /// Registration through self-service set-up.
    SelfService,
    /// Registration by an administrator on the user's behalf.
    ByAdmin,
    /// Sign-in.
    SignIn,
}

/// What a row expects.
enum Want {
    /// Allowed by the profile with this id.
    Allowed(&'static str),
    /// Denied with this code, these profiles considered (by name), and a message containing each phrase.
    Denied(
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    ),
}

/// One decision row.
#[track_caller]
fn check(
    config: &Fido2Configuration,
    member_of: &[&str],
    credential: CredentialFacts,
    ask: Ask,
    want: Want,
) {
    check_with(
        &Catalog::builtin(),
        config,
        member_of,
        credential,
        ask,
        want,
    );
}

#[track_caller]
fn check_with(
    catalog: &Catalog,
    config: &Fido2Configuration,
    member_of: &[&str],
    credential: CredentialFacts,
    ask: Ask,
    want: Want,
) {
    let memberships = groups(member_of);
    let decision = match ask {
        Ask::SelfService => config.may_register(
            &memberships,
            &credential,
            RegistrationChannel::SelfService,
            catalog,
        ),
        Ask::ByAdmin => config.may_register(
            &memberships,
            &credential,
            RegistrationChannel::Administrator,
            catalog,
        ),
        Ask::SignIn => config.may_sign_in(&memberships, &credential, catalog),
    };
    match (decision, want) {
        (Decision::Allowed { profile }, Want::Allowed(expected)) => {
            assert_eq!(profile.to_string(), expected, "{ask:?}");
        }
        (Decision::Denied(denial), Want::Denied(code, profiles, phrases)) => {
            assert_eq!(denial.code(), code, "{ask:?}: {denial}");
            assert_eq!(denial.reason().code(), code);
            assert_eq!(denial.aaguid(), credential.aaguid);
            let names: Vec<&str> = denial.profiles().iter().map(|p| p.name()).collect();
            assert_eq!(names, profiles, "{ask:?}: {denial}");
            let message = denial.message();
            assert!(
                message.contains(&credential.aaguid.to_string()),
                "{message}"
            );
            assert!(message.contains(denial.provider()), "{message}");
            for phrase in phrases {
                assert!(
                    message.contains(phrase),
                    "{ask:?}: `{message}` should say `{phrase}`"
                );
            }
        }
        (Decision::Allowed { profile }, Want::Denied(code, ..)) => {
            panic!("{ask:?}: expected {code}, but profile {profile} allowed it")
        }
        (Decision::Denied(denial), Want::Allowed(_)) => {
            panic!("{ask:?}: expected allowed, got {}: {denial}", denial.code())
        }
    }
}

const DEFAULT_ONLY: &[&str] = &["Default passkey profile"];

#[test]
fn allow_list() {
    let seeded = config(&[json!({"isAttestationEnforced": false,
        "keyRestrictions": restrictions("allow", &[MS_IOS, MS_ANDROID])})]);
    for ask in [Ask::SelfService, Ask::SignIn] {
        check(
            &seeded,
            &[],
            device_bound(MS_IOS, NONE),
            ask,
            Want::Allowed(DEFAULT),
        );
        check(
            &seeded,
            &[],
            synced(MS_ANDROID),
            ask,
            Want::Allowed(DEFAULT),
        );
        check(
            &seeded,
            &[],
            synced(APPLE),
            ask,
            Want::Denied(
                "aaguid_not_allowed",
                DEFAULT_ONLY,
                &[
                    "This passkey provider (unknown provider, AAGUID fbfc3007-154e-4ecc-8c0b-6e020557d7bd)",
                    "is not on your organisation's allow list in passkey profile “Default passkey profile”",
                    "Use a passkey from an allowed provider, or ask your administrator.",
                ],
            ),
        );
    }
    // The built-in catalog names Microsoft Authenticator.
    let block_ios = config(&[default_profile(
        json!({"keyRestrictions": restrictions("block", &[MS_IOS])}),
    )]);
    check(
        &block_ios,
        &[],
        device_bound(MS_IOS, NONE),
        Ask::SignIn,
        Want::Denied(
            "aaguid_blocked",
            DEFAULT_ONLY,
            &["(Microsoft Authenticator for iOS, AAGUID 90a3ccdf-635c-4729-a248-9b709135078f)"],
        ),
    );
}

#[test]
fn allow_list_names_the_provider_from_the_community_list() {
    const LIST: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/passkey-provider-aaguids.json"
    );
    let text = std::fs::read_to_string(LIST).unwrap_or_else(|e| {
        panic!("cannot read {LIST} ({e}): the passkey-provider AAGUID list used by this test belongs in ../shared/data/passkey-provider-aaguids.json, beside the workspace; it is not vendored into the repository")
    });
    let mut catalog = Catalog::builtin();
    catalog.load_community_list(&text).unwrap();
    let provider = catalog
        .get(APPLE.parse().unwrap())
        .unwrap()
        .name()
        .to_owned();
    let seeded =
        config(&[json!({"keyRestrictions": restrictions("allow", &[MS_IOS, MS_ANDROID])})]);
    let memberships = groups(&[]);
    let decision = seeded.may_register(
        &memberships,
        &synced(APPLE),
        RegistrationChannel::SelfService,
        &catalog,
    );
    let denial = decision.denial().unwrap();
    assert_eq!(denial.provider(), provider);
    assert_eq!(
        denial.message(),
        format!("This passkey provider ({provider}, AAGUID fbfc3007-154e-4ecc-8c0b-6e020557d7bd) is not on your organisation's allow list in passkey profile “Default passkey profile”. Use a passkey from an allowed provider, or ask your administrator.")
    );
    check_with(
        &catalog,
        &seeded,
        &[],
        synced(APPLE),
        Ask::SignIn,
        Want::Denied("aaguid_not_allowed", DEFAULT_ONLY, &["Apple Passwords"]),
    );
}

#[test]
fn block_list() {
    let blocking = config(&[default_profile(
        json!({"keyRestrictions": restrictions("block", &[APPLE])}),
    )]);
    for ask in [Ask::SelfService, Ask::SignIn] {
        check(
            &blocking,
            &[],
            synced(APPLE),
            ask,
            Want::Denied("aaguid_blocked", DEFAULT_ONLY, &["is on your organisation's block list in passkey profile “Default passkey profile”", "Use a passkey from another provider"]),
        );
        check(&blocking, &[], synced(GOOGLE), ask, Want::Allowed(DEFAULT));
    }
    // A list that is not enforced does nothing.
    let off = config(&[default_profile(
        json!({"keyRestrictions": {"isEnforced": false, "enforcementType": "block", "aaGuids": [APPLE]}}),
    )]);
    check(
        &off,
        &[],
        synced(APPLE),
        Ask::SignIn,
        Want::Allowed(DEFAULT),
    );
}

#[test]
fn passkey_types() {
    let device_bound_only = config(&[default_profile(json!({"passkeyTypes": "deviceBound"}))]);
    for ask in [Ask::SelfService, Ask::SignIn] {
        check(
            &device_bound_only,
            &[],
            synced(GOOGLE),
            ask,
            Want::Denied("synced_not_allowed", DEFAULT_ONLY, &["This is a synced passkey", "only device-bound passkeys are allowed in passkey profile “Default passkey profile”"]),
        );
        check(
            &device_bound_only,
            &[],
            device_bound(YUBIKEY, NONE),
            ask,
            Want::Allowed(DEFAULT),
        );
    }
    let synced_only = config(&[default_profile(json!({"passkeyTypes": "synced"}))]);
    check(
        &synced_only,
        &[],
        device_bound(YUBIKEY, NONE),
        Ask::SignIn,
        Want::Denied(
            "device_bound_not_allowed",
            DEFAULT_ONLY,
            &["only synced passkeys are allowed"],
        ),
    );
}

#[test]
fn attestation_is_enforced_at_registration_only() {
    let attested = config(&[
        json!({"isAttestationEnforced": true}),
        default_profile(json!({"passkeyTypes": "deviceBound"})),
    ]);
    check(
        &attested,
        &[],
        device_bound(YUBIKEY, NONE),
        Ask::SelfService,
        Want::Denied("attestation_required", DEFAULT_ONLY, &["Attestation is required when a passkey is registered in passkey profile “Default passkey profile”", "and this passkey (unknown provider, AAGUID cb69481e-8ff7-4039-93ec-0a2729a154a8) sent no attestation."]),
    );
    check(
        &attested,
        &[],
        device_bound(YUBIKEY, UNTRUSTED),
        Ask::ByAdmin,
        Want::Denied(
            "attestation_required",
            DEFAULT_ONLY,
            &["does not chain to a trusted root"],
        ),
    );
    check(
        &attested,
        &[],
        device_bound(YUBIKEY, TRUSTED),
        Ask::SelfService,
        Want::Allowed(DEFAULT),
    );
    // Registered before attestation was enforced: sign-in is not re-checked.
    check(
        &attested,
        &[],
        device_bound(YUBIKEY, NONE),
        Ask::SignIn,
        Want::Allowed(DEFAULT),
    );
    check(
        &attested,
        &[],
        device_bound(YUBIKEY, UNTRUSTED),
        Ask::SignIn,
        Want::Allowed(DEFAULT),
    );
}

#[test]
fn targeting_and_exclusion() {
    let engineering_only = config(&[json!({
        "includeTargets": [{"id": "engineering", "targetType": "group", "allowedPasskeyProfiles": [DEFAULT]}],
        "excludeTargets": [{"id": "contractors", "targetType": "group"}],
    })]);
    let everyone_but_contractors =
        config(&[json!({"excludeTargets": [{"id": "contractors", "targetType": "group"}]})]);
    for ask in [Ask::SelfService, Ask::ByAdmin, Ask::SignIn] {
        let key = device_bound(YUBIKEY, NONE);
        check(
            &engineering_only,
            &["engineering"],
            key,
            ask,
            Want::Allowed(DEFAULT),
        );
        check(
            &engineering_only,
            &["finance"],
            key,
            ask,
            Want::Denied(
                "user_not_targeted",
                &[],
                &[
                    "no group you belong to is included",
                    "Ask your administrator to include you.",
                ],
            ),
        );
        check(
            &engineering_only,
            &["engineering", "contractors"],
            key,
            ask,
            Want::Denied(
                "user_excluded",
                &[],
                &["in the group contractors, which is excluded"],
            ),
        );
        check(
            &everyone_but_contractors,
            &["finance"],
            key,
            ask,
            Want::Allowed(DEFAULT),
        );
        check(
            &everyone_but_contractors,
            &["contractors"],
            key,
            ask,
            Want::Denied("user_excluded", &[], &["contractors"]),
        );
    }
    let denial = everyone_but_contractors
        .may_sign_in(
            &groups(&["contractors"]),
            &device_bound(YUBIKEY, NONE),
            &Catalog::builtin(),
        )
        .denial()
        .cloned()
        .unwrap();
    assert_eq!(
        denial.excluded_by().map(GroupId::as_str),
        Some("contractors")
    );
}

/// Default: device-bound only. GEN1 “Synced phones”: synced, Google only.
/// GEN2 “Security keys”: device-bound, YubiKey only, attested. Engineering has all three.
fn several_profiles() -> Fido2Configuration {
    config(&[
        json!({"passkeyProfiles": [
            {"id": DEFAULT, "passkeyTypes": "deviceBound"},
            {"name": "Synced phones", "passkeyTypes": "synced", "attestationEnforcement": "disabled",
             "keyRestrictions": restrictions("allow", &[GOOGLE])},
            {"name": "Security keys", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
             "keyRestrictions": restrictions("allow", &[YUBIKEY])},
        ]}),
        json!({"includeTargets": [
            {"id": "all_users", "allowedPasskeyProfiles": [DEFAULT]},
            {"id": "engineering", "allowedPasskeyProfiles": [GEN2, GEN1]},
        ]}),
    ])
}

#[test]
fn several_profiles_pass_if_any_one_is_fully_satisfied() {
    let config = several_profiles();
    const ALL: &[&str] = &["Default passkey profile", "Synced phones", "Security keys"];
    for ask in [Ask::SelfService, Ask::SignIn] {
        check(
            &config,
            &["engineering"],
            synced(GOOGLE),
            ask,
            Want::Allowed(GEN1),
        );
        check(
            &config,
            &["finance"],
            synced(GOOGLE),
            ask,
            Want::Denied(
                "synced_not_allowed",
                DEFAULT_ONLY,
                &["only device-bound passkeys"],
            ),
        );
        // Profiles are tried in the configuration's order: the default first.
        check(
            &config,
            &["engineering"],
            device_bound(YUBIKEY, NONE),
            ask,
            Want::Allowed(DEFAULT),
        );
        // Every profile fails: the most specific reason, every profile named.
        check(
            &config,
            &["engineering"],
            synced(APPLE),
            ask,
            Want::Denied(
                "aaguid_not_allowed",
                ALL,
                &[
                    "is not on your organisation's allow list in passkey profiles “Synced phones” and “Security keys”.",
                    "Passkey profile “Default passkey profile” takes only device-bound passkeys.",
                ],
            ),
        );
    }
    // Device-bound and attested: the default profile takes it without attestation.
    let attested_only = config_with_default_attested();
    check(
        &attested_only,
        &["engineering"],
        device_bound(MS_IOS, NONE),
        Ask::SelfService,
        Want::Denied(
            "aaguid_not_allowed",
            &["Default passkey profile", "Synced phones", "Security keys"],
            &[
                "passkey profiles “Synced phones” and “Security keys”",
                "Passkey profile “Default passkey profile” requires attestation at registration.",
            ],
        ),
    );
}

/// [`several_profiles`] with the default profile demanding attestation.
fn config_with_default_attested() -> Fido2Configuration {
    let mut document = several_profiles().to_graph_json();
    document["passkeyProfiles"][0]["attestationEnforcement"] = json!("registrationOnly");
    document["isAttestationEnforced"] = json!(true);
    Fido2Configuration::from_graph_json(&document).unwrap()
}

#[test]
fn self_service_and_method_state() {
    let no_self_service = config(&[json!({"isSelfServiceRegistrationAllowed": false})]);
    let key = device_bound(YUBIKEY, NONE);
    check(
        &no_self_service,
        &[],
        key,
        Ask::SelfService,
        Want::Denied(
            "self_service_disabled",
            &[],
            &[
                "does not allow adding passkeys yourself",
                "Ask your administrator to register a passkey for you.",
            ],
        ),
    );
    check(
        &no_self_service,
        &[],
        key,
        Ask::ByAdmin,
        Want::Allowed(DEFAULT),
    );
    check(
        &no_self_service,
        &[],
        key,
        Ask::SignIn,
        Want::Allowed(DEFAULT),
    );
    let disabled = config(&[json!({"state": "disabled"})]);
    for ask in [Ask::SelfService, Ask::ByAdmin, Ask::SignIn] {
        check(
            &disabled,
            &[],
            key,
            ask,
            Want::Denied(
                "method_disabled",
                &[],
                &["Passkeys (FIDO2) are turned off for your organisation"],
            ),
        );
    }
}

/// One unattested-claims row: the warnings as (profile name, claim), and a phrase of each message.
#[track_caller]
fn check_claims(config: &Fido2Configuration, want: &[(&str, Claim, &str)]) {
    let warnings = config.unattested_claims();
    let got: Vec<(&str, Claim)> = warnings
        .iter()
        .map(|w| (w.profile_name(), w.claim()))
        .collect();
    let expected: Vec<(&str, Claim)> = want
        .iter()
        .map(|(name, claim, _)| (*name, *claim))
        .collect();
    assert_eq!(got, expected);
    for (warning, (_, _, phrase)) in warnings.iter().zip(want) {
        assert!(
            warning.message().contains(phrase),
            "`{}` should say `{phrase}`",
            warning.message()
        );
        assert_eq!(
            config.profile(warning.profile()).map(|p| p.name()),
            Some(warning.profile_name())
        );
    }
}

#[test]
fn unattested_claims() {
    check_claims(&Fido2Configuration::default(), &[]);
    check_claims(
        &config(&[json!({"keyRestrictions": restrictions("allow", &[MS_IOS])})]),
        &[(
            "Default passkey profile",
            Claim::Aaguid,
            "any authenticator can claim an allowed AAGUID",
        )],
    );
    check_claims(
        &config(&[json!({"keyRestrictions": restrictions("block", &[APPLE])})]),
        &[(
            "Default passkey profile",
            Claim::Aaguid,
            "a blocked authenticator can claim another AAGUID",
        )],
    );
    check_claims(
        &config(&[default_profile(json!({"passkeyTypes": "deviceBound"}))]),
        &[(
            "Default passkey profile",
            Claim::BackupEligibility,
            "rests on the backup-eligible flag the authenticator sets itself",
        )],
    );
    // Attestation enforced: the claims are proven at registration.
    check_claims(
        &config(&[default_profile(
            json!({"passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly",
            "keyRestrictions": restrictions("allow", &[YUBIKEY])}),
        )]),
        &[],
    );
    // An empty allow list refuses everything; an empty block list does nothing.
    check_claims(
        &config(&[json!({"keyRestrictions": restrictions("allow", &[])})]),
        &[],
    );
    check_claims(
        &config(&[json!({"keyRestrictions": restrictions("block", &[])})]),
        &[],
    );
    check_claims(
        &several_profiles(),
        &[
            (
                "Default passkey profile",
                Claim::BackupEligibility,
                "Set attestationEnforcement to \"registrationOnly\"",
            ),
            (
                "Synced phones",
                Claim::Aaguid,
                "Passkey profile “Synced phones” allows only listed providers",
            ),
        ],
    );
}

/// One dry-run row: the passkeys as (user, admin?, groups, facts), the lost ones as (user, AAGUID, code), the lockout flag.
#[track_caller]
fn check_impact(
    old: &Fido2Configuration,
    new: &Fido2Configuration,
    passkeys: &[(&str, bool, &[&str], CredentialFacts)],
    lost: &[(&str, &str, &str)],
    locks_out_admins: bool,
) {
    let memberships: Vec<Vec<GroupId>> = passkeys.iter().map(|(_, _, g, _)| groups(g)).collect();
    let result = impact(
        old,
        new,
        passkeys
            .iter()
            .zip(&memberships)
            .map(|((user, admin, _, facts), groups)| {
                (UserRef::new(*user, *admin), groups.as_slice(), *facts)
            }),
        &Catalog::builtin(),
    );
    let got: Vec<(String, Aaguid, &str)> = result
        .lost()
        .iter()
        .map(|l| {
            (
                l.user().id().to_owned(),
                l.credential().aaguid,
                l.denial().code(),
            )
        })
        .collect();
    let expected: Vec<(String, Aaguid, &str)> = lost
        .iter()
        .map(|(user, aaguid, code)| ((*user).to_owned(), aaguid.parse().unwrap(), *code))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(result.locks_out_all_administrators(), locks_out_admins);
}

#[test]
fn impact_of_a_change() {
    let old = Fido2Configuration::default();
    let allow_authenticator =
        config(&[json!({"keyRestrictions": restrictions("allow", &[MS_IOS, MS_ANDROID])})]);
    // Both admins hold only synced passkeys from other providers: locked out.
    check_impact(
        &old,
        &allow_authenticator,
        &[
            ("alice", true, &["admins"], synced(APPLE)),
            ("bob", false, &[], device_bound(MS_IOS, NONE)),
            ("carol", true, &["admins"], synced(GOOGLE)),
        ],
        &[
            ("alice", APPLE, "aaguid_not_allowed"),
            ("carol", GOOGLE, "aaguid_not_allowed"),
        ],
        true,
    );
    // Carol keeps an Authenticator passkey: not every admin is locked out.
    check_impact(
        &old,
        &allow_authenticator,
        &[
            ("alice", true, &["admins"], synced(APPLE)),
            ("carol", true, &["admins"], synced(GOOGLE)),
            ("carol", true, &["admins"], synced(MS_ANDROID)),
        ],
        &[
            ("alice", APPLE, "aaguid_not_allowed"),
            ("carol", GOOGLE, "aaguid_not_allowed"),
        ],
        false,
    );
    // Excluding the admins group locks them out; nobody else is touched.
    let exclude_admins = config(&[json!({"excludeTargets": [{"id": "admins"}]})]);
    check_impact(
        &old,
        &exclude_admins,
        &[
            ("alice", true, &["admins"], device_bound(YUBIKEY, NONE)),
            ("bob", false, &["finance"], device_bound(YUBIKEY, NONE)),
        ],
        &[("alice", YUBIKEY, "user_excluded")],
        true,
    );
    // Already refused under the old configuration: not a loss; no admin among the owners: no flag.
    let device_bound_only = config(&[default_profile(json!({"passkeyTypes": "deviceBound"}))]);
    check_impact(
        &allow_authenticator,
        &device_bound_only,
        &[
            ("bob", false, &[], synced(APPLE)),
            ("dave", false, &[], synced(MS_ANDROID)),
        ],
        &[("dave", MS_ANDROID, "synced_not_allowed")],
        false,
    );
    // Nothing changes: nothing lost.
    check_impact(
        &old,
        &old,
        &[("alice", true, &["admins"], synced(APPLE))],
        &[],
        false,
    );
}
