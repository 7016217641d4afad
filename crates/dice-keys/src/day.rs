//! [`Day`]: a UTC calendar day, the unit usage is counted in (as API
//! Gateway's GetUsage reports it).

use std::fmt;

use dice_core::Timestamp;

const SECONDS_PER_DAY: u64 = 86_400;

/// A UTC calendar day from 1970-01-01 on, written `2026-11-23`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(u64);

impl Day {
    /// The day holding `at`.
    pub const fn of(at: Timestamp) -> Self {
        Self(at.unix_seconds() / SECONDS_PER_DAY)
    }

    /// Today in UTC; 1970-01-01 on a clock set before it.
    pub fn today() -> Self {
        Self::of(Timestamp::now().unwrap_or(Timestamp::UNIX_EPOCH))
    }

    /// The day `year-month-day`, if it exists (years 1970 to 9999).
    pub fn from_civil(year: u16, month: u8, day: u8) -> Option<Self> {
        Timestamp::from_civil(year, month, day, 0, 0, 0).map(Self::of)
    }

    /// Reads `2026-11-23`; nothing else.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u16> {
            let part = text.get(range)?;
            part.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let month = u8::try_from(number(5..7)?).ok()?;
        let day = u8::try_from(number(8..10)?).ok()?;
        Self::from_civil(number(0..4)?, month, day)
    }

    /// The first instant of the day.
    pub fn start(self) -> Timestamp {
        Timestamp::from_unix_seconds(self.0 * SECONDS_PER_DAY).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// `days` days earlier, or 1970-01-01.
    pub const fn minus(self, days: u64) -> Self {
        Self(self.0.saturating_sub(days))
    }

    /// The next day.
    pub const fn next(self) -> Self {
        Self(self.0 + 1)
    }

    /// Days from `earlier` to `self`; 0 when `earlier` is later.
    pub const fn since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The Monday of the day's week (weeks start on Monday, as API
    /// Gateway's do).
    pub const fn monday(self) -> Self {
        // 1970-01-01 was a Thursday, three days after a Monday.
        Self(self.0 - (self.0 + 3) % 7)
    }

    /// The first of the day's month.
    pub fn first_of_month(self) -> Self {
        let (year, month, ..) = self.start().to_civil();
        Self::from_civil(year, month, 1).unwrap_or(self)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, ..) = self.start().to_civil();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

impl serde::Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom("expected a day such as 2026-11-23"))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn days_read_and_print_as_dates() {
        let day = Day::parse("2026-11-23").unwrap();
        assert_eq!(day.to_string(), "2026-11-23");
        assert_eq!(day.monday(), day, "2026-11-23 is a Monday");
        assert_eq!(day.minus(1).monday().to_string(), "2026-11-16");
        assert_eq!(day.first_of_month().to_string(), "2026-11-01");
        assert_eq!(day.next().to_string(), "2026-11-24");
    }

    #[test]
    fn malformed_days_are_refused() {
        for text in [
            "",
            "2026-1-23",
            "2026-02-30",
            "2026/11/23",
            "+026-11-23",
            "2026-11-2x",
            "1969-12-31",
        ] {
            assert_eq!(Day::parse(text), None, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn every_day_round_trips_through_its_text(days in 0u64..2_932_896) {
            let day = Day(days);
            prop_assert_eq!(Day::parse(&day.to_string()), Some(day));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,12}") {
            let _ = Day::parse(&text);
        }
    }
}
