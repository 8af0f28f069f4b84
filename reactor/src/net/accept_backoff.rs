//! The pause an accept takes after the process or system ran out of fds or
//! memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`).
//!
//! Retrying such an accept at once fails again, so a naive retry loop would
//! spin (tokio's does). A listener remembers the failure: the next accept
//! first sleeps out a delay that doubles with each consecutive failure
//! (5 ms up to 1 s, as Go's `net/http` server does) and resets on success.
//!
//! This file knows the delay schedule, not sockets.

use std::sync::Mutex;
use std::time::Duration;

use crate::time::{Instant, sleep_until};

/// The first pause.
pub(crate) const FIRST_DELAY: Duration = Duration::from_millis(5);
/// The longest pause.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(1);

/// One listener's backoff state.
#[derive(Debug, Default)]
pub(crate) struct AcceptBackoff {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The pause after the last failure (zero: the last accept succeeded).
    delay: Duration,
    /// No accept before this.
    until: Option<Instant>,
}

impl AcceptBackoff {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps until the pause of the last failure, if any, is over.
    pub(crate) async fn wait(&self) {
        let until = self.lock().until;
        if let Some(until) = until
            && until > Instant::now()
        {
            sleep_until(until).await;
        }
    }

    /// Records a resource-exhaustion failure; returns the pause it starts.
    pub(crate) fn failed(&self) -> Duration {
        let mut state = self.lock();
        state.delay = if state.delay.is_zero() {
            FIRST_DELAY
        } else {
            (state.delay * 2).min(MAX_DELAY)
        };
        state.until = Some(Instant::now() + state.delay);
        state.delay
    }

    /// Records a successful accept: the next failure starts from the
    /// shortest pause again.
    pub(crate) fn succeeded(&self) {
        let mut state = self.lock();
        if state.until.is_some() {
            *state = State::default();
        }
    }
}
