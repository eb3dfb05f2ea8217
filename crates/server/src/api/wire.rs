//! The JSON shapes only the ceremony API answers with (the signed-in body);
//! authentication methods use Graph's shapes from [`crate::method_shapes`].

use keybound_store::{Session, User};
use serde_json::{json, Value};

/// What a sign-in step answers: who, which steps the session passed, and
/// whether a second factor is still due.
pub(super) fn signed_in(user: &User, session: &Session, mfa_required: bool) -> Value {
    json!({
        "status": if mfa_required { "mfaRequired" } else { "signedIn" },
        "user": {
            "id": user.id.as_str(),
            "userPrincipalName": user.user_principal_name,
            "displayName": user.display_name,
        },
        "methods": session.auth_methods.iter().map(|m| m.method.as_str()).collect::<Vec<_>>(),
        "expiresDateTime": session.expires_at.to_rfc3339(),
    })
}
