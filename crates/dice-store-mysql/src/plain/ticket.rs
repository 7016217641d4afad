//! [`Ticket`]: what a caller waiting for its rows and the statements that
//! carry them agree on, so that a caller giving up is told the truth.

use std::sync::{Mutex, PoisonError};

/// Whether a caller's rows may have been written, and whether the caller still
/// waits for them.
///
/// A caller that stops waiting (its deadline passed, or its future was
/// dropped) [withdraws](Ticket::withdraw): from then on its rows are sent in
/// no new statement. If none that carried them can still commit, the caller
/// knows they are not written; otherwise it must say the outcome is unknown.
/// One lock orders the two sides, so the caller's answer and the next
/// statement agree.
#[derive(Debug, Default)]
pub(crate) struct Ticket(Mutex<State>);

#[derive(Debug, Default)]
struct State {
    /// A statement carrying the rows may have committed, or may yet.
    sent: bool,
    withdrawn: bool,
}

impl Ticket {
    /// Before a statement carrying the rows is sent: whether they may go,
    /// that is, whether the caller still waits. From a `true` on, the rows
    /// may be written.
    pub(super) fn board(&self) -> bool {
        let mut state = self.lock();
        if state.withdrawn {
            return false;
        }
        state.sent = true;
        true
    }

    /// The statement that carried the rows is known not to have written them,
    /// and never to: the server refused it, or it was looked for after its
    /// session ended and was absent.
    pub(super) fn unsend(&self) {
        self.lock().sent = false;
    }

    /// The caller stops waiting. Returns `true` when its rows are known not to
    /// be written, and now never will be; `false` when they may be.
    pub(crate) fn withdraw(&self) -> bool {
        let mut state = self.lock();
        state.withdrawn = true;
        !state.sent
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_that_withdraws_before_boarding_is_never_sent() {
        let ticket = Ticket::default();
        assert!(ticket.withdraw(), "nothing was sent: not written");
        assert!(!ticket.board(), "and it never will be");
    }

    #[test]
    fn rows_are_unknown_from_boarding_until_known_absent() {
        let ticket = Ticket::default();
        assert!(ticket.board());
        assert!(!ticket.withdraw(), "sent and not settled: may be written");
        assert!(!ticket.board(), "withdrawn: not sent again");
        let ticket = Ticket::default();
        assert!(ticket.board());
        ticket.unsend();
        assert!(ticket.withdraw(), "refused or settled absent: not written");
        assert!(!ticket.board());
    }
}
