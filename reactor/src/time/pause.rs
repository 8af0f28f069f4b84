//! `pause`, `resume` and `advance`: tokio's paused-time controls, on the
//! clock of the loop running on this thread.

use std::time::Duration;

use super::timers;

/// Stops time on this loop: `Instant::now()` stands still except when moved
/// by [`advance`] or by the loop's auto-advance.
///
/// # Panics
///
/// Panics outside a current-thread runtime's loop, or if time is already
/// paused.
#[track_caller]
pub fn pause() {
    with_clock(|clock| clock.pause());
}

/// Lets time on this loop run again, at real time's pace from where the
/// paused clock stands (as tokio's): it does not jump back to real time.
///
/// # Panics
///
/// Panics outside a netloop loop, or if time is not paused.
#[track_caller]
pub fn resume() {
    with_clock(|clock| clock.resume());
}

/// Moves paused time forward by `duration`, then yields so that the timers
/// it made due fire before this returns.
///
/// # Panics
///
/// Panics outside a netloop loop, or if time is not paused.
pub async fn advance(duration: Duration) {
    with_clock(|clock| clock.advance(duration));
    yield_once().await;
}

#[track_caller]
fn with_clock(f: impl FnOnce(&mut super::clock::Clock)) {
    let found = timers::with_current(|timers| match timers {
        Some(timers) => {
            f(timers.clock_mut());
            true
        }
        None => false,
    });
    assert!(
        found,
        "time can only be paused, resumed or advanced inside a netloop runtime (a task or \
         `block_on`)"
    );
}

/// Returns `Pending` once (after asking to be polled again), so that the
/// loop runs a round — and fires due timers — in between.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}
