//! Thread-local state: the loop this thread is running (its local run queue
//! and task list), and the runtime a non-loop thread has entered.
//!
//! Only the thread that installed a [`LocalLoop`] touches it, so it lives in
//! a `RefCell` without atomics. The rule that keeps the `RefCell` sound to
//! use from wakers and destructors: nobody runs or drops a task while holding
//! the borrow — runnables are popped under the borrow and run after it is
//! released.
//!
//! This file knows what a loop's local state is, not how the loop runs.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;

use async_task::Runnable;
use netloop_reactor::context::{self as io_context, IoContext};
use netloop_reactor::time::{Timers, timers};

use crate::event_loop::LoopShared;
use crate::runtime::Handle;

/// The state of the loop running on this thread, touched by no other thread.
#[derive(Debug)]
pub(crate) struct LocalLoop {
    pub(crate) shared: Arc<LoopShared>,
    pub(crate) handle: Handle,
    /// Tasks ready to run here: woken on this thread, or drained from the
    /// remote queues.
    pub(crate) queue: VecDeque<Runnable>,
    /// Every task of this loop that has been polled and not yet dropped.
    pub(crate) tasks: TaskList,
    /// The loop's timers while the loop is not installed (installed, they
    /// live in the reactor's thread-local, where timer futures find them).
    pub(crate) timers: Option<Timers>,
    /// The thread that spawned `!Send` tasks here, if any did: only it may
    /// poll or drop them (a current-thread runtime can move between
    /// threads; its local tasks cannot).
    pub(crate) local_owner: Option<std::thread::ThreadId>,
    /// What sockets polled while this loop is installed register with
    /// (`io_context.rs`), installed in the reactor with the loop.
    pub(crate) io: Arc<dyn IoContext>,
}

/// A slab of the wakers of a loop's live tasks: what shutdown wakes so that
/// every task is scheduled, and so dropped, on its own loop.
#[derive(Debug, Default)]
pub(crate) struct TaskList {
    entries: Vec<Option<Waker>>,
    free: Vec<usize>,
    len: usize,
}

impl TaskList {
    fn insert(&mut self, waker: Waker) -> usize {
        self.len += 1;
        match self.free.pop() {
            Some(key) => {
                self.entries[key] = Some(waker);
                key
            }
            None => {
                self.entries.push(Some(waker));
                self.entries.len() - 1
            }
        }
    }

    fn remove(&mut self, key: usize) {
        if let Some(slot) = self.entries.get_mut(key)
            && slot.take().is_some()
        {
            self.len -= 1;
            self.free.push(key);
        }
    }

    /// How many tasks are alive.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Clones of every live task's waker.
    pub(crate) fn wakers(&self) -> Vec<Waker> {
        self.entries.iter().flatten().cloned().collect()
    }
}

/// A task's place in its loop's [`TaskList`]; leaves it when dropped.
#[derive(Debug)]
pub(crate) struct ListEntry {
    key: usize,
    /// The loop whose list holds the entry (its `LoopShared` address).
    home: *const LoopShared,
}

// SAFETY: `home` is only compared by address, never dereferenced.
unsafe impl Send for ListEntry {}
// SAFETY: as for `Send`: the pointer is an identity, not an access path.
unsafe impl Sync for ListEntry {}

impl Drop for ListEntry {
    fn drop(&mut self) {
        // Off the home loop (the loop is gone, or the task is dropped by a
        // foreign thread after shutdown), there is no list left to update.
        let _ = LOOP.try_with(|cell| {
            if let Ok(mut current) = cell.try_borrow_mut()
                && let Some(lp) = current.as_mut()
                && std::ptr::eq(Arc::as_ptr(&lp.shared), self.home)
            {
                lp.tasks.remove(self.key);
                lp.shared.set_tasks_alive(lp.tasks.len());
                lp.shared.task_finished();
            }
        });
    }
}

