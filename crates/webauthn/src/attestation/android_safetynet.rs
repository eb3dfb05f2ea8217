//! Placeholder while the format is written; refuses every statement.

use super::{malformed, AttestationFormat, Statement, Verified};
use crate::error::Error;

pub(crate) fn verify(_statement: &Statement<'_>) -> Result<Verified, Error> {
    Err(malformed(AttestationFormat::Tpm, "not yet verified".into()))
}
