//! Coalescing plain inserts: while every lane is busy, plain inserts queue,
//! and leave together as one multi-row `INSERT` when a lane frees.
//!
//! A lane is one task sending one statement at a time on a pooled connection;
//! there are as many as the pool has connections. An insert that finds a lane
//! free goes at once, alone: there is no timer, so an idle store adds no
//! latency. Under load, each statement carries every caller waiting at the
//! head of the queue, up to [`MAX_ROWS`] rows and about [`MAX_BYTES`] of
//! values (a caller larger than that goes alone, as it would without
//! coalescing); the rest wait for the next.
//!
//! Each caller is answered only once its rows are committed, with its own
//! rows: the statement's consecutive ids, split back in order. Each caller's
//! rows carry its own request token, so a statement whose reply is lost is
//! settled as a plain insert's is ([`plain`](crate::plain)): its session is
//! ended and the tokens looked up. A combined statement and the upsert of
//! its rows' counts are one transaction, so every part is there or none;
//! absent parts are sent again. When a combined statement fails:
//!
//! - refused for a transient reason (deadlock, lock wait timeout, read-only
//!   server): nothing was written, and the same statement is sent again;
//! - refused for any other reason (a trigger, a broken schema): nothing was
//!   written, and each caller's part is sent alone, so each gets the answer it
//!   would have got alone and one caller's bad row fails no other;
//! - lost (the connection failed, or the reply did not come in time): settled
//!   by the tokens, then answered or sent again.
//!
//! A caller whose deadline passes first gets
//! [`OutcomeUnknown`](dice_core::Error::OutcomeUnknown) if a statement that
//! carried its rows may have committed, else `Unavailable`, and its rows are
//! sent in no new statement. A caller that goes away (its future dropped)
//! withdraws the same way. Lanes run as tasks of their own, so neither leaves
//! other callers' rows unanswered or a lane taken. The exception is a caller
//! that finds a lane free and no one waiting: it sends its rows from its own
//! task, as a plain insert would, and hands the lane to a task of its own
//! only if others queued meanwhile.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use dice_core::{Actor, Error, NewRoll, Roll};
use tokio::sync::oneshot;

use crate::exec;
use crate::insert::RequestToken;
use crate::plain::{self, Answer, Part, Ticket};
use crate::store::Shared;

/// Most rows in one combined statement: a full batch request.
pub(crate) const MAX_ROWS: usize = 1000;
/// About the most bytes of values in one combined statement, well inside
/// `max_allowed_packet` (4 MiB at the least of MySQL 5.7, more since).
pub(crate) const MAX_BYTES: usize = 2 << 20;

/// The queue of plain inserts waiting for a lane, and how many lanes are busy.
#[derive(Debug)]
pub(crate) struct Lanes {
    lanes: usize,
    queue: Mutex<Queue>,
}

#[derive(Debug, Default)]
struct Queue {
    waiting: VecDeque<Waiting>,
    busy: usize,
}

/// One caller's rolls, waiting for a lane or in a statement.
#[derive(Debug)]
struct Waiting {
    rolls: Vec<NewRoll>,
    created_by: Option<Actor>,
    token: RequestToken,
    deadline: Instant,
    ticket: Arc<Ticket>,
    reply: oneshot::Sender<Result<Vec<Roll>, Error>>,
}

impl Lanes {
    /// At most `lanes` statements at once.
    pub(crate) fn new(lanes: usize) -> Self {
        Self {
            lanes: lanes.max(1),
            queue: Mutex::new(Queue::default()),
        }
    }

    /// Queues `waiting`. If a lane is free, takes it, and returns what it sends first.
    fn push(&self, waiting: Waiting) -> Option<Vec<Waiting>> {
        let mut queue = self.lock();
        queue.waiting.push_back(waiting);
        if queue.busy >= self.lanes {
            return None;
        }
        queue.busy += 1;
        Some(queue.take())
    }

    /// What a busy lane sends next; `None`, and the lane is free, when no one waits.
    fn next(&self) -> Option<Vec<Waiting>> {
        let mut queue = self.lock();
        let next = queue.take();
        if next.is_empty() {
            queue.busy = queue.busy.saturating_sub(1);
            return None;
        }
        Some(next)
    }

