//! Graph permission scopes a bearer token can carry.

use std::fmt;
use std::str::FromStr;

/// A Microsoft Graph permission Keybound honours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read every policy.
    PolicyReadAll,
    /// Read the authentication-methods policy.
    PolicyReadAuthenticationMethod,
    /// Change the authentication-methods policy.
    PolicyReadWriteAuthenticationMethod,
    /// Read users' authentication methods.
    UserAuthenticationMethodReadAll,
    /// Manage users' authentication methods (passkeys, Temporary Access Passes).
    UserAuthenticationMethodReadWriteAll,
    /// Read users.
    UserReadAll,
    /// Manage users.
    UserReadWriteAll,
    /// Read groups.
    GroupReadAll,
    /// Manage groups and memberships.
    GroupReadWriteAll,
    /// Read the audit and sign-in logs and reports.
    AuditLogReadAll,
}

impl Scope {
    /// Every scope, for help texts.
    pub const ALL: [Scope; 10] = [
        Scope::PolicyReadAll,
        Scope::PolicyReadAuthenticationMethod,
        Scope::PolicyReadWriteAuthenticationMethod,
        Scope::UserAuthenticationMethodReadAll,
        Scope::UserAuthenticationMethodReadWriteAll,
        Scope::UserReadAll,
        Scope::UserReadWriteAll,
        Scope::GroupReadAll,
        Scope::GroupReadWriteAll,
        Scope::AuditLogReadAll,
    ];

    /// Graph's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::PolicyReadAll => "Policy.Read.All",
            Scope::PolicyReadAuthenticationMethod => "Policy.Read.AuthenticationMethod",
            Scope::PolicyReadWriteAuthenticationMethod => "Policy.ReadWrite.AuthenticationMethod",
            Scope::UserAuthenticationMethodReadAll => "UserAuthenticationMethod.Read.All",
            Scope::UserAuthenticationMethodReadWriteAll => "UserAuthenticationMethod.ReadWrite.All",
            Scope::UserReadAll => "User.Read.All",
            Scope::UserReadWriteAll => "User.ReadWrite.All",
            Scope::GroupReadAll => "Group.Read.All",
            Scope::GroupReadWriteAll => "Group.ReadWrite.All",
            Scope::AuditLogReadAll => "AuditLog.Read.All",
        }
    }

    /// Whether holding `self` grants `wanted` (a ReadWrite scope grants its Read twin).
    pub fn grants(self, wanted: Scope) -> bool {
        self == wanted
            || matches!(
                (self, wanted),
                (
                    Scope::PolicyReadWriteAuthenticationMethod,
                    Scope::PolicyReadAuthenticationMethod
                ) | (Scope::PolicyReadAll, Scope::PolicyReadAuthenticationMethod)
                    | (
                        Scope::UserAuthenticationMethodReadWriteAll,
                        Scope::UserAuthenticationMethodReadAll
                    )
                    | (Scope::UserReadWriteAll, Scope::UserReadAll)
                    | (Scope::GroupReadWriteAll, Scope::GroupReadAll)
            )
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name Keybound does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a scope Keybound grants; known scopes: Policy.Read.All, Policy.ReadWrite.AuthenticationMethod, UserAuthenticationMethod.ReadWrite.All, User.ReadWrite.All, Group.ReadWrite.All, AuditLog.Read.All (and their .Read twins)")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownScope(text.to_owned()))
    }
}

/// Parses a space- or comma-separated scope list.
pub fn parse_scopes(text: &str) -> Result<Vec<Scope>, UnknownScope> {
    let mut scopes: Vec<Scope> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}
