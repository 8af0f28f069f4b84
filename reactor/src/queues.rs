//! The two cross-thread task queues of a poller, after gnet's
//! `priorAsyncTaskQueue` (urgent) and `asyncTaskQueue` (normal).
//!
//! Both are unbounded lock-free queues (`crossbeam_queue::SegQueue`; under
//! `cfg(loom)` a mutex-guarded `VecDeque` that loom can see). Draining
//! follows gnet with one difference that keeps I/O from starving: the urgent
//! queue is drained *fully* each tick — everything that was in it when the
//! drain began — and the normal queue up to a bound. Tasks pushed while a
//! drain runs wait for the next tick instead of extending this one, so a
//! producer that never stops cannot keep the loop from polling.
//!
//! This file knows nothing of what a task is or means.

#[cfg(not(loom))]
use crossbeam_queue::SegQueue;

/// One multi-producer queue.
#[derive(Debug)]
pub(crate) struct TaskQueue<T> {
    #[cfg(not(loom))]
    inner: SegQueue<T>,
    /// Under loom: the items behind a mutex, and a lock-free length that
    /// `pop` checks first. A consumer of `SegQueue` that finds it empty has
    /// only loaded its indices; a mutex alone would hand loom a total order
    /// the real queue does not have, and hide races like the wake signal's.
    #[cfg(loom)]
    inner: crate::loom::Mutex<std::collections::VecDeque<T>>,
    #[cfg(loom)]
    len: crate::loom::AtomicUsize,
}

#[cfg(not(loom))]
impl<T> TaskQueue<T> {
    pub(crate) fn new() -> TaskQueue<T> {
        TaskQueue {
            inner: SegQueue::new(),
        }
    }

    pub(crate) fn push(&self, task: T) {
        self.inner.push(task);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.inner.pop()
    }

    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

#[cfg(loom)]
impl<T> TaskQueue<T> {
    pub(crate) fn new() -> TaskQueue<T> {
        TaskQueue {
            inner: crate::loom::Mutex::new(std::collections::VecDeque::new()),
            len: crate::loom::AtomicUsize::new(0),
        }
    }

    pub(crate) fn push(&self, task: T) {
        self.inner.lock().unwrap().push_back(task);
        self.len.fetch_add(1, crate::loom::Ordering::Release);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        if self.len.load(crate::loom::Ordering::Acquire) == 0 {
            return None;
        }
        let task = self.inner.lock().unwrap().pop_front()?;
        self.len.fetch_sub(1, crate::loom::Ordering::AcqRel);
        Some(task)
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(crate::loom::Ordering::Acquire)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Tasks taken from the urgent queue.
    pub urgent: usize,
    /// Tasks taken from the normal queue.
    pub normal: usize,
    /// Whether tasks were left behind for the next tick.
    pub more: bool,
}

/// The urgent and the normal queue of one poller.
#[derive(Debug)]
pub(crate) struct RemoteQueues<T> {
    pub(crate) urgent: TaskQueue<T>,
    pub(crate) normal: TaskQueue<T>,
}

impl<T> RemoteQueues<T> {
    pub(crate) fn new() -> RemoteQueues<T> {
        RemoteQueues {
            urgent: TaskQueue::new(),
            normal: TaskQueue::new(),
        }
    }

    /// Hands `f` every urgent task queued when the drain began, then at most
    /// `normal_bound` normal ones.
    pub(crate) fn drain(&self, normal_bound: usize, mut f: impl FnMut(T)) -> Drained {
        let mut drained = Drained::default();
        // `is_empty` first: a queue's `len` walks its indices with
        // sequentially consistent loads, and most drains find nothing.
        if !self.urgent.is_empty() {
            for _ in 0..self.urgent.len() {
                let Some(task) = self.urgent.pop() else { break };
                f(task);
                drained.urgent += 1;
            }
        }
        if !self.normal.is_empty() {
            let normal = self.normal.len().min(normal_bound);
            for _ in 0..normal {
                let Some(task) = self.normal.pop() else { break };
                f(task);
                drained.normal += 1;
            }
        }
        drained.more = !self.urgent.is_empty() || !self.normal.is_empty();
        drained
    }
}