    /// Frees a busy lane whose task could not go on.
    fn free(&self) {
        let mut queue = self.lock();
        queue.busy = queue.busy.saturating_sub(1);
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Queue {
    /// The callers at the head of the queue whose rows fit in one statement
    /// (the first whatever its size), passing over those that have gone.
    fn take(&mut self) -> Vec<Waiting> {
        let (mut rows, mut bytes) = (0, 0);
        let mut taken = Vec::new();
        while let Some(next) = self.waiting.front() {
            let (more_rows, more_bytes) = (next.rolls.len(), weight(&next.rolls));
            let full = rows + more_rows > MAX_ROWS || bytes + more_bytes > MAX_BYTES;
            if full && !taken.is_empty() {
                break;
            }
            let Some(next) = self.waiting.pop_front() else {
                break;
            };
            if next.reply.is_closed() {
                continue;
            }
            rows += more_rows;
            bytes += more_bytes;
            taken.push(next);
        }
        taken
    }
}

/// About how many bytes the rolls' values take in a statement: the faces
/// (up to 11 bytes each as JSON) and the rest of a row.
fn weight(rolls: &[NewRoll]) -> usize {
    rolls
        .iter()
        .map(|roll| 128 + roll.faces().map_or(0, |faces| faces.len() * 11))
        .sum()
}

/// Records `rolls` in a statement shared with other callers', or alone when a
/// lane is free, and answers as [`plain::insert`] would.
pub(crate) async fn insert(
    shared: &Arc<Shared>,
    deadline: Option<Instant>,
    rolls: &[NewRoll],
    created_by: Option<&Actor>,
) -> Result<Vec<Roll>, Error> {
    let deadline = exec::call_deadline(&shared.limits, deadline);
    if Instant::now() >= deadline {
        let why = "the deadline passed before the call could start";
        return Err(exec::unavailable(why.to_owned()));
    }
    let ticket = Arc::new(Ticket::default());
    let (reply, mut answer) = oneshot::channel();
    let waiting = Waiting {
        rolls: rolls.to_vec(),
        created_by: created_by.cloned(),
        token: RequestToken::new()?,
        deadline,
        ticket: Arc::clone(&ticket),
        reply,
    };
    // Dropping this future withdraws the rows from any new statement.
    let _withdraw = Withdraw(&ticket);
    match shared.lanes.push(waiting) {
        // A free lane, and no one else waits: the caller sends its rows from
        // its own task, bounded by its deadline as any plain insert is, so
        // an idle store adds no hop to another task.
        Some(alone) if alone.len() == 1 => {
            let _lane = Taken(shared);
            flush(shared, alone).await;
        }
        Some(first) => {
            tokio::spawn(lane(Arc::clone(shared), first));
        }
        None => {}
    }
    let until = tokio::time::Instant::from_std(deadline);
    let why = match tokio::time::timeout_at(until, &mut answer).await {
        Ok(Ok(result)) => return result,
        Ok(Err(_)) => "the insert's lane ended without an answer",
        Err(_) => "the deadline passed while the insert waited for its statement",
    };
    // The answer may have come as the deadline passed.
    if let Ok(result) = answer.try_recv() {
        return result;
    }
    if ticket.withdraw() {
        Err(exec::unavailable(why.to_owned()))
    } else {
        Err(Error::OutcomeUnknown { source: why.into() })
    }
}

/// Withdraws the caller when its call ends, however it ends.
struct Withdraw<'a>(&'a Ticket);

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.0.withdraw();
    }
}

/// A lane a caller took to send its own rows. When the caller is done, or
/// gone mid-statement, whoever queued meanwhile gets the lane in a task of
/// its own, or the lane is free.
struct Taken<'a>(&'a Arc<Shared>);

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        let lanes = &self.0.lanes;
        let Some(next) = lanes.next() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(lane(Arc::clone(self.0), next))),
            // No runtime to run the lane (one shutting down): the callers in
            // `next`, their replies dropped, stop waiting, sent in no statement.
            Err(_) => lanes.free(),
        }
    }
}

/// A busy lane: sends `first`, then whatever has queued meanwhile, until no
/// one waits.
async fn lane(shared: Arc<Shared>, first: Vec<Waiting>) {
    let mut busy = Busy {
        lanes: &shared.lanes,
        free: false,
    };
    let mut next = first;
    loop {
        flush(&shared, next).await;
        match shared.lanes.next() {
            Some(more) => next = more,
            None => {
                busy.free = true;
                return;
            }
        }
    }
}

/// Frees the lane if its task ends without doing so (a panic, a runtime
/// shutting down).
struct Busy<'a> {
    lanes: &'a Lanes,
    free: bool,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if !self.free {
            self.lanes.free();
        }
    }
}

