//! Giving other futures on the same task a turn.
//!
//! `futures-util`'s `pending!` returns `Pending` without waking the task, which
//! would stall a `join` whose other futures are not waiting on I/O; this wakes
//! itself first, as runtimes' own `yield_now` do.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Lets the other futures joined on this task run before this one goes on.
pub async fn yield_now() {
    YieldNow { yielded: false }.await;
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
