//! Timer benchmarks: netloop current-thread side by side with tokio
//! `current_thread`, the same workloads on both, in one invocation.
//!
//! `cargo bench -p netloop-benches --bench timers` (release) measures on
//! each runtime, with 1,000,000 timers per run:
//!
//! 1. **insert+cancel**: inside `block_on`, create 1,000,000 sleeps with
//!    distinct deadlines spread evenly over 1..10 s ahead, each in a
//!    `Pin<Box<_>>` in one `Vec`, and poll each once with a no-op waker
//!    right after creating it, so that it is armed; then drop them all.
//!    Timers are created in memory order but with scattered deadlines (see
//!    [`Scatter`]). A dropped netloop sleep leaves a hole in its wheel slot
//!    (or, armed on another loop, only flags its entry), so its run also
//!    includes the reclaim that its loop does the next time it is idle:
//!    `Timers::next_deadline` sweeps the holes and cancelled entries (the
//!    very call `EventLoop::round` makes). tokio removes the entry from its
//!    wheel inside the drop. ns per timer.
//! 2. **insert+fire**: on a runtime started with time paused (netloop:
//!    `Builder::start_paused`; tokio: `start_paused`, from `test-util`), one
//!    spawned task creates and arms 1,000,000 sleeps as above (with its own
//!    waker) with deadlines spread over 1..1000 ms, then awaits them one by
//!    one in deadline order (O(n) wake-ups in all) and drops them. Each
//!    runtime auto-advances its paused clock to the next timer when the task
//!    waits, so nothing waits real time. Two deadline layouts:
//!    - *distinct*: every timer its own deadline (999 ns apart), as
//!      `now + timeout` gives in practice. Both paused clocks advance to
//!      the next 1 ms wheel tick (about 1,000 timers per round; netloop's
//!      advanced to each deadline in turn, one round per timer, while its
//!      timers were a binary heap);
//!    - *ms-aligned*: 1,000 timers on each whole millisecond, so that both
//!      runtimes fire them in 1,000 rounds (this is also how netloop batches
//!      in real time, where its `epoll_wait` timeout has 1 ms precision).
//!
//!    ns per timer.
//! 3. **memory per pending timer**: on a fresh runtime, create and arm
//!    1,000,000 sleeps as in (1) while a counting global allocator records
//!    the bytes allocated; bytes per armed, pending timer, split into the
//!    `Sleep` itself (which in a real program sits inside a task's future)
//!    and what the runtime allocates per timer; then what is still allocated
//!    after they are dropped (and, for netloop, reclaimed).
//!
//! Workloads 1 and 2 also run **warm**: an earlier timer is pending and the
//! runtime has parked once since it was armed, as in a server that always
//! has timers (see [`arm_anchor`]). That matters to tokio only: without it,
//! each insert unparks tokio's driver with an eventfd `write(2)`.
//!
//! Every timing cell is the median of several runs after a warm-up, with
//! the two runtimes' runs interleaved so that a noisy neighbour hurts them
//! alike. Ratios are speed ratios: tokio's time over netloop's (above
//! 1.00x: netloop is faster). The counting allocator only counts while the
//! memory workload runs; outside it, it costs one relaxed load per call.
//! One invocation takes about 50 s.
//!
//! Environment knobs (as in the executor bench):
//! - `NETLOOP_BENCH_RUNS`: measured runs per cell (default 3);
//! - `NETLOOP_BENCH_SCALE`: multiplies the number of timers (default 1;
//!   e.g. 0.05 for a run under valgrind);
//! - `NETLOOP_BENCH_ONLY`: comma-separated runtimes (`nl-ct`, `tokio-ct`);
//! - `NETLOOP_BENCH_WORKLOADS`: comma-separated workloads (`cancel`,
//!   `cancel-warm`, `fire`, `fire-warm`, `fire-ms`, `fire-ms-warm`,
//!   `memory`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use netloop_benches::{Knobs, minor_faults};

/// Timers per run.
const TIMERS: u64 = 1_000_000;
/// Pause between two measurements.
const SETTLE: Duration = Duration::from_millis(5);

