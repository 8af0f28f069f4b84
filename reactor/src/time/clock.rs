//! A loop's clock: real time, or paused time for tests (tokio's
//! `test-util`, always available here).
//!
//! While paused, `Instant::now()` on the loop's thread stands still except
//! when moved by `advance` or by the loop's auto-advance: a loop with nothing
//! to run and no I/O ready jumps its clock to the next timer instead of
//! sleeping. Only a current-thread runtime's clock may pause (as in tokio):
//! with several loops there is no single "everyone is idle" to advance on.
//!
//! This file knows nothing of timers or loops.

use std::time::Duration;

/// Real or paused time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    /// May this clock pause (it belongs to a current-thread runtime)?
    pausable: bool,
    /// `Some(now)` while paused: the instant the clock stands at.
    frozen: Option<std::time::Instant>,
    /// Since the last `resume`: the instant the clock stood at then, and
    /// the real instant it resumed at. Running time continues from where
    /// the paused clock stood (as tokio's), so the clock never goes back.
    resumed: Option<(std::time::Instant, std::time::Instant)>,
}

impl Clock {
    pub(crate) fn new(pausable: bool, start_paused: bool) -> Clock {
        let mut clock = Clock {
            pausable,
            frozen: None,
            resumed: None,
        };
        if start_paused {
            clock.pause();
        }
        clock
    }

    /// The current time on this clock.
    pub(crate) fn now(&self) -> std::time::Instant {
        match (self.frozen, self.resumed) {
            (Some(frozen), _) => frozen,
            (None, None) => std::time::Instant::now(),
            (None, Some((stood, real))) => stood + real.elapsed(),
        }
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.frozen.is_some()
    }

    /// Stops the clock where it is.
    ///
    /// # Panics
    ///
    /// Panics when the clock may not pause, or already is paused (tokio's
    /// messages).
    #[track_caller]
    pub(crate) fn pause(&mut self) {
        assert!(
            self.pausable,
            "`time::pause()` requires the `current_thread` netloop runtime. This is the \
             default runtime of `#[netloop::test]`."
        );
        assert!(self.frozen.is_none(), "time is already frozen");
        self.frozen = Some(self.now());
    }

    /// Lets the clock run again, at real time's pace from where it stands.
    ///
    /// # Panics
    ///
    /// Panics when the clock is not paused.
    #[track_caller]
    pub(crate) fn resume(&mut self) {
        let stood = self.frozen.take().expect("time is not frozen");
        self.resumed = Some((stood, std::time::Instant::now()));
    }

    /// Moves a paused clock forward by `by`.
    ///
    /// # Panics
    ///
    /// Panics when the clock is not paused.
    #[track_caller]
    pub(crate) fn advance(&mut self, by: Duration) {
        let frozen = self
            .frozen
            .as_mut()
            .expect("time is not frozen: `time::advance` needs `time::pause` first");
        *frozen += by;
    }

    /// Moves a paused clock forward to `to`, if `to` is ahead.
    pub(crate) fn advance_to(&mut self, to: std::time::Instant) {
        if let Some(frozen) = self.frozen.as_mut()
            && to > *frozen
        {
            *frozen = to;
        }
    }
}
