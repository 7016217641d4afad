//! Usage plans as API Gateway applies them per key: a token bucket for the
//! throttle (steady rate, burst) and a request quota per day, week or month.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use dice_core::{ConfigError, Timestamp};
use serde::{Deserialize, Serialize};

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
    /// A number that changes exactly when a new period starts.
    fn window(self, now: Timestamp) -> u64 {
        let days = now.unix_seconds() / 86_400;
        match self {
            Self::Day => days,
            // 1970-01-01 was a Thursday: shift so weeks start on Monday.
            Self::Week => (days + 3) / 7,
            Self::Month => {
                let (year, month, ..) = now.to_civil();
                u64::from(year) * 12 + u64::from(month)
            }
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

/// Why a request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the throttle: `429 Too Many Requests`.
    Throttled,
    /// Over the quota: `429 Limit Exceeded`.
    QuotaExceeded,
}

#[derive(Debug)]
struct Usage {
    tokens: f64,
    refilled: Instant,
    window: u64,
    used: u64,
}

/// Every key's usage, kept in memory.
#[derive(Debug, Default)]
pub struct Meter {
    usage: Mutex<HashMap<String, Usage>>,
}

impl Meter {
    /// Counts one request by `key_id` under `plan`, or says why it is refused.
    /// A throttled request does not count against the quota.
    pub fn admit(&self, key_id: &str, plan: &Plan) -> Result<(), Refusal> {
        self.admit_at(
            key_id,
            plan,
            Instant::now(),
            Timestamp::now().unwrap_or(Timestamp::UNIX_EPOCH),
        )
    }

    fn admit_at(
        &self,
        key_id: &str,
        plan: &Plan,
        now: Instant,
        today: Timestamp,
    ) -> Result<(), Refusal> {
        let mut usage = self
            .usage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let usage = usage.entry(key_id.to_owned()).or_insert_with(|| Usage {
            tokens: plan.throttle.map_or(0.0, |t| f64::from(t.burst)),
            refilled: now,
            window: 0,
            used: 0,
        });
        if let Some(throttle) = plan.throttle {
            let elapsed = now.saturating_duration_since(usage.refilled).as_secs_f64();
            usage.tokens = (usage.tokens + elapsed * throttle.rate).min(f64::from(throttle.burst));
            usage.refilled = now;
            if usage.tokens < 1.0 {
                return Err(Refusal::Throttled);
            }
        }
        if let Some(quota) = plan.quota {
            let window = quota.period.window(today);
            if usage.window != window {
                usage.window = window;
                usage.used = 0;
            }
            if usage.used >= quota.limit {
                return Err(Refusal::QuotaExceeded);
            }
            usage.used += 1;
        }
        if plan.throttle.is_some() {
            usage.tokens -= 1.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const NOON: Timestamp = match Timestamp::from_unix_seconds(1_795_521_600) {
        Some(t) => t,
        None => Timestamp::UNIX_EPOCH,
    };

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let meter = Meter::default();
        let plan = Plan {
            throttle: Some(Throttle {
                rate: 2.0,
                burst: 3,
            }),
            quota: None,
        };
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(meter.admit_at("k", &plan, start, NOON), Ok(()));
        }
        assert_eq!(
            meter.admit_at("k", &plan, start, NOON),
            Err(Refusal::Throttled)
        );
        // Half a second refills one token at 2 per second.
        let later = start + Duration::from_millis(500);
        assert_eq!(meter.admit_at("k", &plan, later, NOON), Ok(()));
        assert_eq!(
            meter.admit_at("k", &plan, later, NOON),
            Err(Refusal::Throttled)
        );
        // Keys have buckets of their own.
        assert_eq!(meter.admit_at("other", &plan, later, NOON), Ok(()));
    }

    #[test]
    fn the_quota_resets_with_the_period() {
        let meter = Meter::default();
        let plan = Plan {
            throttle: None,
            quota: Some(Quota {
                limit: 2,
                period: Period::Day,
            }),
        };
        let now = Instant::now();
        assert_eq!(meter.admit_at("k", &plan, now, NOON), Ok(()));
        assert_eq!(meter.admit_at("k", &plan, now, NOON), Ok(()));
        assert_eq!(
            meter.admit_at("k", &plan, now, NOON),
            Err(Refusal::QuotaExceeded)
        );
        let tomorrow = Timestamp::from_unix_seconds(NOON.unix_seconds() + 86_400).unwrap();
        assert_eq!(meter.admit_at("k", &plan, now, tomorrow), Ok(()));
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        let at = |y, m, d| Timestamp::from_civil(y, m, d, 12, 0, 0).unwrap();
        // 2026-11-23 is a Monday, 2026-11-22 a Sunday.
        assert_ne!(
            Period::Week.window(at(2026, 11, 22)),
            Period::Week.window(at(2026, 11, 23))
        );
        assert_eq!(
            Period::Week.window(at(2026, 11, 23)),
            Period::Week.window(at(2026, 11, 29))
        );
        assert_eq!(
            Period::Month.window(at(2026, 11, 1)),
            Period::Month.window(at(2026, 11, 30))
        );
        assert_ne!(
            Period::Month.window(at(2026, 11, 30)),
            Period::Month.window(at(2026, 12, 1))
        );
    }

    #[test]
    fn throttled_requests_do_not_use_the_quota() {
        let meter = Meter::default();
        let plan = Plan {
            throttle: Some(Throttle {
                rate: 1.0,
                burst: 1,
            }),
            quota: Some(Quota {
                limit: 2,
                period: Period::Month,
            }),
        };
        let now = Instant::now();
        assert_eq!(meter.admit_at("k", &plan, now, NOON), Ok(()));
        assert_eq!(
            meter.admit_at("k", &plan, now, NOON),
            Err(Refusal::Throttled)
        );
        let second = now + Duration::from_secs(1);
        assert_eq!(
            meter.admit_at("k", &plan, second, NOON),
            Ok(()),
            "the throttled one was not counted"
        );
        let third = now + Duration::from_secs(2);
        assert_eq!(
            meter.admit_at("k", &plan, third, NOON),
            Err(Refusal::QuotaExceeded)
        );
    }
}
