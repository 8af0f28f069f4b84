//! A waker that counts its wake-ups, shared by the reactor's unit tests and
//! loom models (which had one copy each). Its counter comes through the
//! loom shim, so inside a `loom::model` the counts are model-checked too;
//! `Arc::strong_count` of the counter tells how many clones of the waker
//! are alive (leak checks).
//!
//! Test-only; knows nothing of slots, cells or budgets.

use std::sync::Arc;
use std::task::{Wake, Waker};

use crate::loom::{AtomicUsize, Ordering::SeqCst};

/// The counter behind a [`counting_waker`].
pub(crate) struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A waker and the counter it bumps on each wake-up.
pub(crate) fn counting_waker() -> (Waker, Arc<Count>) {
    let count = Arc::new(Count(AtomicUsize::new(0)));
    (Waker::from(count.clone()), count)
}

/// How many times `count`'s waker was woken.
pub(crate) fn woken(count: &Count) -> usize {
    count.0.load(SeqCst)
}

/// Clones of `count`'s waker still alive besides the `Arc` the test holds.
pub(crate) fn alive(count: &Arc<Count>) -> usize {
    Arc::strong_count(count) - 1
}