/// Sends `batch` in one statement and answers each caller; parts refused for
/// a reason no retry changes are then sent each alone.
async fn flush(shared: &Shared, batch: Vec<Waiting>) {
    let answers = plain::insert_parts(shared.db(), &parts(&batch)).await;
    let mut refused = Vec::new();
    for (waiting, answer) in batch.into_iter().zip(answers) {
        match answer {
            Answer::Refused(err) => refused.push((waiting, err)),
            answer => {
                // A caller that has gone no longer listens.
                let _ = waiting.reply.send(answer.into_result());
            }
        }
    }
    // Refused alone, the refusal is the caller's own.
    if refused.len() == 1 {
        for (waiting, err) in refused {
            let _ = waiting.reply.send(Err(err));
        }
        return;
    }
    for (waiting, _) in refused {
        let alone = plain::insert_parts(shared.db(), &parts(std::slice::from_ref(&waiting))).await;
        let answer = alone.into_iter().next().map_or_else(
            || Err(Error::internal("a part sent alone had no answer")),
            Answer::into_result,
        );
        let _ = waiting.reply.send(answer);
    }
}

fn parts(batch: &[Waiting]) -> Vec<Part<'_>> {
    batch
        .iter()
        .map(|waiting| Part {
            rolls: &waiting.rolls,
            created_by: waiting.created_by.as_ref(),
            token: waiting.token,
            deadline: waiting.deadline,
            ticket: &waiting.ticket,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use dice_core::testkit::{new_roll, server_roll};

    use super::*;

    fn waiting(rolls: Vec<NewRoll>) -> (Waiting, oneshot::Receiver<Result<Vec<Roll>, Error>>) {
        let (reply, answer) = oneshot::channel();
        let waiting = Waiting {
            rolls,
            created_by: None,
            token: RequestToken::new().unwrap(),
            deadline: Instant::now(),
            ticket: Arc::default(),
            reply,
        };
        (waiting, answer)
    }

    fn sizes(batch: &[Waiting]) -> Vec<usize> {
        batch.iter().map(|waiting| waiting.rolls.len()).collect()
    }

    #[test]
    fn a_free_lane_takes_the_first_caller_at_once_and_a_busy_one_queues() {
        let lanes = Lanes::new(1);
        let (first, _a) = waiting(vec![new_roll(1, None)]);
        let taken = lanes.push(first).expect("a free lane");
        assert_eq!(sizes(&taken), [1]);
        let (second, _b) = waiting(vec![new_roll(2, None)]);
        let (third, _c) = waiting(vec![new_roll(3, None), new_roll(4, None)]);
        assert!(lanes.push(second).is_none(), "the only lane is busy");
        assert!(lanes.push(third).is_none());
        let next = lanes.next().expect("both queued callers go next");
        assert_eq!(sizes(&next), [1, 2]);
        assert!(lanes.next().is_none(), "no one waits: the lane is free");
        let (fourth, _d) = waiting(vec![new_roll(5, None)]);
        assert!(lanes.push(fourth).is_some(), "and taken again");
    }

    #[test]
    fn a_statement_holds_at_most_max_rows_and_a_larger_caller_goes_alone() {
        let mut queue = Queue::default();
        let mut answers = Vec::new();
        for size in [600, 400, 1, MAX_ROWS + 5, 2] {
            let (part, answer) = waiting((0..size).map(|n| new_roll(n as u32, None)).collect());
            queue.waiting.push_back(part);
            answers.push(answer);
        }
        assert_eq!(sizes(&queue.take()), [600, 400]);
        assert_eq!(sizes(&queue.take()), [1]);
        assert_eq!(sizes(&queue.take()), [MAX_ROWS + 5]);
        assert_eq!(sizes(&queue.take()), [2]);
        assert!(queue.take().is_empty());
    }

    #[test]
    fn a_statement_holds_at_most_max_bytes() {
        let faces = vec![1_000_000; 1000];
        let heavy = || server_roll("1000d1000000", &faces, None);
        let per_roll = weight(&[heavy()]);
        let fit = MAX_BYTES / per_roll;
        let mut queue = Queue::default();
        let mut answers = Vec::new();
        for _ in 0..fit + 1 {
            let (part, answer) = waiting(vec![heavy()]);
            queue.waiting.push_back(part);
            answers.push(answer);
        }
        assert_eq!(queue.take().len(), fit);
        assert_eq!(queue.take().len(), 1);
    }

    #[test]
    fn callers_that_have_gone_are_passed_over() {
        let mut queue = Queue::default();
        let (gone, answer) = waiting(vec![new_roll(1, None)]);
        drop(answer);
        let (waits, _answer) = waiting(vec![new_roll(2, None)]);
        queue.waiting.extend([gone, waits]);
        let taken = queue.take();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].rolls[0].outcome().get(), 2);
    }
}
