//! The numeric settings: one table of the variables, the values each accepts,
//! and the field each sets. The builders clamp to the same ranges.

use std::ops::RangeInclusive;
use std::time::Duration;

use super::MysqlConfig;
use crate::Error;

/// Connections the pool may open.
pub(super) const POOL_MAX: RangeInclusive<usize> = 1..=1000;
/// How long connecting may take; under a millisecond nothing connects.
pub(super) const CONNECT_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(600);
/// How long one statement may take.
pub(super) const QUERY_TIMEOUT: RangeInclusive<Duration> =
    Duration::from_millis(1)..=Duration::from_secs(3600);
/// How long idempotency keys are kept: whole seconds, since the SQL compares
/// ages in seconds, and at most 30 days.
pub(super) const KEY_TTL: RangeInclusive<Duration> =
    Duration::from_secs(1)..=Duration::from_secs(30 * 24 * 3600);

/// How a numeric variable is written.
#[derive(Debug, Clone, Copy)]
enum Form {
    /// A whole number of `unit` (`None` for a bare number such as a port).
    Whole { unit: Option<&'static str> },
    /// Seconds with up to three decimals (`0.25`); the value is in milliseconds.
    Seconds,
}

/// A numeric variable: how it is written, the values it accepts (in the
/// form's base unit), and the setting it makes.
pub(super) struct Number {
    pub(super) variable: &'static str,
    form: Form,
    range: RangeInclusive<u64>,
    /// Stores a value from `range` (so the conversions in it cannot fail).
    apply: fn(&mut MysqlConfig, u64),
}

impl Number {
    /// Parses `text` and makes the setting, or says what the variable accepts.
    pub(super) fn set(&self, config: &mut MysqlConfig, text: &str) -> Result<(), Error> {
        let value = match self.form {
            Form::Whole { .. } => text.parse::<u64>().ok(),
            Form::Seconds => parse_millis(text),
        };
        match value.filter(|n| self.range.contains(n)) {
            Some(value) => {
                (self.apply)(config, value);
                Ok(())
            }
            None => Err(Error::config(self.variable, self.rule(text))),
        }
    }

    /// What the variable must be, and what it was.
    fn rule(&self, text: &str) -> String {
        let (low, high) = (*self.range.start(), *self.range.end());
        match self.form {
            Form::Whole { unit: None } => {
                format!("must be a whole number from {low} to {high}, not {text:?}")
            }
            Form::Whole { unit: Some(unit) } => {
                format!("must be a whole number of {unit} from {low} to {high}, not {text:?}")
            }
            Form::Seconds => format!(
                "must be a number of seconds from {} to {} (at most 3 decimals), not {text:?}",
                seconds(low),
                seconds(high)
            ),
        }
    }
}

/// `DB_PORT`, read only with `DB_HOST` (a `DATABASE_URL` names its own port).
pub(super) const PORT: Number = Number {
    variable: "DB_PORT",
    form: Form::Whole { unit: None },
    range: 1..=65535,
    apply: |config, port| config.port = u16::try_from(port).unwrap_or(config.port),
};

/// The numeric variables read whichever way the database is named.
pub(super) const NUMBERS: &[Number] = &[
    Number {
        variable: "DB_POOL_MAX",
        form: Form::Whole {
            unit: Some("connections"),
        },
        range: *POOL_MAX.start() as u64..=*POOL_MAX.end() as u64,
        apply: |config, max| {
            config.max_connections = usize::try_from(max).unwrap_or(config.max_connections);
        },
    },
    Number {
        variable: "DB_CONNECT_TIMEOUT",
        form: Form::Seconds,
        range: millis(CONNECT_TIMEOUT),
        apply: |config, ms| config.connect_timeout = Duration::from_millis(ms),
    },
    Number {
        variable: "DB_QUERY_TIMEOUT",
        form: Form::Seconds,
        range: millis(QUERY_TIMEOUT),
        apply: |config, ms| config.query_timeout = Duration::from_millis(ms),
    },
    Number {
        variable: "DICE_IDEMPOTENCY_TTL",
        form: Form::Whole {
            unit: Some("seconds"),
        },
        range: KEY_TTL.start().as_secs()..=KEY_TTL.end().as_secs(),
        apply: |config, secs| config.key_ttl = Duration::from_secs(secs),
    },
];

/// A range of durations in whole milliseconds.
const fn millis(range: RangeInclusive<Duration>) -> RangeInclusive<u64> {
    // Both ends are far below u64::MAX milliseconds.
    (range.start().as_millis() as u64)..=(range.end().as_millis() as u64)
}

/// `"1.5"` as 1500 milliseconds: digits, then optionally a point and one to
/// three digits. Signs, exponents, `inf` and `NaN` are not numbers of seconds.
fn parse_millis(text: &str) -> Option<u64> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) if (1..=3).contains(&fraction.len()) => (whole, fraction),
        Some(_) => return None,
        None => (text, ""),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
        return None;
    }
    let scale = 10_u64.pow(3 - fraction.len() as u32);
    let fraction = if fraction.is_empty() {
        0
    } else {
        fraction.parse::<u64>().ok()? * scale
    };
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(fraction)
}

/// Milliseconds written as seconds: 1 as `0.001`, 600000 as `600`.
fn seconds(ms: u64) -> String {
    match ms % 1000 {
        0 => format!("{}", ms / 1000),
        rest => format!("{}.{rest:03}", ms / 1000)
            .trim_end_matches('0')
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn seconds_are_read_to_the_millisecond() {
        assert_eq!(parse_millis("1"), Some(1000));
        assert_eq!(parse_millis("0.5"), Some(500));
        assert_eq!(parse_millis("0.25"), Some(250));
        assert_eq!(parse_millis("2.001"), Some(2001));
        for bad in [
            "", ".5", "1.", "1.0001", "-1", "+1", "1e3", "1e309", "inf", "NaN", " 1", "1 s",
            "0x10", "1,5",
        ] {
            assert_eq!(parse_millis(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ranges_are_written_in_their_unit() {
        assert_eq!(seconds(1), "0.001");
        assert_eq!(seconds(1500), "1.5");
        assert_eq!(seconds(600_000), "600");
    }

    proptest! {
        #[test]
        fn any_millisecond_count_written_as_seconds_reads_back(ms in 0_u64..=10_000_000_000) {
            prop_assert_eq!(parse_millis(&seconds(ms)), Some(ms));
        }

        #[test]
        fn text_with_anything_but_digits_and_a_point_is_refused(text in "\\PC{0,12}") {
            prop_assume!(!text.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            prop_assert_eq!(parse_millis(&text), None);
        }
    }
}
