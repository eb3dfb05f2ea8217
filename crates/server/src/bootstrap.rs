//! First start on an empty directory: the default policy, one Global
//! Administrator, and a one-time Temporary Access Pass for them. No default
//! passwords exist anywhere.

use keybound_store::{DirectoryRole, Store, Timestamp, User, UserId};
use keybound_webauthn::UserHandle;

use crate::audit::{Audit, Initiator, Target};
use crate::error::ApiError;
use crate::graph::policy;
use crate::secrets;
use crate::tap::{self, IssuedTap, TapRequest};

/// What a first start created.
#[derive(Debug)]
pub struct Bootstrapped {
    /// The administrator.
    pub admin: User,
    /// Their pass.
    pub tap: IssuedTap,
}

/// Creates what an empty directory lacks; `None` when it was set up before.
pub async fn run(
    store: &dyn Store,
    admin_upn: &str,
    now: Timestamp,
) -> Result<Option<Bootstrapped>, ApiError> {
    if store.current_policy().await?.is_none() {
        let initial = policy::initial(now);
        let audit = Audit::new(
            "Authentication Methods Policy Update",
            "Policy",
            "Authentication Methods",
            "Update",
        )
        .by(Initiator::keybound())
        .target(Target::policy(
            "authenticationMethodsPolicy",
            "Authentication Methods Policy",
        ))
        .detail("reason", "initial policy of a new directory")
        .at(now)?;
        store
            .save_policy(
                None,
                &initial.to_graph_json().to_string(),
                "keybound",
                &audit,
            )
            .await?;
    }
    if store
        .count_users_with_role(DirectoryRole::GlobalAdministrator)
        .await?
        > 0
    {
        return Ok(None);
    }
    let admin = match store.get_user_by_upn(admin_upn).await? {
        Some(existing) => existing,
        None => {
            let user = User {
                id: UserId::random(),
                user_principal_name: admin_upn.to_owned(),
                display_name: "Administrator".into(),
                account_enabled: true,
                user_handle: UserHandle::from_bytes(secrets::random_bytes(32)?)
                    .map_err(ApiError::internal)?,
                created_at: now,
            };
            let audit = Audit::new("Add user", "UserManagement", "Core Directory", "Add")
                .by(Initiator::keybound())
                .target(Target::user(&user))
                .detail("reason", "first Global Administrator of a new directory")
                .at(now)?;
            store.create_user(&user, &audit).await?;
            user
        }
    };
    let audit = Audit::new(
        "Add member to role",
        "RoleManagement",
        "Core Directory",
        "Assign",
    )
    .by(Initiator::keybound())
    .target(Target::user(&admin))
    .detail("Role.DisplayName", "Global Administrator")
    .at(now)?;
    store
        .assign_role(&admin.id, DirectoryRole::GlobalAdministrator, &audit)
        .await?;
    let (current, _) = policy::current(store).await?;
    let request = TapRequest {
        lifetime_minutes: Some(60),
        usable_once: Some(true),
        start_at: None,
    };
    let tap = tap::issue(store, &current, &admin, request, Initiator::keybound(), now).await?;
    Ok(Some(Bootstrapped { admin, tap }))
}
