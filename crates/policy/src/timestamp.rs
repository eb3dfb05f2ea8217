//! A UTC instant, passed in by the caller and written as Graph writes dates.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A UTC instant to the second, from 1970 to the end of 9999, written as
/// RFC 3339 (`2026-07-17T10:11:12Z`), as Graph writes `lastModifiedDateTime`.
///
/// The crate never reads the clock: the caller makes one from its own time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// 9999-12-31T23:59:59Z.
const LATEST: i64 = 253_402_300_799;

impl Timestamp {
    /// The instant `seconds` after 1970-01-01T00:00:00Z, or `None` outside 1970 to 9999.
    pub const fn from_unix_seconds(seconds: i64) -> Option<Timestamp> {
        if seconds < 0 || seconds > LATEST {
            return None;
        }
        Some(Timestamp(seconds))
    }

    /// The instant `seconds` after 1970-01-01T00:00:00Z, clamped to 1970 to 9999.
    pub const fn from_unix_seconds_clamped(seconds: i64) -> Timestamp {
        if seconds < 0 {
            Timestamp(0)
        } else if seconds > LATEST {
            Timestamp(LATEST)
        } else {
            Timestamp(seconds)
        }
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Reads `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)`; a fraction is dropped.
    pub(crate) fn parse(text: &str) -> Option<Timestamp> {
        // Narrower than the RFC 3339 `time` reads: `T` between date and time,
        // UTC written `Z` or `+00:00`, and no leap second.
        let bytes = text.as_bytes();
        if !matches!(bytes.get(10), Some(b'T' | b't')) || bytes.get(17..19) == Some(b"60") {
            return None;
        }
        if !(text.ends_with(['Z', 'z']) || text.ends_with("+00:00")) {
            return None;
        }
        let time = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        Timestamp::from_unix_seconds(time.unix_timestamp())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never saturates: a `Timestamp` is within 1970 to 9999.
        let t = OffsetDateTime::UNIX_EPOCH.saturating_add(Duration::seconds(self.0));
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}
