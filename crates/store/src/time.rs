//! Times as the store keeps them: milliseconds since the Unix epoch, given by
//! the caller (the server owns the clock), written as RFC 3339 for Graph.

use std::fmt;

use ::time::format_description::well_known::Rfc3339;
use ::time::{Duration, OffsetDateTime};

/// A point in time: milliseconds since 1970-01-01T00:00:00Z, UTC.
///
/// The store never reads a clock; every time it keeps is one of these, passed
/// in by the caller.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// Wraps milliseconds since the Unix epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Wraps whole seconds since the Unix epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Timestamp(secs.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// This time moved by `ms` milliseconds (saturating, never wrapping).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// This time moved by `minutes` minutes (saturating, never wrapping).
    pub const fn plus_minutes(self, minutes: i64) -> Self {
        self.plus_millis(minutes.saturating_mul(60_000))
    }

    /// RFC 3339 in UTC to the second, as Graph writes `createdDateTime`:
    /// `2026-04-20T10:15:30Z`. A time beyond the years -9999 to 9999 is
    /// written as the nearest end of that range.
    pub fn to_rfc3339(self) -> String {
        let t = self.utc();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// RFC 3339 in UTC with milliseconds: `2026-04-20T10:15:30.123Z`, held to
    /// the years -9999 to 9999 like [`Timestamp::to_rfc3339`].
    pub fn to_rfc3339_millis(self) -> String {
        let t = self.utc();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.millisecond()
        )
    }

    /// Parses RFC 3339 (`2026-04-20T10:15:30Z`, with optional fraction and a
    /// `Z` or `±hh:mm` offset), as Graph `$filter` values arrive. Fractions
    /// beyond milliseconds are truncated.
    pub fn parse_rfc3339(text: &str) -> Result<Self, InvalidTimestamp> {
        let invalid = || InvalidTimestamp(text.to_owned());
        let trimmed = text.trim();
        // `time` takes any character between date and time; we take `T`, `t` or a space.
        if !matches!(trimmed.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
            return Err(invalid());
        }
        // A leap second (`:60`) counts as the first second of the next minute.
        // `time` takes one only at the end of a UTC month, as `:59.999999999`,
        // so read it as `:59` and add the second back.
        let (parsed, leap_ms) = match trimmed.get(17..19) {
            Some("60") => {
                let mut text = trimmed.to_owned();
                text.replace_range(17..19, "59");
                (OffsetDateTime::parse(&text, &Rfc3339), 1000)
            }
            _ => (OffsetDateTime::parse(trimmed, &Rfc3339), 0),
        };
        let t = parsed.map_err(|_| invalid())?;
        Ok(Timestamp(
            t.unix_timestamp() * 1000 + i64::from(t.millisecond()) + leap_ms,
        ))
    }

    /// This time in UTC, held to the years `time` can name (-9999 to 9999).
    fn utc(self) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH.saturating_add(Duration::milliseconds(self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Why a text is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a date and time: write it in RFC 3339 form, like 2026-04-20T10:15:30Z")]
pub struct InvalidTimestamp(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(secs: i64, text: &str) {
        let t = Timestamp::from_secs(secs);
        assert_eq!(t.to_rfc3339(), text);
        assert_eq!(Timestamp::parse_rfc3339(text), Ok(t));
    }

    #[test]
    fn formats_and_parses_known_instants() {
        check(0, "1970-01-01T00:00:00Z");
        check(1_776_680_130, "2026-04-20T10:15:30Z");
        check(951_868_799, "2000-02-29T23:59:59Z");
        check(-1, "1969-12-31T23:59:59Z");
        check(-2_203_891_200, "1900-03-01T00:00:00Z");
    }

    #[test]
    fn millis_offsets_and_fractions() {
        let t = Timestamp::from_millis(1_776_680_130_123);
        assert_eq!(t.to_rfc3339_millis(), "2026-04-20T10:15:30.123Z");
        assert_eq!(t.to_rfc3339(), "2026-04-20T10:15:30Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2026-04-20T10:15:30.1234567Z"),
            Ok(t)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-04-20T12:15:30.123+02:00"),
            Ok(t)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2026-04-20T09:45:30.123-00:30"),
            Ok(t)
        );
    }

    #[test]
    fn a_leap_second_is_the_next_minute() {
        assert_eq!(
            Timestamp::parse_rfc3339("2026-04-20T10:15:60Z"),
            Timestamp::parse_rfc3339("2026-04-20T10:16:00Z")
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2016-12-31T23:59:60.5Z"),
            Ok(Timestamp::from_millis(1_483_228_800_500))
        );
    }

    #[test]
    fn every_day_round_trips() {
        // Every day RFC 3339 can write, 0000-01-01 to 9999-12-31.
        for days in -719_528..=2_932_896i64 {
            let t = Timestamp::from_secs(days * 86_400 + 45_296);
            assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Ok(t));
        }
    }

    #[test]
    fn refuses_malformed_times() {
        for bad in [
            "",
            "2026-04-20",
            "2026-04-20T10:15:30",
            "2026-02-30T10:15:30Z",
            "2026-13-01T10:15:30Z",
            "2026-04-20T24:00:00Z",
            "2026-04-20T10:15:30.Z",
            "2026-04-20T10:15:30+0200",
            "2026-04-20T10:15:30Zjunk",
            "２０２６-04-20T10:15:30Z",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