fn main() {
    let config = Knobs::from_env(3);
    // At least 1,000 timers, so that the deadline layouts stay meaningful.
    let n = config.scaled(TIMERS, 1000);
    println!(
        "netloop timer benchmarks: {n} timers per run, {} measured runs per cell (median \
         shown), 1 warm-up; {} CPUs available",
        config.runs,
        thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    );
    let started = Instant::now();
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|kind| config.runtime_enabled(kind.name()))
        .collect();

    // Memory first, on fresh runtimes, before the timing runs have grown
    // any heap.
    let memory: Vec<(Kind, Memory)> = if config.workload_enabled("memory") {
        kinds.iter().map(|&kind| (kind, memory(kind, n))).collect()
    } else {
        Vec::new()
    };

    let mut benches: Vec<Bench> = kinds.iter().map(|&kind| Bench::new(kind)).collect();
    let mut rows = Vec::new();
    for workload in Workload::ALL {
        if !config.workload_enabled(workload.key()) {
            continue;
        }
        let mut cells: Vec<Vec<Sample>> = benches.iter().map(|_| Vec::new()).collect();
        for run in 0..=config.runs {
            for (bench, samples) in benches.iter_mut().zip(&mut cells) {
                let faults = minor_faults();
                let mut sample = bench.measure(workload, n);
                sample.faults = minor_faults().saturating_sub(faults);
                if run > 0 {
                    samples.push(sample);
                }
                thread::sleep(SETTLE);
            }
        }
        rows.push(Row {
            workload,
            cells: kinds
                .iter()
                .zip(cells)
                .map(|(&kind, samples)| (kind, Summary::from_samples(samples)))
                .collect(),
        });
    }
    drop(benches);

    print_report(n, &rows, &memory);
    println!(
        "\ntotal benchmark time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// The counting allocator.

unsafe extern "C" {
    /// glibc: the usable size of a block `malloc` returned.
    fn malloc_usable_size(ptr: *mut c_void) -> usize;
}

/// `System`, counting while [`COUNTING`] is set: requested bytes, live
/// blocks, and the malloc footprint (usable size plus glibc's 8-byte chunk
/// header) of what is allocated minus what is freed.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static BYTES: AtomicI64 = AtomicI64::new(0);
static BLOCKS: AtomicI64 = AtomicI64::new(0);
static FOOTPRINT: AtomicI64 = AtomicI64::new(0);

impl Counting {
    /// Counts a block of `size` requested bytes at `ptr` coming (`sign` 1)
    /// or going (`sign` -1).
    ///
    /// # Safety
    ///
    /// `ptr` is a live block from `System`.
    unsafe fn note(ptr: *mut u8, size: usize, sign: i64) {
        // SAFETY: the caller passes a live block of the system allocator,
        // which is glibc's malloc on Linux.
        let usable = unsafe { malloc_usable_size(ptr.cast()) };
        BYTES.fetch_add(sign * size as i64, Relaxed);
        BLOCKS.fetch_add(sign, Relaxed);
        FOOTPRINT.fetch_add(sign * (usable as i64 + 8), Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the counting only
// reads the blocks' sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc(layout) };
        if COUNTING.load(Relaxed) && !ptr.is_null() {
            // SAFETY: `ptr` was just allocated.
            unsafe { Counting::note(ptr, layout.size(), 1) };
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if COUNTING.load(Relaxed) && !ptr.is_null() {
            // SAFETY: `ptr` was just allocated.
            unsafe { Counting::note(ptr, layout.size(), 1) };
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Relaxed) {
            // SAFETY: the caller passes a live block, not yet freed.
            unsafe { Counting::note(ptr, layout.size(), -1) };
        }
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let counting = COUNTING.load(Relaxed);
        if counting {
            // SAFETY: the caller passes a live block, not yet reallocated.
            unsafe { Counting::note(ptr, layout.size(), -1) };
        }
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if counting {
            if new.is_null() {
                // The old block is still there.
                // SAFETY: a failed realloc leaves `ptr` live.
                unsafe { Counting::note(ptr, layout.size(), 1) };
            } else {
                // SAFETY: `new` was just allocated.
                unsafe { Counting::note(new, new_size, 1) };
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What the counting allocator has seen since the last [`start_counting`].
#[derive(Debug, Clone, Copy, Default)]
struct Counted {
    bytes: i64,
    blocks: i64,
    footprint: i64,
}

fn start_counting() {
    BYTES.store(0, Relaxed);
    BLOCKS.store(0, Relaxed);
    FOOTPRINT.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
}

fn counted() -> Counted {
    Counted {
        bytes: BYTES.load(Relaxed),
        blocks: BLOCKS.load(Relaxed),
        footprint: FOOTPRINT.load(Relaxed),
    }
}

fn stop_counting() -> Counted {
    COUNTING.store(false, Relaxed);
    counted()
}

// ---------------------------------------------------------------------------
// Configuration.

/// The deadline layout and what happens to the timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// insert+cancel, deadlines 1..10 s ahead, distinct.
    Cancel,
    /// insert+fire, deadlines 1..1000 ms ahead, distinct.
    Fire,
    /// insert+fire, deadlines on the whole milliseconds 1..1000 ms ahead.
    FireMs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Workload {
    shape: Shape,
    /// An earlier "anchor" timer is pending and the runtime has parked once
    /// since it was armed (see [`arm_anchor`]).
    warm: bool,
}

impl Workload {
    const ALL: [Workload; 6] = [
        Workload::new(Shape::Cancel, false),
        Workload::new(Shape::Cancel, true),
        Workload::new(Shape::Fire, false),
        Workload::new(Shape::Fire, true),
        Workload::new(Shape::FireMs, false),
        Workload::new(Shape::FireMs, true),
    ];

    const fn new(shape: Shape, warm: bool) -> Workload {
        Workload { shape, warm }
    }

    fn key(self) -> &'static str {
        match (self.shape, self.warm) {
            (Shape::Cancel, false) => "cancel",
            (Shape::Cancel, true) => "cancel-warm",
            (Shape::Fire, false) => "fire",
            (Shape::Fire, true) => "fire-warm",
            (Shape::FireMs, false) => "fire-ms",
            (Shape::FireMs, true) => "fire-ms-warm",
        }
    }

    fn label(self) -> &'static str {
        match (self.shape, self.warm) {
            (Shape::Cancel, false) => "insert+cancel",
            (Shape::Cancel, true) => "insert+cancel, warm",
            (Shape::Fire, false) => "insert+fire, distinct",
            (Shape::Fire, true) => "insert+fire, distinct, warm",
            (Shape::FireMs, false) => "insert+fire, ms-aligned",
            (Shape::FireMs, true) => "insert+fire, ms-aligned, warm",
        }
    }

    /// The names of the three timed phases of one run.
    fn phases(self) -> [&'static str; 3] {
        match self.shape {
            Shape::Cancel => ["create+arm", "drop", "reclaim"],
            Shape::Fire | Shape::FireMs => ["create+arm", "await all", "drop"],
        }
    }

    /// The offset from now of timer `j` of `n` (deadline order).
    fn offset(self, j: u64, n: u64) -> Duration {
        match self.shape {
            Shape::Cancel => Duration::from_secs(1) + Duration::from_nanos(j * 9_000_000_000 / n),
            Shape::Fire => Duration::from_millis(1) + Duration::from_nanos(j * 999_000_000 / n),
            Shape::FireMs => Duration::from_millis(1 + j * 1000 / n),
        }
    }

    /// The anchor's offset from now: half the earliest timer's.
    fn anchor_offset(self) -> Duration {
        self.offset(0, 1) / 2
    }
}

// ---------------------------------------------------------------------------
// The workloads, written once for both runtimes.

/// The order in which the timers are created and armed: timer `i` (in
/// creation order, which is also memory order) gets deadline rank
/// `i * stride % n`, with `stride` coprime with `n`, so that deadlines
/// arrive scattered (a binary heap gets no sorted-insertion best case) while
/// the memory the bench itself touches stays sequential.
struct Scatter {
    n: u64,
    stride: u64,
    /// `stride`'s inverse modulo `n`.
    inverse: u64,
}

impl Scatter {
    fn new(n: u64) -> Scatter {
        assert!(n < 1 << 32, "too many timers for u64 products");
        let mut stride = (n * 618 / 1000).max(1);
        // The extended Euclid: stride * inverse ≡ gcd (mod n).
        let (gcd, inverse) = loop {
            let (mut r0, mut r1) = (i128::from(n), i128::from(stride));
            let (mut t0, mut t1) = (0i128, 1i128);
            while r1 != 0 {
                let q = r0 / r1;
                (r0, r1) = (r1, r0 - q * r1);
                (t0, t1) = (t1, t0 - q * t1);
            }
            if r0 == 1 {
                break (r0, t0.rem_euclid(i128::from(n)) as u64);
            }
            stride += 1;
        };
        debug_assert_eq!(gcd, 1);
        let scatter = Scatter { n, stride, inverse };
        debug_assert!((0..n).all(|j| scatter.deadline(scatter.index(j) as u64) == j));
        scatter
    }

    /// The deadline rank of timer `i` (creation order).
    fn deadline(&self, i: u64) -> u64 {
        i * self.stride % self.n
    }

    /// The creation index of the timer of deadline rank `j`.
    fn index(&self, j: u64) -> usize {
        (j * self.inverse % self.n) as usize
    }
}

/// Times of one run's phases.
type Phases = [Duration; 3];

/// For a `warm` workload: arms the anchor, a timer earlier than all of the
/// run's that stays pending through the run, then yields once so that the
/// runtime parks (with a zero timeout) while it is pending.
///
/// That is a server's steady state, and it matters to tokio: inserting a
/// timer earlier than the wake-up its driver recorded at its last park, or
/// inserting any timer when none was pending then, unparks the driver, an
/// eventfd `write(2)` per insert. Without the anchor, every insert of the
/// run does that (the driver does not park within the run). netloop arms
/// into its wheel without a syscall either way.
async fn arm_anchor<S: Future<Output = ()>, Y: Future<Output = ()>>(
    workload: Workload,
    make: &impl Fn(Duration) -> S,
    yield_now: impl FnOnce() -> Y,
) -> Option<Pin<Box<S>>> {
    if !workload.warm {
        return None;
    }
    let mut anchor = Box::pin(make(workload.anchor_offset()));
    poll_fn(|cx| {
        assert!(anchor.as_mut().poll(cx).is_pending());
        Poll::Ready(())
    })
    .await;
    yield_now().await;
    Some(anchor)
}

/// insert+cancel, in `block_on`: creates `n` sleeps with deadlines
/// `make(offset)`, in scattered deadline order, arming each with a no-op
/// waker right after creating it; drops them (in creation order), then
/// drops the anchor and runs `reclaim`.
async fn insert_cancel<S: Future<Output = ()>, Y: Future<Output = ()>>(
    workload: Workload,
    n: u64,
    make: impl Fn(Duration) -> S,
    yield_now: impl FnOnce() -> Y,
    reclaim: impl FnOnce(),
) -> Phases {
    let scatter = Scatter::new(n);
    let anchor = arm_anchor(workload, &make, yield_now).await;
    let mut cx = Context::from_waker(Waker::noop());
    let start = Instant::now();
    let sleeps = create_and_arm(workload, n, &scatter, &make, &mut cx);
    let armed = Instant::now();
    drop(sleeps);
    let dropped = Instant::now();
    drop(anchor);
    reclaim();
    let reclaimed = Instant::now();
    [armed - start, dropped - armed, reclaimed - dropped]
}

/// Creates sleep `i` of `n` with deadline rank `scatter.deadline(i)` and
/// polls it once with `cx` (so that it is armed), for every `i` in turn.
fn create_and_arm<S: Future<Output = ()>>(
    workload: Workload,
    n: u64,
    scatter: &Scatter,
    make: &impl Fn(Duration) -> S,
    cx: &mut Context<'_>,
) -> Vec<Pin<Box<S>>> {
    let mut sleeps: Vec<Pin<Box<S>>> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut sleep = Box::pin(make(workload.offset(scatter.deadline(i), n)));
        assert!(sleep.as_mut().poll(cx).is_pending());
        sleeps.push(sleep);
    }
    sleeps
}

/// insert+fire, in a task on a paused clock: creates and arms `n` sleeps
/// as in [`insert_cancel`], with the task's waker; awaits them in deadline
/// order; drops them.
async fn insert_fire<S: Future<Output = ()>, Y: Future<Output = ()>>(
    workload: Workload,
    n: u64,
    make: impl Fn(Duration) -> S,
    yield_now: impl FnOnce() -> Y,
) -> Phases {
    let scatter = Scatter::new(n);
    let anchor = arm_anchor(workload, &make, yield_now).await;
    let start = Instant::now();
    let mut sleeps =
        poll_fn(|cx| Poll::Ready(create_and_arm(workload, n, &scatter, &make, cx))).await;
    let armed = Instant::now();
    for j in 0..n {
        sleeps[scatter.index(j)].as_mut().await;
    }
    let fired = Instant::now();
    drop(sleeps);
    let dropped = Instant::now();
    drop(anchor);
    [armed - start, fired - armed, dropped - fired]
}

/// netloop's deferred part of a cancel: what an idle loop does before it
/// sleeps (`Timers::next_deadline` sweeps holes and cancelled entries out
/// of the wheel). Checks that nothing is left.
fn netloop_reclaim() {
    netloop_reactor::time::timers::with_current(|timers| {
        let timers = timers.expect("runs on a netloop loop");
        assert_eq!(timers.next_deadline(), None);
        assert!(timers.is_empty());
    });
}

// ---------------------------------------------------------------------------
// The runtimes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NetloopCt,
    TokioCt,
}

impl Kind {
    const ALL: [Kind; 2] = [Kind::NetloopCt, Kind::TokioCt];

    fn name(self) -> &'static str {
        match self {
            Kind::NetloopCt => "nl-ct",
            Kind::TokioCt => "tokio-ct",
        }
    }
}

/// One runtime of each kind on real time, one on paused time.
enum Runtimes {
    Netloop {
        real: netloop::runtime::Runtime,
        paused: netloop::runtime::Runtime,
    },
    Tokio {
        real: tokio::runtime::Runtime,
        paused: tokio::runtime::Runtime,
    },
}

fn netloop_rt(paused: bool) -> netloop::runtime::Runtime {
    netloop::runtime::Builder::new_current_thread()
        .start_paused(paused)
        .build()
        .expect("netloop current-thread runtime")
}

/// I/O and time drivers on, as a tokio server runs them (netloop's poller is
/// always on).
fn tokio_rt(paused: bool) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(paused)
        .build()
        .expect("tokio current_thread runtime")
}

struct Bench {
    rt: Runtimes,
}

impl Bench {
    fn new(kind: Kind) -> Bench {
        let rt = match kind {
            Kind::NetloopCt => Runtimes::Netloop {
                real: netloop_rt(false),
                paused: netloop_rt(true),
            },
            Kind::TokioCt => Runtimes::Tokio {
                real: tokio_rt(false),
                paused: tokio_rt(true),
            },
        };
        Bench { rt }
    }

    fn measure(&mut self, workload: Workload, n: u64) -> Sample {
        let phases = match (&self.rt, workload.shape) {
            (Runtimes::Netloop { real, .. }, Shape::Cancel) => real.block_on(async {
                let base = netloop::time::Instant::now();
                let make = |offset| netloop::time::sleep_until(base + offset);
                insert_cancel(workload, n, make, netloop::task::yield_now, netloop_reclaim).await
            }),
            (Runtimes::Tokio { real, .. }, Shape::Cancel) => real.block_on(async {
                let base = tokio::time::Instant::now();
                let make = |offset| tokio::time::sleep_until(base + offset);
                insert_cancel(workload, n, make, tokio::task::yield_now, || {}).await
            }),
            (Runtimes::Netloop { paused, .. }, _) => {
                let task = paused.spawn(async move {
                    let base = netloop::time::Instant::now();
                    let make = |offset| netloop::time::sleep_until(base + offset);
                    insert_fire(workload, n, make, netloop::task::yield_now).await
                });
                paused.block_on(task).unwrap()
            }
            (Runtimes::Tokio { paused, .. }, _) => {
                let task = paused.spawn(async move {
                    let base = tokio::time::Instant::now();
                    let make = |offset| tokio::time::sleep_until(base + offset);
                    insert_fire(workload, n, make, tokio::task::yield_now).await
                });
                paused.block_on(task).unwrap()
            }
        };
        Sample {
            total: phases.iter().sum(),
            phases,
            faults: 0,
        }
    }
}

/// Bytes per armed, pending timer.
#[derive(Debug, Clone, Copy)]
struct Memory {
    n: u64,
    /// `size_of` the runtime's `Sleep`.
    sleep_size: usize,
    /// Counted with `n` armed sleeps (their `Vec` and boxes included).
    armed: Counted,
    /// Counted after dropping them (and reclaiming, on netloop).
    after: Counted,
}

impl Memory {
    /// Requested bytes the runtime allocated per timer, beyond the bench's
    /// `Vec` slot and the boxed `Sleep`.
    fn runtime_bytes(&self) -> f64 {
        let bench = self.n as f64 * (8 + self.sleep_size) as f64;
        (self.armed.bytes as f64 - bench) / self.n as f64
    }

    /// Allocations per timer, beyond the bench's box (and its one `Vec`).
    fn runtime_blocks(&self) -> f64 {
        (self.armed.blocks - 1 - self.n as i64) as f64 / self.n as f64
    }

    fn per_timer(&self, v: i64) -> f64 {
        v as f64 / self.n as f64
    }
}

/// Measures memory on a fresh runtime of `kind`: `n` sleeps armed as in
/// insert+cancel.
fn memory(kind: Kind, n: u64) -> Memory {
    fn measure<S: Future<Output = ()>>(
        n: u64,
        make: impl Fn(Duration) -> S,
        reclaim: impl FnOnce(),
    ) -> (Counted, Counted) {
        let workload = Workload::new(Shape::Cancel, false);
        let scatter = Scatter::new(n);
        let mut cx = Context::from_waker(Waker::noop());
        start_counting();
        let sleeps = create_and_arm(workload, n, &scatter, &make, &mut cx);
        let armed = counted();
        drop(sleeps);
        reclaim();
        (armed, stop_counting())
    }
    let (sleep_size, (armed, after)) = match kind {
        Kind::NetloopCt => {
            let rt = netloop_rt(false);
            let counts = rt.block_on(async {
                let base = netloop::time::Instant::now();
                measure(
                    n,
                    |offset| netloop::time::sleep_until(base + offset),
                    netloop_reclaim,
                )
            });
            (size_of::<netloop::time::Sleep>(), counts)
        }
        Kind::TokioCt => {
            let rt = tokio_rt(false);
            let counts = rt.block_on(async {
                let base = tokio::time::Instant::now();
                measure(n, |offset| tokio::time::sleep_until(base + offset), || {})
            });
            (size_of::<tokio::time::Sleep>(), counts)
        }
    };
    Memory {
        n,
        sleep_size,
        armed,
        after,
    }
}

// ---------------------------------------------------------------------------
// Reporting.

/// One measurement.
#[derive(Debug, Clone, Copy)]
struct Sample {
    total: Duration,
    phases: Phases,
    /// The process's minor page faults during the run.
    faults: u64,
}

/// The summary of one cell's runs.
#[derive(Debug, Clone, Copy)]
struct Summary {
    /// The median run (by total time).
    median: Sample,
    min: Duration,
    max: Duration,
    /// Mean minor page faults per run.
    faults: f64,
}

impl Summary {
    fn from_samples(mut samples: Vec<Sample>) -> Summary {
        samples.sort_by_key(|s| s.total);
        Summary {
            median: samples[samples.len() / 2],
            min: samples[0].total,
            max: samples[samples.len() - 1].total,
            faults: samples.iter().map(|s| s.faults as f64).sum::<f64>() / samples.len() as f64,
        }
    }
}

struct Row {
    workload: Workload,
    cells: Vec<(Kind, Summary)>,
}

impl Row {
    fn cell(&self, kind: Kind) -> Option<&Summary> {
        self.cells.iter().find(|(k, _)| *k == kind).map(|(_, c)| c)
    }

    /// tokio's median time over netloop's (above 1: netloop is faster).
    fn ratio(&self) -> Option<f64> {
        let netloop = self.cell(Kind::NetloopCt)?.median.total.as_secs_f64();
        let tokio = self.cell(Kind::TokioCt)?.median.total.as_secs_f64();
        Some(tokio / netloop)
    }
}

fn ns(d: Duration, n: u64) -> f64 {
    d.as_nanos() as f64 / n as f64
}

fn print_report(n: u64, rows: &[Row], memory: &[(Kind, Memory)]) {
    if !rows.is_empty() {
        println!();
        print!("{:<38}", "workload (ns per timer)");
        for kind in Kind::ALL {
            print!("{:>12}", kind.name());
        }
        println!("{:>12}", "nl/tokio");
        for row in rows {
            print!("{:<38}", row.workload.label());
            for kind in Kind::ALL {
                let cell = row
                    .cell(kind)
                    .map(|c| format!("{:.1}", ns(c.median.total, n)));
                print!("{:>12}", cell.unwrap_or_else(|| "-".to_owned()));
            }
            let ratio = row.ratio().map(|r| format!("{r:.2}x"));
            println!("{:>12}", ratio.unwrap_or_else(|| "-".to_owned()));
        }
        println!(
            "\nns per timer at the median run; nl/tokio is a speed ratio, tokio's time over \
             netloop's (above 1.00x: netloop is faster)."
        );

        println!(
            "\ndetails (ns per timer: median [min..max]; the median run's phases; minor page \
             faults per timer):"
        );
        for row in rows {
            println!("  {} — {n} timers per run", row.workload.label());
            for (kind, cell) in &row.cells {
                let phases: Vec<String> = row
                    .workload
                    .phases()
                    .iter()
                    .zip(cell.median.phases)
                    .map(|(name, d)| format!("{name} {:.1}", ns(d, n)))
                    .collect();
                println!(
                    "    {:<9} {:>7.1} [{:.1}..{:.1}]: {}; faults {:.4}",
                    kind.name(),
                    ns(cell.median.total, n),
                    ns(cell.min, n),
                    ns(cell.max, n),
                    phases.join(", "),
                    cell.faults / n as f64,
                );
            }
        }
    }

    if !memory.is_empty() {
        println!(
            "\nmemory per armed, pending timer ({n} timers, counting allocator; bytes per timer):"
        );
        print!("  {:<58}", "");
        for (kind, _) in memory {
            print!("{:>10}", kind.name());
        }
        println!();
        let line = |label: &str, value: &dyn Fn(&Memory) -> String| {
            print!("  {label:<58}");
            for (_, m) in memory {
                print!("{:>10}", value(m));
            }
            println!();
        };
        line("size_of::<Sleep>() (inline in a task's future)", &|m| {
            format!("{}", m.sleep_size)
        });
        line("allocated by the runtime, per timer", &|m| {
            format!("{:.1}", m.runtime_bytes())
        });
        line("timer total: Sleep + runtime allocations", &|m| {
            format!("{:.1}", m.sleep_size as f64 + m.runtime_bytes())
        });
        line("runtime allocations per timer (count)", &|m| {
            format!("{:.2}", m.runtime_blocks())
        });
        line(
            "measured total incl. bench Box<Sleep> + 8 B Vec slot",
            &|m| format!("{:.1}", m.per_timer(m.armed.bytes)),
        );
        line(
            "  the same as malloc footprint (usable size + 8 B header)",
            &|m| format!("{:.1}", m.per_timer(m.armed.footprint)),
        );
        line("still allocated after drop (+ netloop reclaim)", &|m| {
            format!("{:.1}", m.per_timer(m.after.bytes))
        });
    }

    println!("\ntargets:");
    for row in rows {
        if let Some(ratio) = row.ratio() {
            let verdict = if ratio >= 1.0 { "met" } else { "MISSED" };
            println!(
                "  {}: nl-ct / tokio-ct = {ratio:.2}x (target >= 1.0x) {verdict}",
                row.workload.label()
            );
        }
    }
}
