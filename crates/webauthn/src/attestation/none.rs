//! `none` (§8.7): the authenticator chose, or was asked, to prove nothing.

use super::{malformed, AttestationFormat, AttestationType, Statement, Verified};
use crate::error::Error;

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    if !statement.att_stmt.is_empty() {
        return Err(malformed(
            AttestationFormat::None,
            "the statement of `none` must be an empty map".into(),
        ));
    }
    Ok(Verified::without_chain(AttestationType::None))
}
