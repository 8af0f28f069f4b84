//! `LocalSet`: a group of `!Send` tasks that run on the loop which runs the
//! set (tokio's `task::LocalSet`).
//!
//! Every netloop loop already runs `!Send` tasks ([`spawn_local`]), and
//! every `block_on` drives a loop, so a `LocalSet` only has to hold the
//! tasks spawned on it until it is first run, then hand them to that loop,
//! where they stay. This file knows where a set's tasks wait before that,
//! which tasks belong to a set (for awaiting it), and which set the free
//! `spawn_local` spawns onto.
//!
//! [`spawn_local`]: super::spawn_local

use std::cell::RefCell;
use std::fmt;
use std::future::{Future, poll_fn};
use std::marker::PhantomData;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::AcqRel, Ordering::Acquire};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use async_task::Runnable;
use futures::task::AtomicWaker;

use super::{Header, JoinHandle, TaskFuture};
use crate::context;
use crate::event_loop::LoopShared;
use crate::runtime::Runtime;
use crate::schedule;

/// A set of `!Send` tasks run by whichever loop runs the set.
///
/// Run it with [`run_until`](LocalSet::run_until) /
/// [`block_on`](LocalSet::block_on), or await the set itself: that
/// completes once every task spawned on it has finished (tasks that the
/// set's tasks `spawn_local` belong to the set too, as in tokio).
/// [`enter`](LocalSet::enter) makes the free `spawn_local` spawn onto the
/// set.
///
/// Differences from tokio, which has no per-loop executors: once the set has
/// run, its tasks belong to that loop and keep running there (they are not
/// paused when `run_until` returns, nor cancelled when the set is dropped);
/// dropping the set cancels only the tasks that never ran. On a
/// multi-thread runtime each `block_on` drives a guest loop of its own that
/// ends with it, cancelling the tasks still on it; the set's next run binds
/// it to the next `block_on`'s loop.
pub struct LocalSet {
    shared: Arc<SetShared>,
    /// A set belongs to the thread that made it, as its tasks do.
    _not_send: PhantomData<*const ()>,
}

/// What a set shares with its tasks' schedule functions and members (all
/// of which may outlive the set).
struct SetShared {
    /// The loop the set's tasks run on, from the set's first run (until
    /// that loop ends: a guest loop of a multi-thread `block_on` ends with
    /// it, and the next run binds the set anew).
    home: Mutex<Weak<LoopShared>>,
    /// Runnables scheduled before the set first ran (or after its loop
    /// ended); `None` once the `LocalSet` is dropped, so that a runnable
    /// scheduled then is dropped (cancelling its task) instead of waiting
    /// in a buffer that its own task's membership keeps alive.
    waiting: Mutex<Option<Vec<Runnable>>>,
    /// Tasks spawned on the set whose futures are not yet dropped.
    alive: AtomicUsize,
    /// The awaited set, woken when `alive` reaches zero. The handshake is
    /// `AtomicWaker`'s: the last member lowers `alive` then wakes; the set
    /// registers then reads `alive`.
    idle: AtomicWaker,
}

thread_local! {
    /// The set the free `spawn_local` spawns onto on this thread: one
    /// entered with `LocalSet::enter`, or the set whose task (or
    /// `run_until` future) is being polled.
    static CURRENT: RefCell<Option<Arc<SetShared>>> = const { RefCell::new(None) };
}

/// Runs `f` with `set` as this thread's current set.
fn with_current<R>(set: &Arc<SetShared>, f: impl FnOnce() -> R) -> R {
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(set.clone()))));
    f()
}

/// Puts the previous current set back (also when the poll panics).
struct Restore(Option<Arc<SetShared>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        // During thread teardown the slot may be gone: nothing to restore.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Spawns `future` onto the current set, if this thread has one; gives it
/// back otherwise (the free `spawn_local` then spawns on the loop).
pub(crate) fn spawn_on_current<F>(future: F) -> Result<JoinHandle<F::Output>, F>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match CURRENT.try_with(|c| c.borrow().clone()).ok().flatten() {
        Some(set) => Ok(SetShared::spawn_local(&set, future)),
        None => Err(future),
    }
}

/// A task's membership of its set: dropped with the task's future.
struct Member(Arc<SetShared>);

impl Drop for Member {
    fn drop(&mut self) {
        if self.0.alive.fetch_sub(1, AcqRel) == 1 {
            self.0.idle.wake();
        }
    }
}

