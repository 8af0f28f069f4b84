//! `Builder`: tokio's runtime builder, with netloop's own knobs (`loops`,
//! `balancer`, `spawn_at_home`).
//!
//! This file only collects configuration; `runtime.rs` starts what it
//! describes.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::Runtime;
use crate::balancer::{Balancer, RoundRobin};
use crate::event_loop::Intervals;

/// A thread start/stop callback.
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync + 'static>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// One loop, driven by the thread in `Runtime::block_on`.
    CurrentThread,
    /// N loops, each on a thread of its own.
    MultiThread,
}

/// Builds a [`Runtime`] (tokio's `runtime::Builder`).
///
/// ```
/// use netloop_executor::runtime::Builder;
///
/// let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # std::io::Result::Ok(())
/// ```
pub struct Builder {
    pub(crate) flavor: Flavor,
    pub(crate) loops: Option<usize>,
    pub(crate) name: Option<String>,
    pub(crate) thread_name: String,
    pub(crate) intervals: Intervals,
    pub(crate) balancer: Arc<dyn Balancer>,
    pub(crate) spawn_at_home: bool,
    pub(crate) start_paused: bool,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) on_thread_park: Option<Callback>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) pin_threads: bool,
}

impl Builder {
    fn new(flavor: Flavor) -> Builder {
        Builder {
            flavor,
            loops: None,
            name: None,
            thread_name: "netloop-loop".to_owned(),
            intervals: Intervals::default(),
            balancer: Arc::new(RoundRobin::new()),
            spawn_at_home: false,
            start_paused: false,
            on_thread_start: None,
            on_thread_stop: None,
            on_thread_park: None,
            max_blocking_threads: crate::blocking::DEFAULT_MAX_THREADS,
            keep_alive: crate::blocking::KEEP_ALIVE,
            pin_threads: false,
        }
    }

