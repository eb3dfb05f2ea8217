//! RFC 3339 UTC timestamps for `--time`: `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
//!
//! Only UTC (`Z`) is accepted, so a time means the same everywhere. Leap
//! seconds (`:60`) are refused: `SystemTime` cannot name them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::time::{Date, Month};

use crate::error::Error;

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (`t` and `z` in lower case too).
pub(crate) fn parse_utc(text: &str) -> Result<SystemTime, Error> {
    let fail = |reason: &'static str| Error::Time {
        text: text.to_owned(),
        reason,
    };
    let bytes = text.as_bytes();
    if bytes.len() < 19 {
        return Err(fail("it is too short"));
    }
    let separators_ok = bytes[4] == b'-'
        && bytes[7] == b'-'
        && matches!(bytes[10], b'T' | b't')
        && bytes[13] == b':'
        && bytes[16] == b':';
    if !separators_ok {
        return Err(fail(
            "the date and time separators are not where RFC 3339 puts them",
        ));
    }
    let number = |range: std::ops::Range<usize>| -> Result<u32, Error> {
        let digits = &bytes[range];
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(fail("a date or time field is not all digits"));
        }
        Ok(digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);

    let mut rest = &bytes[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(fail("the `.` is not followed by fractional digits"));
        }
        if digits > 9 {
            return Err(fail("it has more than 9 fractional digits"));
        }
        let value = fraction[..digits]
            .iter()
            .fold(0, |n, d| n * 10 + u32::from(d - b'0'));
        nanos = value * 10u32.pow(9 - digits as u32);
        rest = &fraction[digits..];
    }
    match rest {
        b"Z" | b"z" => {}
        [] => return Err(fail("it has no time zone; end it with Z for UTC")),
        _ => return Err(fail("it does not end in Z; give the time in UTC")),
    }

    let month = u8::try_from(month)
        .ok()
        .and_then(|month| Month::try_from(month).ok())
        .ok_or_else(|| fail("the month is not 01 to 12"))?;
    let date = i32::try_from(year)
        .ok()
        .zip(u8::try_from(day).ok())
        .and_then(|(year, day)| Date::from_calendar_date(year, month, day).ok())
        .ok_or_else(|| fail("the day does not exist in that month"))?;
    if hour > 23 {
        return Err(fail("the hour is not 00 to 23"));
    }
    if minute > 59 {
        return Err(fail("the minute is not 00 to 59"));
    }
    if second == 60 {
        return Err(fail("leap seconds are not supported"));
    }
    if second > 59 {
        return Err(fail("the second is not 00 to 59"));
    }

    let seconds = date.midnight().assume_utc().unix_timestamp()
        + i64::from(hour * 3600 + minute * 60 + second);
    let time = if seconds >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(seconds.unsigned_abs()))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs()))
    };
    time.and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
        .ok_or_else(|| fail("it is outside the range this system can represent"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    /// `Ok(seconds, nanos)` since the epoch (negative seconds before it), or the reason's fragment.
    #[track_caller]
    fn check(text: &str, expected: Result<(i64, u32), &str>) {
        let got = parse_utc(text).map(|t| match t.duration_since(UNIX_EPOCH) {
            Ok(after) => (after.as_secs() as i64, after.subsec_nanos()),
            Err(before) => (
                -(before.duration().as_secs() as i64),
                before.duration().subsec_nanos(),
            ),
        });
        match (got, expected) {
            (Ok(got), Ok(expected)) => assert_eq!(got, expected, "{text}"),
            (Err(error), Err(fragment)) => {
                let message = error.to_string();
                assert!(
                    message.contains(fragment),
                    "{text}: `{message}` lacks `{fragment}`"
                );
                assert!(
                    message.contains("2024-05-01T12:00:00Z"),
                    "the message shows the form"
                );
            }
            (got, expected) => panic!("{text}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn parses_utc_times() {
        check("1970-01-01T00:00:00Z", Ok((0, 0)));
        check("2022-08-25T16:00:00Z", Ok((1_661_443_200, 0)));
        check("2000-02-29T23:59:59z", Ok((951_868_799, 0)));
        check("2024-05-01t12:00:00.5Z", Ok((1_714_564_800, 500_000_000)));
        check(
            "2024-05-01T12:00:00.123456789Z",
            Ok((1_714_564_800, 123_456_789)),
        );
        check("1969-12-31T23:59:59Z", Ok((-1, 0)));
        check("9999-12-31T23:59:59Z", Ok((253_402_300_799, 0)));
    }

    #[test]
    fn refuses_other_forms_with_a_reason() {
        check("", Err("too short"));
        check("2024-05-01 12:00:00Z", Err("separators"));
        check("2024-05-01T12:00:00", Err("no time zone"));
        check("2024-05-01T12:00:00+02:00", Err("does not end in Z"));
        check("2024-05-01T12:00:00.Z", Err("fractional digits"));
        check("2024-05-01T12:00:00.1234567891Z", Err("more than 9"));
        check("2024-13-01T12:00:00Z", Err("month"));
        check("2023-02-29T12:00:00Z", Err("day does not exist"));
        check("2024-05-01T24:00:00Z", Err("hour"));
        check("2024-05-01T12:60:00Z", Err("minute"));
        check("2024-05-01T12:00:60Z", Err("leap seconds"));
        check("2024-0a-01T12:00:00Z", Err("not all digits"));
        check("+024-05-01T12:00:00Z", Err("not all digits"));
    }
}
