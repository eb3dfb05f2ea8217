//! Dry runs: which passkeys a policy change would stop from signing in.

use std::collections::BTreeMap;

use keybound_metadata::Catalog;

use crate::decision::{CredentialFacts, Decision, Denial};
use crate::fido2::Fido2Configuration;
use crate::method::GroupId;

/// A user, as a dry run reports them: an id the caller chooses and whether they are a Global Administrator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserRef {
    id: String,
    global_administrator: bool,
}

impl UserRef {
    /// A user with the caller's id (object id or user principal name) and their role marker.
    pub fn new(id: impl Into<String>, global_administrator: bool) -> Self {
        UserRef {
            id: id.into(),
            global_administrator,
        }
    }

    /// The caller's id for the user.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether the user is a Global Administrator.
    pub fn is_global_administrator(&self) -> bool {
        self.global_administrator
    }
}

/// A passkey that can sign in under the old configuration and cannot under the new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostPasskey {
    user: UserRef,
    credential: CredentialFacts,
    denial: Denial,
}

impl LostPasskey {
    /// Whose passkey it is.
    pub fn user(&self) -> &UserRef {
        &self.user
    }

    /// The passkey's facts.
    pub fn credential(&self) -> &CredentialFacts {
        &self.credential
    }

    /// Why the new configuration refuses it.
    pub fn denial(&self) -> &Denial {
        &self.denial
    }
}

/// What a change from one FIDO2 configuration to another would do to existing passkeys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impact {
    lost: Vec<LostPasskey>,
    administrators_locked_out: bool,
}

impl Impact {
    /// Passkeys that would stop signing in, in the order given.
    pub fn lost(&self) -> &[LostPasskey] {
        &self.lost
    }

    /// Whether every Global Administrator among the passkeys' owners would be
    /// left with no passkey that can sign in (false when no owner is one).
    pub fn locks_out_all_administrators(&self) -> bool {
        self.administrators_locked_out
    }
}

/// Compares sign-in decisions under `old` and `new` for each passkey given as
/// (owner, owner's group memberships, passkey facts).
///
/// Lists every passkey allowed under `old` and denied under `new`, with the
/// denial, and flags a change after which no Global Administrator who holds a
/// passkey could sign in with one. `catalog` names providers in the denials.
pub fn impact<'g>(
    old: &Fido2Configuration,
    new: &Fido2Configuration,
    passkeys: impl IntoIterator<Item = (UserRef, &'g [GroupId], CredentialFacts)>,
    catalog: &Catalog,
) -> Impact {
    let mut lost = Vec::new();
    let mut administrators: BTreeMap<String, bool> = BTreeMap::new();
    for (user, memberships, credential) in passkeys {
        let after = new.may_sign_in(memberships, &credential, catalog);
        if user.global_administrator {
            let usable = administrators.entry(user.id.clone()).or_insert(false);
            *usable |= after.is_allowed();
        }
        let Decision::Denied(denial) = after else {
            continue;
        };
        if old
            .may_sign_in(memberships, &credential, catalog)
            .is_allowed()
        {
            lost.push(LostPasskey {
                user,
                credential,
                denial,
            });
        }
    }
    let administrators_locked_out =
        !administrators.is_empty() && administrators.values().all(|usable| !usable);
    Impact {
        lost,
        administrators_locked_out,
    }
}