    /// A runtime with one event loop, driven by the thread that calls
    /// `Runtime::block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Flavor::CurrentThread)
    }

    /// A runtime with several event loops, one thread each (one per CPU
    /// unless [`worker_threads`](Self::worker_threads) says otherwise).
    /// Tasks are not stolen between loops: each stays where it started.
    pub fn new_multi_thread() -> Builder {
        Builder::new(Flavor::MultiThread)
    }

    /// How many event loops (threads) a multi-thread runtime runs. Ignored by
    /// a current-thread runtime, as in tokio.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "worker threads cannot be set to 0");
        self.loops = Some(n);
        self
    }

    /// netloop's name for [`worker_threads`](Self::worker_threads): how many
    /// event loops to run.
    #[track_caller]
    pub fn loops(&mut self, n: usize) -> &mut Builder {
        self.worker_threads(n)
    }

    /// Enables the I/O and time drivers. netloop's are always on (every loop
    /// owns a poller); this exists so tokio code builds unchanged.
    pub fn enable_all(&mut self) -> &mut Builder {
        self
    }

    /// Enables the I/O driver: always on in netloop (see
    /// [`enable_all`](Self::enable_all)).
    pub fn enable_io(&mut self) -> &mut Builder {
        self
    }

    /// Enables the time driver: always on in netloop (see
    /// [`enable_all`](Self::enable_all)).
    pub fn enable_time(&mut self) -> &mut Builder {
        self
    }

    /// The runtime's name, which [`Handle::name`](super::Handle::name)
    /// answers (none by default).
    ///
    /// # Panics
    ///
    /// Panics if `name` is empty or only whitespace.
    #[track_caller]
    pub fn name(&mut self, name: impl Into<String>) -> &mut Builder {
        let name = name.into();
        assert!(!name.trim().is_empty(), "runtime name shouldn't be empty");
        self.name = Some(name);
        self
    }

    /// How many tasks a loop runs at most before it looks at the network
    /// and its timers again (tokio's "ticks between polling external
    /// events"). netloop's loops poll the network with a zero timeout
    /// after each batch of up to this many local tasks, and at once when
    /// the local queue runs dry; 128 by default (tokio: 61). Smaller
    /// favours I/O and timer latency, larger favours throughput of busy
    /// tasks.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    #[track_caller]
    pub fn event_interval(&mut self, n: u32) -> &mut Builder {
        assert!(n > 0, "event_interval must be greater than 0");
        self.intervals.event = n;
        self
    }

    /// Every how many local tasks a loop takes in what other threads
    /// queued for it (tasks spawned or woken from elsewhere: netloop's
    /// per-loop "global" queue; tokio's multi-thread scheduler has one
    /// global queue for all workers). 61 by default, as Go's scheduler
    /// looks at its global run queue; 1 takes the remote work before each
    /// local task.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    #[track_caller]
    pub fn global_queue_interval(&mut self, n: u32) -> &mut Builder {
        assert!(n > 0, "global_queue_interval must be greater than 0");
        self.intervals.remote = n;
        self
    }

    /// The name of the loop threads (each gets `-N` appended, N its loop
    /// index).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// Which loop a spawned task goes to; [`RoundRobin`] by default.
    pub fn balancer(&mut self, balancer: impl Balancer) -> &mut Builder {
        self.balancer = Arc::new(balancer);
        self
    }

    /// When `true`, `spawn` from inside a loop keeps the task on that loop
    /// (monoio / glommio locality) instead of asking the balancer. Off by
    /// default: an accept-and-spawn server then spreads its connections over
    /// the loops.
    pub fn spawn_at_home(&mut self, at_home: bool) -> &mut Builder {
        self.spawn_at_home = at_home;
        self
    }

    /// Starts the runtime with time paused (tokio's `start_paused`; see
    /// `netloop::time::pause`). A current-thread runtime only: `build`
    /// fails with `ErrorKind::InvalidInput` on a multi-thread one.
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.start_paused = paused;
        self
    }

    /// Runs `f` on each loop thread when it starts, before the loop runs.
    pub fn on_thread_start(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on each loop thread when it stops, after its tasks are
    /// dropped.
    pub fn on_thread_stop(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// Runs `f` on a loop's thread each time the loop is about to sleep in
    /// `epoll_wait` because it has nothing to run (tokio's
    /// `on_thread_park`).
    pub fn on_thread_park(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.on_thread_park = Some(Arc::new(f));
        self
    }

    /// Pins loop thread `i` to the `i`-th CPU this process may run on
    /// (modulo their number), via `sched_setaffinity`: thread-per-core, so
    /// that a loop's caches stay warm. Off by default. A multi-thread runtime
    /// only: a current-thread runtime runs on the caller's thread, which it
    /// does not move.
    pub fn pin_threads(&mut self, pin: bool) -> &mut Builder {
        self.pin_threads = pin;
        self
    }

    /// The most threads the blocking pool (`spawn_blocking`) runs at once;
    /// 512 by default, as in tokio. Jobs beyond it queue.
    ///
    /// # Panics
    ///
    /// Panics if `n` is 0.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "max_blocking_threads cannot be set to 0");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for work before it exits;
    /// 10 s by default, as in tokio.
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Builder {
        self.keep_alive = keep_alive;
        self
    }

    /// Creates the runtime: its pollers, and for a multi-thread runtime its
    /// loop threads.
    pub fn build(&mut self) -> io::Result<Runtime> {
        Runtime::start(self)
    }

    /// How many loops this builder asks for.
    pub(crate) fn loop_count(&self) -> usize {
        match self.flavor {
            Flavor::CurrentThread => 1,
            Flavor::MultiThread => self.loops.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
        }
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("flavor", &self.flavor)
            .field("loops", &self.loop_count())
            .field("name", &self.name)
            .field("intervals", &self.intervals)
            .field("thread_name", &self.thread_name)
            .field("balancer", &self.balancer)
            .field("spawn_at_home", &self.spawn_at_home)
            .field("start_paused", &self.start_paused)
            .finish_non_exhaustive()
    }
}
