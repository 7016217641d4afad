//! Usage plans as API Gateway applies them per key: a token bucket for the
//! throttle (steady rate, burst) and a request quota per day, week or month.
//! The plan types are `dice-keys`'s; [`Meter`] counts requests against them
//! and keeps the counts in the counters file beside the keys file, so a
//! restart keeps quotas and `keys usage` reads what the gateway counted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

use dice_keys::Day;
use dice_keys::counters::Counters;
pub use dice_keys::{Period, Plan, Quota, Throttle};
use tokio::sync::watch;

use super::keys::KeysError;

/// Why a request was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Over the throttle: `429 Too Many Requests`.
    Throttled,
    /// Over the quota: `429 Limit Exceeded`.
    QuotaExceeded,
}

/// A key's token bucket.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

/// The counts, and how many changes were made to them.
#[derive(Debug, Default)]
struct Tally {
    counters: Counters,
    generation: u64,
    closed: bool,
}

/// The counts and the signal that wakes their writer.
#[derive(Debug, Default)]
struct Shared {
    tally: Mutex<Tally>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Tally> {
        // Every change leaves the counts whole, so a poisoned lock still
        // guards good counts.
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Every key's throttle bucket (in memory) and requests per day (in the
/// counters file, when the meter has one).
#[derive(Debug, Default)]
pub struct Meter {
    buckets: Mutex<HashMap<String, Bucket>>,
    shared: Arc<Shared>,
    /// The generation last written to the counters file.
    saved: Option<watch::Receiver<u64>>,
}

/// A request admitted: the change to wait for before answering, so the
/// counters file holds it by the time the client has its answer (0 when
/// nothing was counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted(u64);

impl Meter {
    /// A meter that starts from the counts in `path` and writes every count
    /// there, replacing the file atomically, from a thread of its own.
    /// `default_plan` is recorded for `keys usage`.
    pub fn persisted(path: PathBuf, default_plan: Plan) -> Result<Self, KeysError> {
        let mut counters = Counters::load(&path)?;
        let existed = path.exists();
        counters.default_plan = (default_plan != Plan::default()).then_some(default_plan);
        // Written at start, so `keys usage` knows the default plan's quota;
        // without a quota and without a file, not until a count is made.
        let write_now = existed || default_plan.quota.is_some();
        let shared = Arc::new(Shared {
            tally: Mutex::new(Tally {
                counters,
                generation: u64::from(write_now),
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let (sender, saved) = watch::channel(0);
        let writer = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("dice-counters".to_owned())
            .spawn(move || write_counts(&writer, &path, &sender))
            .map_err(|source| KeysError::Io {
                path: PathBuf::from("(counters writer thread)"),
                source,
            })?;
        Ok(Self {
            buckets: Mutex::default(),
            shared,
            saved: Some(saved),
        })
    }

    /// Counts one request by `key_id` under `plan`, or says why it is refused.
    /// A throttled request does not count against the quota.
    pub fn admit(&self, key_id: &str, plan: &Plan) -> Result<Counted, Refusal> {
        self.admit_at(key_id, plan, Instant::now(), Day::today())
    }

    /// Waits until the counters file holds `counted`; at once for a meter
    /// without a file.
    pub async fn saved(&self, counted: Counted) {
        if let Some(saved) = &self.saved {
            let mut saved = saved.clone();
            // An error means the writer is gone: nothing more to wait for.
            let _ = saved.wait_for(|generation| *generation >= counted.0).await;
        }
    }

    fn admit_at(
        &self,
        key_id: &str,
        plan: &Plan,
        now: Instant,
        today: Day,
    ) -> Result<Counted, Refusal> {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let bucket = buckets.entry(key_id.to_owned()).or_insert_with(|| Bucket {
            tokens: plan.throttle.map_or(0.0, |t| f64::from(t.burst)),
            refilled: now,
        });
        if let Some(throttle) = plan.throttle {
            let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
            bucket.tokens =
                (bucket.tokens + elapsed * throttle.rate).min(f64::from(throttle.burst));
            bucket.refilled = now;
            if bucket.tokens < 1.0 {
                return Err(Refusal::Throttled);
            }
        }
        // Only requests under a quota are counted, as API Gateway reports
        // usage against a plan's quota.
        let counted = match plan.quota {
            Some(quota) => Some(self.count(key_id, &quota, today)?),
            None => None,
        };
        if plan.throttle.is_some() {
            bucket.tokens -= 1.0;
        }
        Ok(Counted(counted.unwrap_or(0)))
    }

    /// Counts a request against `quota`, or refuses it when the quota is spent.
    fn count(&self, key_id: &str, quota: &Quota, today: Day) -> Result<u64, Refusal> {
        let mut tally = self.shared.lock();
        if tally.counters.used_in_period(key_id, quota, today) >= quota.limit {
            return Err(Refusal::QuotaExceeded);
        }
        tally.counters.count(key_id, today);
        tally.generation += 1;
        let generation = tally.generation;
        drop(tally);
        self.shared.changed.notify_one();
        Ok(generation)
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_one();
    }
}

/// The writer thread: whenever the counts change, writes them all at once,
/// then says which generation the file now holds. Requests that came while
/// it wrote are written together next time.
fn write_counts(shared: &Shared, path: &std::path::Path, saved: &watch::Sender<u64>) {
    let mut written = 0;
    loop {
        let (counters, generation) = {
            let mut tally = shared.lock();
            while tally.generation == written && !tally.closed {
                tally = shared
                    .changed
                    .wait(tally)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if tally.closed && tally.generation == written {
                return;
            }
            (tally.counters.clone(), tally.generation)
        };
        if let Err(err) = counters.save(path) {
            // The counts stay in memory; a restart would lose the unsaved ones.
            tracing::warn!(error = %err, "cannot save the usage counters");
        }
        written = generation;
        if saved.send(generation).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn noon() -> Day {
        Day::parse("2026-11-23").unwrap()
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let meter = Meter::default();
        let plan = Plan {
            throttle: Some(Throttle::new(2.0, 3).unwrap()),
            quota: None,
        };
        let start = Instant::now();
        for _ in 0..3 {
            assert!(meter.admit_at("k", &plan, start, noon()).is_ok());
        }
        assert_eq!(
            meter.admit_at("k", &plan, start, noon()),
            Err(Refusal::Throttled)
        );
        // Half a second refills one token at 2 per second.
        let later = start + Duration::from_millis(500);
        assert!(meter.admit_at("k", &plan, later, noon()).is_ok());
        assert_eq!(
            meter.admit_at("k", &plan, later, noon()),
            Err(Refusal::Throttled)
        );
        // Keys have buckets of their own.
        assert!(meter.admit_at("other", &plan, later, noon()).is_ok());
    }

    #[test]
    fn the_quota_resets_with_the_period() {
        let meter = Meter::default();
        let plan = Plan {
            throttle: None,
            quota: Some(Quota::new(2, Period::Day).unwrap()),
        };
        let now = Instant::now();
        assert!(meter.admit_at("k", &plan, now, noon()).is_ok());
        assert!(meter.admit_at("k", &plan, now, noon()).is_ok());
        assert_eq!(
            meter.admit_at("k", &plan, now, noon()),
            Err(Refusal::QuotaExceeded)
        );
        assert!(meter.admit_at("k", &plan, now, noon().next()).is_ok());
    }

    #[test]
    fn throttled_requests_do_not_use_the_quota() {
        let meter = Meter::default();
        let plan = Plan {
            throttle: Some(Throttle::new(1.0, 1).unwrap()),
            quota: Some(Quota::new(2, Period::Month).unwrap()),
        };
        let now = Instant::now();
        assert!(meter.admit_at("k", &plan, now, noon()).is_ok());
        assert_eq!(
            meter.admit_at("k", &plan, now, noon()),
            Err(Refusal::Throttled)
        );
        let second = now + Duration::from_secs(1);
        assert!(
            meter.admit_at("k", &plan, second, noon()).is_ok(),
            "the throttled one was not counted"
        );
        let third = now + Duration::from_secs(2);
        assert_eq!(
            meter.admit_at("k", &plan, third, noon()),
            Err(Refusal::QuotaExceeded)
        );
    }

    #[tokio::test]
    async fn counts_are_in_the_file_once_saved_and_a_new_meter_starts_from_them() {
        let dir = std::env::temp_dir().join(format!("dice-meter-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("keys.json.usage");
        let plan = Plan {
            throttle: None,
            quota: Some(Quota::new(2, Period::Day).unwrap()),
        };
        let meter = Meter::persisted(path.clone(), Plan::default()).unwrap();
        let counted = meter.admit("k", &plan).unwrap();
        meter.saved(counted).await;
        assert_eq!(Counters::load(&path).unwrap().on("k", Day::today()), 1);
        let counted = meter.admit("k", &plan).unwrap();
        meter.saved(counted).await;
        drop(meter);

        let restarted = Meter::persisted(path.clone(), Plan::default()).unwrap();
        assert_eq!(restarted.admit("k", &plan), Err(Refusal::QuotaExceeded));
        // The first write, as the file existed, is done before the cleanup.
        restarted.saved(Counted(1)).await;
        drop(restarted);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