impl SetShared {
    fn spawn_local<F>(set: &Arc<SetShared>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        set.alive.fetch_add(1, AcqRel);
        let member = Member(set.clone());
        // Each poll runs with the set current, so that what the task
        // spawns with `spawn_local` joins the set too.
        let future = async move {
            let member = member;
            let mut future = pin!(future);
            poll_fn(|cx| with_current(&member.0, || future.as_mut().poll(cx))).await
        };
        let header = Header::new();
        let schedule = {
            let set = Arc::downgrade(set);
            move |r: Runnable| match set.upgrade() {
                Some(set) => {
                    let home = lock(&set.home).clone();
                    if home.strong_count() > 0 {
                        schedule::schedule(&home, r);
                    } else if let Some(waiting) = lock(&set.waiting).as_mut() {
                        // Not run yet, or its loop is gone: wait for the
                        // next run.
                        waiting.push(r);
                    }
                    // Otherwise the set is gone and its loop too: `r`
                    // drops here, cancelling the task.
                }
                // Every member and the set are gone: dropping `r` cancels
                // the task.
                None => drop(r),
            }
        };
        let (runnable, task) =
            async_task::spawn_local(TaskFuture::uncounted(future, header.clone()), schedule);
        runnable.schedule();
        JoinHandle::new(task.fallible(), header)
    }
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        LocalSet {
            shared: Arc::new(SetShared {
                home: Mutex::new(Weak::new()),
                waiting: Mutex::new(Some(Vec::new())),
                alive: AtomicUsize::new(0),
                idle: AtomicWaker::new(),
            }),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` future on the set: it starts when the set first
    /// runs (at once, if it already has).
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        SetShared::spawn_local(&self.shared, future)
    }

    /// Makes the free [`spawn_local`](super::spawn_local) spawn onto this
    /// set on this thread until the guard drops (tokio's
    /// `LocalSet::enter`). The tasks start when the set runs.
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            _restore: Restore(CURRENT.with(|c| c.replace(Some(self.shared.clone())))),
            _not_send: PhantomData,
        }
    }

    /// Runs `future` on the current loop, starting the set's tasks there;
    /// the free `spawn_local` inside it spawns onto the set.
    ///
    /// # Panics
    ///
    /// Panics when polled off a netloop loop (outside `block_on` and outside
    /// any task), or on a different loop than the one that first ran the set.
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        self.bind();
        let mut future = pin!(future);
        poll_fn(|cx| with_current(&self.shared, || future.as_mut().poll(cx))).await
    }

    /// Runs `future` with `rt.block_on`, the set's tasks beside it.
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// Makes the current loop the set's home and starts its waiting tasks.
    fn bind(&self) {
        let here = context::with_loop(|lp| {
            lp.map(|lp| {
                lp.local_owner
                    .get_or_insert_with(|| std::thread::current().id());
                Arc::downgrade(&lp.shared)
            })
        })
        .expect(
            "a `LocalSet` was run (`run_until`, `block_on` or awaited) outside of a netloop \
             event loop: run it inside `block_on` or a task",
        );
        {
            let mut home = lock(&self.shared.home);
            assert!(
                home.strong_count() == 0 || Weak::ptr_eq(&home, &here),
                "a `LocalSet` runs on the loop that first ran it, while that loop lives; it \
                 was polled on another loop"
            );
            *home = here;
        }
        let waiting = lock(&self.shared.waiting)
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        waiting.into_iter().for_each(Runnable::schedule);
    }
}

/// Awaiting a set runs its tasks on the current loop and completes once
/// every task spawned on it (by it or by its tasks) has finished.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.bind();
        if self.shared.alive.load(Acquire) == 0 {
            return Poll::Ready(());
        }
        self.shared.idle.register(cx.waker());
        if self.shared.alive.load(Acquire) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Returned by [`LocalSet::enter`]: while it lives, the free `spawn_local`
/// spawns onto the set.
#[derive(Debug)]
#[must_use = "dropping the guard leaves the set at once"]
pub struct LocalEnterGuard {
    _restore: Restore,
    /// It restores this thread's state.
    _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for Restore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Restore")
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Drop for LocalSet {
    /// Cancels the tasks that never ran: their futures are dropped here.
    fn drop(&mut self) {
        let waiting = lock(&self.shared.waiting).take();
        drop(waiting);
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("running", &(lock(&self.shared.home).strong_count() > 0))
            .field("alive", &self.shared.alive.load(Acquire))
            .finish_non_exhaustive()
    }
}
