//! [`RequestIds`]: the id of each request the gateway answers, as API
//! Gateway gives one, without drawing randomness per request.

use std::sync::atomic::{AtomicU64, Ordering};

use super::keys;

/// A random prefix drawn once per gateway, then a sequence number: ids
/// differ within a run and, but for a one-in-36⁸ chance, across runs, and a
/// request costs no system call for randomness.
#[derive(Debug)]
pub(super) struct RequestIds {
    prefix: String,
    next: AtomicU64,
}

impl RequestIds {
    pub(super) fn new() -> Self {
        Self {
            // Without the system's randomness, ids still differ within a run.
            prefix: keys::random_token(8).unwrap_or_else(|_| "local".to_owned()),
            next: AtomicU64::new(1),
        }
    }

    /// The next request's id, such as `k3f9x0qa-000000000017`.
    pub(super) fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:012}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_one_gateway_differ_and_share_its_prefix() {
        let ids = RequestIds::new();
        let (first, second) = (ids.next(), ids.next());
        assert_ne!(first, second);
        assert_eq!(
            first.split_once('-').map(|(p, _)| p),
            Some(ids.prefix.as_str())
        );
        assert_eq!(second, format!("{}-000000000002", ids.prefix));
    }

    #[test]
    fn two_gateways_draw_different_prefixes() {
        assert_ne!(RequestIds::new().next(), RequestIds::new().next());
    }
}
