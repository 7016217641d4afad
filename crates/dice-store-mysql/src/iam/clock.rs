//! [`Clock`]: where the time a token is signed at comes from, so that tests can
//! move it.

use std::fmt;
use std::time::SystemTime;

/// The wall clock that dates auth tokens and decides when to renew them.
///
/// Wall time, not a monotonic clock: a token is valid for 15 minutes of the
/// server's wall time, and a Lambda instance that was frozen for an hour must
/// see that its token is stale.
pub trait Clock: fmt::Debug + Send + Sync {
    /// The time now.
    fn now(&self) -> SystemTime;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
