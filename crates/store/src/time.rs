//! Times as the store keeps them: milliseconds since the Unix epoch, given by
//! the caller (the server owns the clock), written as RFC 3339 for Graph.

use std::fmt;

/// A point in time: milliseconds since 1970-01-01T00:00:00Z, UTC.
///
/// The store never reads a clock; every time it keeps is one of these, passed
/// in by the caller.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

const MS_PER_DAY: i64 = 86_400_000;

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
    /// `2026-04-20T10:15:30Z`.
    pub fn to_rfc3339(self) -> String {
        let (date, (h, m, s), _) = self.split();
        format!("{date}T{h:02}:{m:02}:{s:02}Z")
    }

    /// RFC 3339 in UTC with milliseconds: `2026-04-20T10:15:30.123Z`.
    pub fn to_rfc3339_millis(self) -> String {
        let (date, (h, m, s), ms) = self.split();
        format!("{date}T{h:02}:{m:02}:{s:02}.{ms:03}Z")
    }

    /// Parses RFC 3339 (`2026-04-20T10:15:30Z`, with optional fraction and a
    /// `Z` or `±hh:mm` offset), as Graph `$filter` values arrive. Fractions
    /// beyond milliseconds are truncated.
    pub fn parse_rfc3339(text: &str) -> Result<Self, InvalidTimestamp> {
        let invalid = || InvalidTimestamp(text.to_owned());
        let b = text.trim().as_bytes();
        if b.len() < 20 {
            return Err(invalid());
        }
        let num = |range: std::ops::Range<usize>| -> Result<i64, InvalidTimestamp> {
            let digits = b.get(range).ok_or_else(invalid)?;
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(invalid());
            }
            Ok(digits
                .iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')))
        };
        let sep = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return Err(invalid());
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return Err(invalid());
        }
        let mut i = 19;
        let mut millis = 0i64;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while b.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == start {
                return Err(invalid());
            }
            for (k, d) in b[start..end].iter().take(3).enumerate() {
                millis += i64::from(d - b'0') * [100, 10, 1][k];
            }
            i = end;
        }
        let offset_minutes = match b.get(i) {
            Some(b'Z' | b'z') if b.len() == i + 1 => 0,
            Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
                let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return Err(invalid());
                }
                let minutes = oh * 60 + om;
                if *sign == b'-' {
                    -minutes
                } else {
                    minutes
                }
            }
            _ => return Err(invalid()),
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
        Ok(Timestamp(secs * 1000 + millis))
    }

    /// ((year-month-day), (h, m, s), ms) in UTC.
    fn split(self) -> (String, (i64, i64, i64), i64) {
        let days = self.0.div_euclid(MS_PER_DAY);
        let in_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let secs = in_day / 1000;
        let date = format!("{year:04}-{month:02}-{day:02}");
        (
            date,
            (secs / 3600, secs / 60 % 60, secs % 60),
            in_day % 1000,
        )
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

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

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
    fn every_day_round_trips() {
        for days in -800_000..800_000i64 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
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
