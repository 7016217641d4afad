//! Usage plans as API Gateway applies them per key: a token bucket for the
//! throttle (steady rate, burst) and a request quota per day, week or month.

use dice_core::ConfigError;
use serde::{Deserialize, Serialize};

use crate::Day;

/// A key's limits.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Requests per second, with bursts; `None` for no throttle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttle: Option<Throttle>,
    /// Requests per period; `None` for no quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

/// A token bucket: `burst` tokens at most, refilled at `rate` per second.
///
/// Read from a keys file through [`Throttle::new`]'s checks, so a file holding
/// a rate of 0, a negative one or `null` is refused rather than throttling a
/// key forever or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "ThrottleFields")]
pub struct Throttle {
    /// Steady requests per second.
    pub rate: f64,
    /// How many requests may come at once.
    pub burst: u32,
}

/// At most `limit` requests per `period`; read through [`Quota::new`]'s checks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "QuotaFields")]
pub struct Quota {
    /// Requests allowed per period.
    pub limit: u64,
    /// The period, in UTC.
    pub period: Period,
}

/// A quota period; each starts at 00:00 UTC (weeks on Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A calendar day.
    Day,
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

/// A throttle as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThrottleFields {
    rate: f64,
    burst: u32,
}

/// A quota as written, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaFields {
    limit: u64,
    period: Period,
}

impl Throttle {
    /// A throttle of `rate` requests per second (finite, above 0) with bursts
    /// of `burst` (at least 1).
    pub fn new(rate: f64, burst: u32) -> Result<Self, ConfigError> {
        if !(rate.is_finite() && rate > 0.0) {
            return Err(ConfigError::new(
                "--rate",
                format!("must be a finite number above 0, not {rate}"),
            ));
        }
        if burst == 0 {
            return Err(ConfigError::new("--burst", "must be at least 1"));
        }
        Ok(Self { rate, burst })
    }
}

impl TryFrom<ThrottleFields> for Throttle {
    type Error = ConfigError;

    fn try_from(fields: ThrottleFields) -> Result<Self, ConfigError> {
        Self::new(fields.rate, fields.burst)
    }
}

impl Quota {
    /// A quota of `limit` requests (at least 1) per `period`.
    pub fn new(limit: u64, period: Period) -> Result<Self, ConfigError> {
        if limit == 0 {
            return Err(ConfigError::new("--quota", "must be at least 1"));
        }
        Ok(Self { limit, period })
    }
}

impl TryFrom<QuotaFields> for Quota {
    type Error = ConfigError;

    fn try_from(fields: QuotaFields) -> Result<Self, ConfigError> {
        Self::new(fields.limit, fields.period)
    }
}

impl Period {
    /// The first day of the period that holds `day`: itself, the Monday
    /// before it, or the first of its month.
    pub fn first_day(self, day: Day) -> Day {
        match self {
            Self::Day => day,
            Self::Week => day.monday(),
            Self::Month => day.first_of_month(),
        }
    }

    /// The period's name as API Gateway spells it: `DAY`, `WEEK`, `MONTH`.
    pub fn aws_name(self) -> &'static str {
        match self {
            Self::Day => "DAY",
            Self::Week => "WEEK",
            Self::Month => "MONTH",
        }
    }

    /// The period API Gateway calls `name`, in any case.
    pub fn from_aws_name(name: &str) -> Option<Self> {
        name.to_lowercase().parse().ok()
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        })
    }
}

impl Plan {
    /// The plan in words: `5/s burst 10, 1000 per day`; `no limits` for none.
    pub fn describe(&self) -> String {
        let throttle = self
            .throttle
            .map(|t| format!("{}/s burst {}", t.rate, t.burst));
        let quota = self.quota.map(|q| format!("{} per {}", q.limit, q.period));
        let parts: Vec<String> = [throttle, quota].into_iter().flatten().collect();
        if parts.is_empty() {
            "no limits".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            _ => Err(format!("{text:?} is not day, week or month")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let day = |y, m, d| Day::from_civil(y, m, d).unwrap();
        // 2026-11-23 is a Monday, 2026-11-22 a Sunday.
        assert_eq!(Period::Week.first_day(day(2026, 11, 22)), day(2026, 11, 16));
        assert_eq!(Period::Week.first_day(day(2026, 11, 23)), day(2026, 11, 23));
        assert_eq!(Period::Week.first_day(day(2026, 11, 29)), day(2026, 11, 23));
        assert_eq!(Period::Month.first_day(day(2026, 11, 30)), day(2026, 11, 1));
        assert_eq!(Period::Month.first_day(day(2026, 12, 1)), day(2026, 12, 1));
        assert_eq!(Period::Day.first_day(day(2026, 12, 1)), day(2026, 12, 1));
    }

    #[test]
    fn plans_read_in_words() {
        let plan = Plan {
            throttle: Some(Throttle::new(5.0, 10).unwrap()),
            quota: Some(Quota::new(1000, Period::Week).unwrap()),
        };
        assert_eq!(plan.describe(), "5/s burst 10, 1000 per week");
        assert_eq!(Plan::default().describe(), "no limits");
    }

    #[test]
    fn aws_period_names_round_trip() {
        for period in [Period::Day, Period::Week, Period::Month] {
            assert_eq!(Period::from_aws_name(period.aws_name()), Some(period));
        }
        assert_eq!(Period::from_aws_name("YEAR"), None);
    }
}