thread_local! {
    /// The loop this thread runs, while it runs it.
    static LOOP: RefCell<Option<LocalLoop>> = const { RefCell::new(None) };
    /// The runtime a non-loop thread has entered (`Runtime::enter`,
    /// `block_on` of a multi-thread runtime).
    static ENTERED: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Whether this thread is inside a `block_on`.
    static BLOCKING: Cell<bool> = const { Cell::new(false) };
}

/// Puts `new` in this thread's loop slot and returns what was there. A
/// loop's timers travel with it: they are installed in the reactor's
/// thread-local while the loop is, and parked in its `LocalLoop` otherwise.
fn swap_loop(mut new: Option<LocalLoop>) -> Option<LocalLoop> {
    let timers_in = new.as_mut().and_then(|lp| lp.timers.take());
    let timers_out = timers::install(timers_in);
    io_context::set_loop(new.as_ref().map(|lp| lp.io.clone()));
    let mut old = LOOP
        .try_with(|cell| std::mem::replace(&mut *cell.borrow_mut(), new))
        .ok()
        .flatten();
    if let Some(old) = old.as_mut() {
        old.timers = timers_out;
    }
    old
}

/// Installs `local` as this thread's loop. Panics if one is installed.
pub(crate) fn install(local: LocalLoop) {
    let running = with_loop(|lp| lp.is_some());
    assert!(
        !running,
        "a netloop event loop is already running on this thread"
    );
    swap_loop(Some(local));
}

/// Removes and returns this thread's loop.
pub(crate) fn uninstall() -> Option<LocalLoop> {
    swap_loop(None)
}

/// Runs `f` with `local` installed as this thread's loop in place of
/// whatever loop was installed, which is put back afterwards (even if `f`
/// panics). Used to shut a loop down on a thread that runs another one.
pub(crate) fn with_installed<R>(local: LocalLoop, f: impl FnOnce() -> R) -> R {
    struct PutBack(Option<LocalLoop>);
    impl Drop for PutBack {
        fn drop(&mut self) {
            drop(swap_loop(self.0.take()));
        }
    }
    let outer = swap_loop(Some(local));
    let _put_back = PutBack(outer);
    f()
}

/// Runs `f` on this thread's loop state, if it runs one (and not once the
/// thread's locals are being destroyed).
pub(crate) fn with_loop<R>(f: impl FnOnce(Option<&mut LocalLoop>) -> R) -> R {
    let mut f = Some(f);
    let ran = LOOP.try_with(|cell| (f.take().expect("called once"))(cell.borrow_mut().as_mut()));
    match ran {
        Ok(r) => r,
        Err(_) => (f.take().expect("not called yet"))(None),
    }
}

/// Runs `f` with this thread's loop stepped aside (its runtime still
/// entered): `block_in_place`, so that `f` may block on the runtime like any
/// thread that runs no loop. Wakes of the loop's tasks meanwhile go through
/// its remote queue; the loop is put back afterwards, even if `f` panics.
pub(crate) fn suspend_loop<R>(f: impl FnOnce() -> R) -> R {
    struct PutBack(Option<LocalLoop>, Option<Handle>);
    impl Drop for PutBack {
        fn drop(&mut self) {
            if let Some(local) = self.0.take() {
                swap_loop(Some(local));
            }
            enter(self.1.take());
        }
    }
    let local = swap_loop(None);
    let previous = match &local {
        Some(lp) => enter(Some(lp.handle.clone())),
        None => enter(current_handle()),
    };
    let _put_back = PutBack(local, previous);
    f()
}

/// Whether this thread runs the loop whose shared state is at `home`.
pub(crate) fn is_on_loop(home: *const LoopShared) -> bool {
    LOOP.try_with(|cell| {
        cell.try_borrow().is_ok_and(|current| {
            current
                .as_ref()
                .is_some_and(|lp| std::ptr::eq(Arc::as_ptr(&lp.shared), home))
        })
    })
    .unwrap_or(false)
}

