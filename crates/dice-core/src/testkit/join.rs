//! Just enough of a futures combinator library to run store calls side by side
//! without tying the testkit to a runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Polls every future until all are done; outputs come back in input order.
///
/// The futures run concurrently on the caller's task, which is enough to overlap
/// their I/O; a store that needs threads gets them from its own runtime.
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    JoinAll {
        slots: futures
            .into_iter()
            .map(|future| Slot::Running(Box::pin(future)))
            .collect(),
    }
    .await
}

enum Slot<F: Future> {
    Running(Pin<Box<F>>),
    Done(Option<F::Output>),
}

struct JoinAll<F: Future> {
    slots: Vec<Slot<F>>,
}

// Every field is boxed or owned, so moving a `JoinAll` never moves a future.
impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut pending = false;
        for slot in &mut self.slots {
            if let Slot::Running(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *slot = Slot::Done(Some(output)),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            return Poll::Pending;
        }
        let outputs = self
            .slots
            .iter_mut()
            .filter_map(|slot| match slot {
                Slot::Done(output) => output.take(),
                Slot::Running(_) => None,
            })
            .collect();
        Poll::Ready(outputs)
    }
}

/// Polls both futures until both are done.
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = Box::pin(a);
    let mut b = Box::pin(b);
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(move |cx| {
        if out_a.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                out_a = Some(out);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                out_b = Some(out);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a_now, b_now) => {
                out_a = a_now;
                out_b = b_now;
                Poll::Pending
            }
        }
    })
    .await
}

/// Gives way once, so futures joined with this one get a turn even when the
/// store under test never has to wait (as the in-memory store never does).
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(move |cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a future on this thread; the testkit itself has no runtime.
    fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = Box::pin(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    #[test]
    fn join_all_keeps_input_order_and_interleaves() {
        let log = std::cell::RefCell::new(Vec::new());
        let step = |name: &'static str| {
            let log = &log;
            async move {
                log.borrow_mut().push((name, 1));
                yield_now().await;
                log.borrow_mut().push((name, 2));
                name
            }
        };
        let outputs = block_on(join_all([step("a"), step("b")]));
        assert_eq!(outputs, ["a", "b"]);
        assert_eq!(log.into_inner(), [("a", 1), ("b", 1), ("a", 2), ("b", 2)]);
    }

    #[test]
    fn join_waits_for_both() {
        let slow = async {
            yield_now().await;
            yield_now().await;
            1
        };
        assert_eq!(block_on(join(slow, async { 2 })), (1, 2));
    }
}
