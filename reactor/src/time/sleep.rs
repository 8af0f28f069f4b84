//! `sleep`, `sleep_until` and `Sleep`: tokio's, on the loop's timer wheel.
//!
//! A `Sleep` arms its timer on the loop that first polls it (every netloop
//! task and `block_on` runs on a loop) — or, first polled on a thread that
//! only entered a runtime, on one of its loops through that loop's remote
//! queue; after that it may be polled from anywhere: firing wakes whichever
//! task waits in its entry. Dropping or re-arming cancels the armed entry. This file
//! knows nothing of executors.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::entry::TimerEntry;
use super::instant::Instant;
use super::timers;

/// Waits until `duration` has elapsed (tokio's `time::sleep`).
pub fn sleep(duration: Duration) -> Sleep {
    let deadline = Instant::now()
        .checked_add(duration)
        .unwrap_or_else(Instant::far_future);
    sleep_until(deadline)
}

/// Waits until `deadline` (tokio's `time::sleep_until`).
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        entry: None,
    }
}

/// The future [`sleep`] and [`sleep_until`] return.
///
/// # Panics
///
/// Polling it panics on a thread that neither runs a netloop loop nor has
/// entered a netloop runtime. Polled on a thread that only entered one (a
/// foreign executor inside `Runtime::enter`), its timer is armed on one of
/// that runtime's loops through the loop's remote queue.
#[derive(Debug)]
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct Sleep {
    deadline: Instant,
    /// The armed timer, from the first poll that found the deadline ahead.
    entry: Option<Arc<TimerEntry>>,
}

impl Sleep {
    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline; the sleep waits anew (even if it had completed).
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        this.disarm();
        this.deadline = deadline;
    }

    fn disarm(&mut self) {
        if let Some(entry) = self.entry.take() {
            if entry.is_fired() {
                // Out of the wheel already: nothing to cancel or count.
                return;
            }
            entry.cancel();
            // Taken out of the wheel at once if this thread's loop armed
            // it, else counted there so that the wheel knows when a sweep
            // pays.
            timers::with_current(|timers| {
                if let Some(timers) = timers {
                    timers.cancel(&entry);
                }
            });
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.entry.is_none() {
            // One look at the thread's timers, without a clock read: a
            // deadline the loop has not seen pass is armed (and fires at
            // the loop's next look at its timers if it has passed since).
            let deadline = this.deadline;
            let armed = timers::with_current(|timers| match timers {
                Some(timers) => match timers.arm_unless_elapsed(deadline, cx.waker()) {
                    Some(entry) => Armed::Entry(entry),
                    None => Armed::Elapsed,
                },
                None => Armed::NoLoop,
            });
            match armed {
                Armed::Elapsed => return Poll::Ready(()),
                Armed::Entry(entry) => {
                    // Armed with this task's waker, on this thread's loop,
                    // which fires timers on this thread only: not fired.
                    this.entry = Some(entry);
                    return Poll::Pending;
                }
                Armed::NoLoop => {
                    // Off any loop: an elapsed sleep still completes; else
                    // the runtime this thread entered arms it on a loop.
                    if Instant::now() >= deadline {
                        return Poll::Ready(());
                    }
                    let entry = Arc::new(TimerEntry::new());
                    assert!(
                        timers::arm_remotely(deadline, entry.clone()),
                        "a netloop timer was polled outside of a netloop runtime: poll it in a \
                         task, inside `block_on`, or on a thread that entered a runtime \
                         (`Runtime::enter`)"
                    );
                    this.entry = Some(entry);
                }
            }
        }
        let entry = this.entry.as_ref().expect("armed above");
        entry.poll_fired(cx.waker())
    }
}

/// What the first poll of a [`Sleep`] found.
enum Armed {
    /// The deadline has passed.
    Elapsed,
    /// The timer is armed on this thread's loop.
    Entry(Arc<TimerEntry>),
    /// No loop runs on this thread.
    NoLoop,
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.disarm();
    }
}