/// Pushes `runnable` on this thread's local queue if this thread runs the
/// loop at `home`; hands it back otherwise.
///
/// A wake during thread-local destruction (a user's thread-local holding a
/// waker) finds no loop and goes the remote way.
pub(crate) fn push_local(home: *const LoopShared, runnable: Runnable) -> Option<Runnable> {
    let mut runnable = Some(runnable);
    let _ = LOOP.try_with(|cell| {
        if let Ok(mut current) = cell.try_borrow_mut()
            && let Some(lp) = current.as_mut()
            && std::ptr::eq(Arc::as_ptr(&lp.shared), home)
        {
            lp.queue
                .push_back(runnable.take().expect("runnable not pushed yet"));
        }
    });
    runnable
}

/// Pops the next runnable of this thread's loop (the borrow ends before the
/// caller runs it).
pub(crate) fn pop_local() -> Option<Runnable> {
    LOOP.with(|cell| cell.borrow_mut().as_mut()?.queue.pop_front())
}

/// Pops the most recently queued runnable of this thread's loop.
pub(crate) fn pop_local_back() -> Option<Runnable> {
    LOOP.with(|cell| cell.borrow_mut().as_mut()?.queue.pop_back())
}

/// Whether this thread's local queue is empty.
pub(crate) fn local_is_empty() -> bool {
    LOOP.with(|cell| cell.borrow().as_ref().is_none_or(|lp| lp.queue.is_empty()))
}

/// Enters the running task in its loop's task list (at its first poll).
/// `None` off a loop: a blocking-pool job, which shutdown finds through the
/// pool instead.
/// `count_spawn`: the task was not counted on its loop when spawned.
pub(crate) fn task_list_insert(waker: &Waker, count_spawn: bool) -> Option<ListEntry> {
    LOOP.with(|cell| {
        let mut current = cell.borrow_mut();
        let lp = current.as_mut()?;
        if count_spawn {
            lp.shared.task_spawned();
        }
        let key = lp.tasks.insert(waker.clone());
        lp.shared.set_tasks_alive(lp.tasks.len());
        Some(ListEntry {
            key,
            home: Arc::as_ptr(&lp.shared),
        })
    })
}

/// The handle of the runtime this thread is in: its loop's, or the one it
/// entered.
pub(crate) fn current_handle() -> Option<Handle> {
    let from_loop = LOOP
        .try_with(|cell| {
            cell.try_borrow()
                .ok()
                .and_then(|current| current.as_ref().map(|lp| lp.handle.clone()))
        })
        .ok()
        .flatten();
    from_loop.or_else(|| {
        ENTERED
            .try_with(|cell| cell.try_borrow().ok().and_then(|h| h.clone()))
            .ok()
            .flatten()
    })
}

/// Makes `handle` this thread's entered runtime; returns the previous one.
pub(crate) fn enter(handle: Option<Handle>) -> Option<Handle> {
    io_context::set_entered(handle.as_ref().map(|handle| {
        Arc::new(crate::io_context::RuntimeIo {
            handle: handle.clone(),
        }) as Arc<dyn IoContext>
    }));
    ENTERED
        .try_with(|cell| std::mem::replace(&mut *cell.borrow_mut(), handle))
        .ok()
        .flatten()
}

/// Marks this thread as blocking in `block_on` until the guard drops.
///
/// # Panics
///
/// Panics with a message naming the misuse when the thread already blocks
/// in `block_on` or runs an event loop: blocking there would stall every
/// task of that loop (tokio panics likewise).
pub(crate) fn enter_blocking() -> BlockingGuard {
    let on_loop = with_loop(|lp| lp.is_some());
    if on_loop || BLOCKING.try_with(Cell::get).unwrap_or(false) {
        panic!(
            "Cannot start a runtime from within a runtime: `block_on` was called on a thread \
             that is already driving netloop tasks. Blocking here would stall every task of \
             this event loop; `.await` the future instead, or move the blocking call to \
             `spawn_blocking` or a thread of its own."
        );
    }
    let _ = BLOCKING.try_with(|b| b.set(true));
    BlockingGuard(())
}

/// Clears the blocking mark when dropped.
#[derive(Debug)]
pub(crate) struct BlockingGuard(());

impl Drop for BlockingGuard {
    fn drop(&mut self) {
        let _ = BLOCKING.try_with(|b| b.set(false));
    }
}
