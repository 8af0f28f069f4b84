//! Task-local storage: tokio's `task_local!` and `LocalKey`.
//!
//! A value is installed in a thread-local slot for the duration of each poll
//! of the future given to [`LocalKey::scope`], and taken out again after, so
//! it follows its task whichever loop polls it — and other tasks on the same
//! thread never see it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys (tokio's `task_local!`):
///
/// ```
/// netloop_executor::task_local! {
///     static REQUEST_ID: u64;
/// }
/// # let rt = netloop_executor::runtime::Builder::new_current_thread().build().unwrap();
/// # rt.block_on(async {
/// REQUEST_ID.scope(7, async { assert_eq!(REQUEST_ID.get(), 7) }).await;
/// # });
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_inner!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_inner {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static __KEY: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey { inner: __KEY }
        };
    };
}

/// A key for task-local data, declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    #[doc(hidden)]
    pub inner: std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    /// Runs `future` with the key set to `value` during each of its polls.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            slot: Some(value),
            future: ManuallyDrop::new(future),
        }
    }

    /// Runs the synchronous `f` with the key set to `value`.
    pub fn sync_scope<F: FnOnce() -> R, R>(&'static self, value: T, f: F) -> R {
        let mut slot = Some(value);
        self.swap_in(&mut slot, f)
    }

    /// Calls `f` with the current value.
    ///
    /// # Panics
    ///
    /// Panics when the key is not set (outside its `scope`).
    #[track_caller]
    pub fn with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> R {
        match self.try_with(f) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// Calls `f` with the current value, or fails when the key is not set.
    pub fn try_with<F: FnOnce(&T) -> R, R>(&'static self, f: F) -> Result<R, AccessError> {
        self.inner
            .try_with(|cell| cell.borrow().as_ref().map(f))
            .ok()
            .flatten()
            .ok_or(AccessError(()))
    }

    /// Swaps `slot` into the key for the duration of `f`, and back after,
    /// even if `f` panics.
    fn swap_in<R>(&'static self, slot: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        struct Guard<'a, T: 'static> {
            key: &'static LocalKey<T>,
            slot: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for Guard<'_, T> {
            fn drop(&mut self) {
                self.key
                    .inner
                    .with(|cell| std::mem::swap(self.slot, &mut *cell.borrow_mut()));
            }
        }
        self.inner
            .with(|cell| std::mem::swap(slot, &mut *cell.borrow_mut()));
        let _guard = Guard { key: self, slot };
        f()
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A copy of the current value.
    ///
    /// # Panics
    ///
    /// Panics when the key is not set.
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

/// The future [`LocalKey::scope`] returns. Its inner future is polled, and
/// dropped, with the key set.
#[must_use = "futures do nothing unless you .await or poll them"]
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    slot: Option<T>,
    /// Structurally pinned: never moved out of a pinned `TaskLocalFuture`,
    /// only dropped in place, by `Drop`.
    future: ManuallyDrop<F>,
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: only `future` is structurally pinned, and it is never moved
        // out (no method hands it out by value; `Drop` drops it in place);
        // `key` and `slot` are used through `&mut` only.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: see above: `this.future` stays in place while pinned.
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        let key = this.key;
        key.swap_in(&mut this.slot, || future.poll(cx))
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    /// Drops the inner future inside the scope, as tokio does, so its
    /// destructor may read the key.
    fn drop(&mut self) {
        let key = self.key;
        let future = &mut self.future;
        // SAFETY: `future` is initialised (only this `Drop` drops it) and is
        // dropped in place exactly once, which a pinned value allows.
        key.swap_in(&mut self.slot, || unsafe { ManuallyDrop::drop(future) });
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskLocalFuture { .. }")
    }
}

/// A task-local key was read outside its `scope`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set: read outside of its `LocalKey::scope`")
    }
}

impl std::error::Error for AccessError {}
