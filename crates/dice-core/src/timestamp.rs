//! [`Timestamp`]: when a roll was recorded, in UTC at second precision.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A UTC instant at whole seconds, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
///
/// It is what a MySQL `TIMESTAMP` holds (read in a UTC session), and it prints as
/// RFC 3339 with a `Z`, the form the API returns:
///
/// ```
/// use dice_core::Timestamp;
///
/// let t = Timestamp::from_civil(2026, 11, 23, 22, 41, 28).unwrap();
/// assert_eq!(t.to_string(), "2026-11-23T22:41:28Z");
/// assert_eq!(Timestamp::parse_rfc3339("2026-11-23T22:41:28Z"), Some(t));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// Seconds from the epoch to 9999-12-31T23:59:59Z.
const MAX_SECONDS: u64 = 253_402_300_799;
const SECONDS_PER_DAY: u64 = 86_400;

impl Timestamp {
    /// The epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// The instant `seconds` after the epoch, if it is within the supported range.
    pub const fn from_unix_seconds(seconds: u64) -> Option<Self> {
        if seconds <= MAX_SECONDS {
            Some(Self(seconds))
        } else {
            None
        }
    }

    /// Now, truncated to the second; `None` if the system clock is outside the range.
    pub fn now() -> Option<Self> {
        Self::from_system_time(SystemTime::now())
    }

    /// A system time truncated to the second; `None` outside the range.
    pub fn from_system_time(time: SystemTime) -> Option<Self> {
        let since_epoch = time.duration_since(UNIX_EPOCH).ok()?;
        Self::from_unix_seconds(since_epoch.as_secs())
    }

    /// The instant of a UTC calendar date and time; `None` for an impossible date
    /// (such as February 30) or one outside the range.
    pub fn from_civil(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Option<Self> {
        let valid = (1970..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        if !valid {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let seconds = u64::from(hour) * 3600 + u64::from(minute) * 60 + u64::from(second);
        Self::from_unix_seconds(days * SECONDS_PER_DAY + seconds)
    }

    /// Parses exactly the form this type prints: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let shape = b.len() == 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && b[19] == b'Z';
        if !shape {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let digits = text.get(range)?;
            digits
                .bytes()
                .all(|d| d.is_ascii_digit())
                .then(|| digits.parse().ok())?
        };
        let small = |range| number(range).and_then(|n| u8::try_from(n).ok());
        Self::from_civil(
            number(0..4)?,
            small(5..7)?,
            small(8..10)?,
            small(11..13)?,
            small(14..16)?,
            small(17..19)?,
        )
    }

    /// Seconds since the epoch.
    pub const fn unix_seconds(self) -> u64 {
        self.0
    }

    /// The same instant as a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0)
    }

    /// The UTC calendar date and time: (year, month, day, hour, minute, second).
    pub fn to_civil(self) -> (u16, u8, u8, u8, u8, u8) {
        let (year, month, day) = civil_from_days(self.0 / SECONDS_PER_DAY);
        let rest = self.0 % SECONDS_PER_DAY;
        // Each cast is of a value already reduced below its type's limit.
        let hour = (rest / 3600) as u8;
        let minute = (rest % 3600 / 60) as u8;
        let second = (rest % 60) as u8;
        (year, month, day, hour, minute, second)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, hour, minute, second) = self.to_civil();
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).ok_or_else(|| {
            serde::de::Error::custom("expected an RFC 3339 UTC time such as 2026-11-23T22:41:28Z")
        })
    }
}

fn is_leap(year: u16) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date in 1970..=9999, counting in eras of 400 years
/// that start on March 1 so the leap day falls at the end of a year.
fn days_from_civil(year: u16, month: u8, day: u8) -> u64 {
    let year = u64::from(year) - u64::from(month <= 2);
    let era = year / 400;
    let year_of_era = year % 400;
    let month = u64::from(month);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + u64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 is the day count from 0000-03-01 to 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: u64) -> (u16, u8, u8) {
    let days = days + 719_468;
    let era = days / 146_097;
    let day_of_era = days % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u8;
    let year = (year_of_era + era * 400 + u64::from(month <= 2)) as u16;
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_instants() {
        assert_eq!(Timestamp::UNIX_EPOCH.to_string(), "1970-01-01T00:00:00Z");
        let t = Timestamp::from_unix_seconds(1_795_473_688).unwrap();
        assert_eq!(t.to_string(), "2026-11-23T22:41:28Z");
        let leap = Timestamp::from_civil(2024, 2, 29, 12, 0, 0).unwrap();
        assert_eq!(leap.unix_seconds(), 1_709_208_000);
        let last = Timestamp::from_civil(9999, 12, 31, 23, 59, 59).unwrap();
        assert_eq!(last.unix_seconds(), MAX_SECONDS);
    }

    #[test]
    fn refuses_impossible_dates() {
        assert_eq!(Timestamp::from_civil(2023, 2, 29, 0, 0, 0), None);
        assert_eq!(Timestamp::from_civil(1900, 2, 28, 0, 0, 0), None);
        assert_eq!(Timestamp::from_civil(2024, 4, 31, 0, 0, 0), None);
        assert_eq!(Timestamp::from_civil(2024, 1, 1, 24, 0, 0), None);
        assert_eq!(Timestamp::from_unix_seconds(MAX_SECONDS + 1), None);
    }

    #[test]
    fn parse_is_strict() {
        for text in [
            "2026-11-23T22:41:28",
            "2026-11-23 22:41:28Z",
            "2026-11-23T22:41:28.5Z",
            "2026-11-23T22:41:28+00:00",
            "+026-11-23T22:41:28Z",
            "2026-13-23T22:41:28Z",
            "2026-11-23T22:41:6xZ",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn serializes_as_rfc3339_string() {
        let t = Timestamp::from_civil(2026, 11, 23, 22, 41, 28).unwrap();
        assert_eq!(
            serde_json::to_string(&t).unwrap(),
            r#""2026-11-23T22:41:28Z""#
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>(r#""2026-11-23T22:41:28Z""#).unwrap(),
            t
        );
    }

    proptest! {
        #[test]
        fn text_and_civil_forms_round_trip(seconds in 0..=MAX_SECONDS) {
            let t = Timestamp::from_unix_seconds(seconds).unwrap();
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Some(t));
            let (y, mo, d, h, mi, s) = t.to_civil();
            prop_assert_eq!(Timestamp::from_civil(y, mo, d, h, mi, s), Some(t));
        }

    }
}
