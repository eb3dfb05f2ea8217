//! TOTP codes (RFC 6238 over RFC 4226): HMAC-SHA-1, 30-second steps, 6
//! digits, one step of clock drift either way.
//!
//! Written over aws-lc-rs's HMAC instead of adding `totp-rs`: the algorithm
//! is one HMAC and the RFC 4226 dynamic truncation, and aws-lc-rs is already
//! the server's crypto, while `totp-rs` would bring a second HMAC and SHA-1
//! stack (`hmac`, `sha1`) for it. The RFC 6238 test vectors below pin it.

use aws_lc_rs::{constant_time, hmac};
use keybound_store::Timestamp;

/// Seconds per time step.
const STEP_SECONDS: i64 = 30;
/// Digits per code.
const DIGITS: u32 = 6;
/// Steps of drift accepted either side of now.
const WINDOW: i64 = 1;

/// The time step `now` falls in.
pub(super) fn step_at(now: Timestamp) -> i64 {
    now.as_secs().div_euclid(STEP_SECONDS)
}

/// The code for `step`.
fn code(secret: &[u8], step: i64, digits: u32) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let counter = u64::try_from(step).unwrap_or(0).to_be_bytes();
    let tag = hmac::sign(&key, &counter);
    let mac = tag.as_ref();
    // RFC 4226 §5.3: dynamic truncation.
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]));
    let value = word % 10u32.pow(digits);
    format!("{value:0width$}", width = digits as usize)
}

/// The step within the window around `now` whose code `given` is, if any.
/// Every step of the window is compared (in constant time), so timing does
/// not tell which matched.
pub(super) fn matching_step(secret: &[u8], given: &str, now: Timestamp) -> Option<i64> {
    if given.len() != DIGITS as usize || !given.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in current - WINDOW..=current + WINDOW {
        let expected = code(secret, step, DIGITS);
        if constant_time::verify_slices_are_equal(expected.as_bytes(), given.as_bytes()).is_ok() {
            found = Some(step);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits, the secret "12345678901234567890").
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = step_at(Timestamp::from_secs(time));
            assert_eq!(code(secret, step, 8), expected, "T = {time}");
        }
    }

    #[test]
    fn window_is_one_step_either_side() {
        let secret = b"12345678901234567890";
        let now = Timestamp::from_secs(1_234_567_890);
        let step = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let given = code(secret, step + offset, 6);
            assert_eq!(
                matching_step(secret, &given, now),
                accepted.then_some(step + offset),
                "offset {offset}"
            );
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "12a456", now), None);
    }
}
