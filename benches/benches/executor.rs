//! Executor benchmarks: netloop side by side with tokio and async-executor,
//! the same workloads on every runtime, in one invocation.
//!
//! `cargo bench -p netloop-benches --bench executor` (release) builds six
//! runtimes — netloop current-thread and multi-thread, tokio
//! `current_thread` and `multi_thread`, async-executor's `LocalExecutor` and
//! an `Executor` run by N threads — and measures on each:
//!
//! 1. **spawn+join**: a driver task spawns 100,000 trivial tasks (each
//!    returns an integer) and awaits every handle; tasks/s.
//! 2. **same-loop ping-pong**: two tasks on one thread alternately wake each
//!    other 200,000 times; round trips/s.
//! 3. **cross-loop ping-pong**: the same two tasks on two different
//!    loops/threads; round trips/s.
//!
//! The ping-pong is built on one single-slot channel ([`Slot`]: an atomic
//! flag plus a `Mutex<Option<Waker>>`) used unchanged on every runtime, so
//! that only the schedulers differ. Two more runtimes are measured beside
//! the table: netloop multi-thread with `spawn_at_home(true)` (spawn+join),
//! and tokio pinned across two threads as two `current_thread` runtimes
//! (cross-loop ping-pong), since tokio's `multi_thread` cannot pin.
//!
//! Every cell is the median of several runs after a warm-up, and the runs
//! of different runtimes are interleaved so that a noisy neighbour hurts
//! them alike. The output is one table (rows
//! workloads, columns runtimes) with netloop's ratios to each peer, the
//! spread of every cell, and where the ping-pong tasks actually ran.
//!
//! Environment knobs:
//! - `NETLOOP_BENCH_LOOPS`: loops/worker threads of the multi-thread
//!   runtimes (default 2);
//! - `NETLOOP_BENCH_RUNS`: measured runs per cell (default 7);
//! - `NETLOOP_BENCH_SCALE`: multiplies every iteration count (default 1;
//!   e.g. 0.05 for a run under valgrind);
//! - `NETLOOP_BENCH_ONLY`: comma-separated runtime names to run (`nl-ct`,
//!   `nl-mt`, `tokio-ct`, `tokio-mt`, `ae-local`, `ae-mt`, and the two
//!   measured beside the table: `nl-mt-home`, `tokio-2ct`);
//! - `NETLOOP_BENCH_WORKLOADS`: comma-separated workloads to run (`spawn`,
//!   `same`, `cross`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use async_executor::{Executor, LocalExecutor};
use futures_lite::future::block_on;
use netloop_benches::{Knobs, env_var, minor_faults};

/// Tasks spawned by one spawn+join run.
const SPAWN_TASKS: u64 = 100_000;
/// Round trips of one same-loop ping-pong run.
const SAME_ROUND_TRIPS: u64 = 200_000;
/// Round trips of one cross-loop ping-pong run (each one crosses threads
/// twice, so far fewer fit in the time budget).
const CROSS_ROUND_TRIPS: u64 = 20_000;
/// Every how many round trips a ping-pong task notes which thread it is on.
const PLACEMENT_EVERY: u64 = 512;
/// Pause between two measurements, so that the previous runtime's threads
/// have gone to sleep before the next one is timed.
const SETTLE: Duration = Duration::from_millis(5);

fn main() {
    let config = Config::from_env();
    println!(
        "netloop executor benchmarks: {} measured runs per cell (median shown), 1 warm-up; \
         multi-thread runtimes use {} loops/workers; {} CPUs available",
        config.knobs.runs,
        config.loops,
        thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    );
    let started = Instant::now();
    let mut runtimes: Vec<Bench> = Kind::ALL
        .iter()
        .filter(|kind| config.knobs.runtime_enabled(kind.name()))
        .map(|&kind| Bench::new(kind, config.loops))
        .collect();

    let mut rows = Vec::new();
    for workload in Workload::ALL {
        if !config.knobs.workload_enabled(workload.key()) {
            continue;
        }
        let n = config.knobs.scaled(workload.iterations(), 1);
        let mut cells: Vec<Option<Vec<Sample>>> = runtimes
            .iter()
            .map(|rt| rt.supports(workload).then(Vec::new))
            .collect();
        // Warm-up, then the measured runs, interleaved across runtimes.
        for run in 0..=config.knobs.runs {
            for (rt, cell) in runtimes.iter_mut().zip(&mut cells) {
                let Some(samples) = cell else { continue };
                let faults = minor_faults();
                let mut sample = rt.measure(workload, n);
                sample.faults = minor_faults().saturating_sub(faults);
                if run > 0 {
                    samples.push(sample);
                }
                thread::sleep(SETTLE);
            }
        }
        rows.push(Row {
            workload,
            n,
            cells: runtimes
                .iter()
                .zip(cells)
                .map(|(rt, samples)| (rt.kind, samples.map(Summary::from_samples)))
                .collect(),
        });
    }
    drop(runtimes);

    print_report(&rows, &config);
    println!(
        "\ntotal benchmark time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// Configuration.

/// What the environment asks for: the shared knobs, plus
/// `NETLOOP_BENCH_LOOPS` (loops / worker threads of the multi-thread cells).
struct Config {
    loops: usize,
    knobs: Knobs,
}

impl Config {
    fn from_env() -> Config {
        let loops: usize = env_var("NETLOOP_BENCH_LOOPS", 2);
        assert!(loops >= 1, "NETLOOP_BENCH_LOOPS must be at least 1");
        Config {
            loops,
            knobs: Knobs::from_env(7),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Spawn,
    SameLoop,
    CrossLoop,
}

impl Workload {
    const ALL: [Workload; 3] = [Workload::Spawn, Workload::SameLoop, Workload::CrossLoop];

    fn key(self) -> &'static str {
        match self {
            Workload::Spawn => "spawn",
            Workload::SameLoop => "same",
            Workload::CrossLoop => "cross",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Workload::Spawn => "spawn+join (tasks/s)",
            Workload::SameLoop => "same-loop ping-pong (rt/s)",
            Workload::CrossLoop => "cross-loop ping-pong (rt/s)",
        }
    }

    fn iterations(self) -> u64 {
        match self {
            Workload::Spawn => SPAWN_TASKS,
            Workload::SameLoop => SAME_ROUND_TRIPS,
            Workload::CrossLoop => CROSS_ROUND_TRIPS,
        }
    }
}

// ---------------------------------------------------------------------------
// The shared ping-pong primitive.

/// A single-slot wake-up channel: `send` fills the slot and wakes the
/// receiver, `recv` waits until the slot is full and empties it. One
/// sender, one receiver; the same code on every runtime.
#[derive(Debug, Default)]
struct Slot {
    full: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Slot {
    fn send(&self) {
        self.full.store(true, Ordering::Release);
        // The receiver registers under the lock and then re-checks `full`:
        // either it sees the flag, or this lock finds its waker.
        let waker = self.waker.lock().unwrap();
        if let Some(waker) = waker.as_ref() {
            waker.wake_by_ref();
        }
    }

    fn recv(&self) -> Recv<'_> {
        Recv(self)
    }
}

/// The future of [`Slot::recv`].
struct Recv<'a>(&'a Slot);

impl Future for Recv<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let slot = self.0;
        if slot.full.swap(false, Ordering::Acquire) {
            return Poll::Ready(());
        }
        {
            let mut registered = slot.waker.lock().unwrap();
            match registered.as_ref() {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => *registered = Some(cx.waker().clone()),
            }
        }
        if slot.full.swap(false, Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The two slots of one ping-pong: ping fills `to_pong`, pong fills
/// `to_ping`.
#[derive(Debug, Default)]
struct Pair {
    to_pong: Slot,
    to_ping: Slot,
}

/// A small per-thread number, to see where a task ran.
fn thread_tag() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    thread_local! {
        static TAG: Cell<u32> = const { Cell::new(0) };
    }
    TAG.with(|tag| {
        if tag.get() == 0 {
            tag.set(NEXT.fetch_add(1, Ordering::Relaxed));
        }
        tag.get()
    })
}

/// What the ping side of a ping-pong reports: its own timing of the `n`
/// round trips, and the threads it was on.
struct PingReport {
    elapsed: Duration,
    threads: Vec<u32>,
}

async fn ping(pair: Arc<Pair>, n: u64) -> PingReport {
    let mut threads = Vec::with_capacity((n / PLACEMENT_EVERY + 1) as usize);
    let start = Instant::now();
    for i in 0..n {
        pair.to_pong.send();
        pair.to_ping.recv().await;
        if i % PLACEMENT_EVERY == 0 {
            threads.push(thread_tag());
        }
    }
    PingReport {
        elapsed: start.elapsed(),
        threads,
    }
}

async fn pong(pair: Arc<Pair>, n: u64) -> Vec<u32> {
    let mut threads = Vec::with_capacity((n / PLACEMENT_EVERY + 1) as usize);
    for i in 0..n {
        pair.to_pong.recv().await;
        if i % PLACEMENT_EVERY == 0 {
            threads.push(thread_tag());
        }
        pair.to_ping.send();
    }
    threads
}

/// One ping-pong run as a [`Sample`]: ping's timing, and the share of
/// placement samples where ping and pong were on different threads.
fn ping_pong_sample(ping: PingReport, pong: &[u32]) -> Sample {
    let compared = ping.threads.len().min(pong.len()).max(1);
    let apart = ping
        .threads
        .iter()
        .zip(pong)
        .filter(|(a, b)| a != b)
        .count();
    Sample {
        elapsed: ping.elapsed,
        apart: Some(apart as f64 / compared as f64),
        faults: 0,
    }
}

/// The spawn+join driver: spawns `n` trivial tasks with `spawn` (which
/// returns a future of the task's output), awaits them all, checks the sum
/// and returns the time it took.
async fn spawn_join<H, S>(n: u64, spawn: S) -> Duration
where
    H: Future<Output = u64>,
    S: Fn(u64) -> H,
{
    let start = Instant::now();
    let handles: Vec<H> = (0..n).map(&spawn).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await;
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    elapsed
}

// ---------------------------------------------------------------------------
// The runtimes.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NetloopCt,
    NetloopMt,
    TokioCt,
    TokioMt,
    AeLocal,
    AeMt,
    /// Beside the table: netloop multi-thread with `spawn_at_home(true)`
    /// (spawn+join only).
    NetloopMtHome,
    /// Beside the table: two threads, each running a tokio `current_thread`
    /// runtime with one of the two tasks (cross-loop only).
    TokioTwoCt,
}

impl Kind {
    /// Every runtime, in the order they are measured.
    const ALL: [Kind; 8] = [
        Kind::NetloopCt,
        Kind::NetloopMt,
        Kind::TokioCt,
        Kind::TokioMt,
        Kind::AeLocal,
        Kind::AeMt,
        Kind::NetloopMtHome,
        Kind::TokioTwoCt,
    ];
    /// The table's columns.
    const TABLE: [Kind; 6] = [
        Kind::NetloopCt,
        Kind::NetloopMt,
        Kind::TokioCt,
        Kind::TokioMt,
        Kind::AeLocal,
        Kind::AeMt,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::NetloopCt => "nl-ct",
            Kind::NetloopMt => "nl-mt",
            Kind::TokioCt => "tokio-ct",
            Kind::TokioMt => "tokio-mt",
            Kind::AeLocal => "ae-local",
            Kind::AeMt => "ae-mt",
            Kind::NetloopMtHome => "nl-mt-home",
            Kind::TokioTwoCt => "tokio-2ct",
        }
    }

    fn is_multi_thread(self) -> bool {
        !matches!(self, Kind::NetloopCt | Kind::TokioCt | Kind::AeLocal)
    }
}

/// One measurement.
#[derive(Debug, Clone, Copy)]
struct Sample {
    elapsed: Duration,
    /// Ping-pong only: the share of placement samples with the two tasks on
    /// different threads.
    apart: Option<f64>,
    /// The process's minor page faults during the run.
    faults: u64,
}

/// A built runtime and what the benchmark needs to drive it.
enum Runtime {
    Netloop(netloop::runtime::Runtime),
    Tokio(tokio::runtime::Runtime),
    AeLocal(Rc<LocalExecutor<'static>>),
    AeMt(AeMt),
    /// Nothing kept between runs: each run starts its two threads.
    TokioTwoCt,
}

struct Bench {
    kind: Kind,
    loops: usize,
    rt: Runtime,
}

impl Bench {
    fn new(kind: Kind, loops: usize) -> Bench {
        let rt = match kind {
            Kind::NetloopCt => Runtime::Netloop(
                netloop::runtime::Builder::new_current_thread()
                    .build()
                    .expect("netloop current-thread runtime"),
            ),
            Kind::NetloopMt => Runtime::Netloop(
                netloop::runtime::Builder::new_multi_thread()
                    .worker_threads(loops)
                    .build()
                    .expect("netloop multi-thread runtime"),
            ),
            // Both tokio flavours with their I/O and time drivers on, as a
            // tokio server runs them (netloop's poller is always on).
            Kind::TokioCt => Runtime::Tokio(
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("tokio current_thread runtime"),
            ),
            Kind::TokioMt => Runtime::Tokio(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(loops)
                    .enable_all()
                    .build()
                    .expect("tokio multi_thread runtime"),
            ),
            Kind::AeLocal => Runtime::AeLocal(Rc::new(LocalExecutor::new())),
            Kind::AeMt => Runtime::AeMt(AeMt::new(loops)),
            Kind::NetloopMtHome => Runtime::Netloop(
                netloop::runtime::Builder::new_multi_thread()
                    .worker_threads(loops)
                    .spawn_at_home(true)
                    .build()
                    .expect("netloop multi-thread runtime"),
            ),
            Kind::TokioTwoCt => Runtime::TokioTwoCt,
        };
        Bench { kind, loops, rt }
    }

    fn supports(&self, workload: Workload) -> bool {
        match self.kind {
            Kind::NetloopMtHome => workload == Workload::Spawn,
            Kind::TokioTwoCt => workload == Workload::CrossLoop,
            kind => workload != Workload::CrossLoop || kind.is_multi_thread(),
        }
    }

    fn measure(&mut self, workload: Workload, n: u64) -> Sample {
        match workload {
            Workload::Spawn => Sample {
                elapsed: self.spawn_join(n),
                apart: None,
                faults: 0,
            },
            Workload::SameLoop => self.ping_pong(n, false),
            Workload::CrossLoop => self.ping_pong(n, true),
        }
    }

    fn spawn_join(&self, n: u64) -> Duration {
        match &self.rt {
            Runtime::Netloop(rt) => {
                let driver = spawn_join(n, |i| {
                    let task = netloop::spawn(async move { i });
                    async move { task.await.unwrap() }
                });
                // The driver is a task itself (on loop 0), so that spawning
                // happens on a loop thread, as in a server. `netloop::spawn`
                // asks the balancer (round-robin by default): on nl-mt half
                // of the tasks go to the other loop; nl-mt-home keeps them.
                let driver = rt.handle().spawn_on(0, driver);
                rt.block_on(driver).unwrap()
            }
            Runtime::Tokio(rt) => {
                let driver = spawn_join(n, |i| {
                    let task = tokio::spawn(async move { i });
                    async move { task.await.unwrap() }
                });
                let driver = rt.spawn(driver);
                rt.block_on(driver).unwrap()
            }
            Runtime::AeLocal(ex) => {
                let spawner = ex.clone();
                let driver = ex.spawn(spawn_join(n, move |i| spawner.spawn(async move { i })));
                block_on(ex.run(driver))
            }
            Runtime::AeMt(mt) => {
                let spawner = mt.ex.clone();
                let driver = mt
                    .ex
                    .spawn(spawn_join(n, move |i| spawner.spawn(async move { i })));
                block_on(driver)
            }
            Runtime::TokioTwoCt => unreachable!("tokio-2ct runs the cross-loop ping-pong only"),
        }
    }

    fn ping_pong(&self, n: u64, cross: bool) -> Sample {
        let pair = Arc::new(Pair::default());
        let (ping, pong) = (ping(pair.clone(), n), pong(pair, n));
        let (report, pong_threads) = match &self.rt {
            Runtime::Netloop(rt) => {
                let other = if cross { 1 % self.loops } else { 0 };
                let ping = rt.handle().spawn_on(0, ping);
                let pong = rt.handle().spawn_on(other, pong);
                rt.block_on(async { (ping.await.unwrap(), pong.await.unwrap()) })
            }
            // tokio cannot pin a task to a worker: both tasks are spawned
            // the same way in both workloads, and the placement samples
            // show where the scheduler actually put them.
            Runtime::Tokio(rt) => {
                let ping = rt.spawn(ping);
                let pong = rt.spawn(pong);
                rt.block_on(async { (ping.await.unwrap(), pong.await.unwrap()) })
            }
            Runtime::AeLocal(ex) => {
                let ping = ex.spawn(ping);
                let pong = ex.spawn(pong);
                block_on(ex.run(async { (ping.await, pong.await) }))
            }
            // Same-loop: both tasks on the shared executor, whose runners
            // may move them (the placement samples say where they ran).
            Runtime::AeMt(mt) if !cross => {
                let ping = mt.ex.spawn(ping);
                let pong = mt.ex.spawn(pong);
                block_on(async { (ping.await, pong.await) })
            }
            // Cross-loop: two threads, each running a LocalExecutor of its
            // own with one of the two tasks.
            Runtime::AeMt(_) => {
                let pong = thread::spawn(move || {
                    let ex = LocalExecutor::new();
                    block_on(ex.run(ex.spawn(pong)))
                });
                let ping = thread::spawn(move || {
                    let ex = LocalExecutor::new();
                    block_on(ex.run(ex.spawn(ping)))
                });
                (ping.join().unwrap(), pong.join().unwrap())
            }
            Runtime::TokioTwoCt => {
                let pong = on_tokio_thread(pong);
                let ping = on_tokio_thread(ping);
                (ping.join().unwrap(), pong.join().unwrap())
            }
        };
        ping_pong_sample(report, &pong_threads)
    }
}

/// async-executor's multi-thread setup: one `Executor` run by N threads
/// until the benchmark drops it.
struct AeMt {
    ex: Arc<Executor<'static>>,
    stops: Vec<Arc<Slot>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl AeMt {
    fn new(threads: usize) -> AeMt {
        let ex = Arc::new(Executor::new());
        let stops: Vec<Arc<Slot>> = (0..threads).map(|_| Arc::default()).collect();
        let threads = stops
            .iter()
            .enumerate()
            .map(|(i, stop)| {
                let (ex, stop) = (ex.clone(), stop.clone());
                thread::Builder::new()
                    .name(format!("ae-mt-{i}"))
                    .spawn(move || block_on(ex.run(stop.recv())))
                    .expect("async-executor runner thread")
            })
            .collect();
        AeMt { ex, stops, threads }
    }
}

impl Drop for AeMt {
    fn drop(&mut self) {
        for stop in &self.stops {
            stop.send();
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Runs `task` on a new thread, spawned on a tokio `current_thread` runtime
/// of its own (I/O and time enabled), and gives its output.
fn on_tokio_thread<F>(task: F) -> thread::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio current_thread runtime");
        rt.block_on(async { tokio::spawn(task).await.unwrap() })
    })
}

// ---------------------------------------------------------------------------
// Reporting.

/// The summary of one cell's runs.
#[derive(Debug, Clone, Copy)]
struct Summary {
    median: Duration,
    min: Duration,
    max: Duration,
    /// Mean share of ping-pong placement samples with the tasks apart.
    apart: Option<f64>,
    /// Mean minor page faults per run.
    faults: f64,
}

impl Summary {
    fn from_samples(mut samples: Vec<Sample>) -> Summary {
        samples.sort_by_key(|s| s.elapsed);
        let apart: Vec<f64> = samples.iter().filter_map(|s| s.apart).collect();
        Summary {
            median: samples[samples.len() / 2].elapsed,
            min: samples[0].elapsed,
            max: samples[samples.len() - 1].elapsed,
            apart: (!apart.is_empty()).then(|| apart.iter().sum::<f64>() / apart.len() as f64),
            faults: samples.iter().map(|s| s.faults as f64).sum::<f64>() / samples.len() as f64,
        }
    }

    /// Operations per second at the median.
    fn rate(&self, n: u64) -> f64 {
        n as f64 / self.median.as_secs_f64()
    }
}

struct Row {
    workload: Workload,
    n: u64,
    cells: Vec<(Kind, Option<Summary>)>,
}

impl Row {
    fn cell(&self, kind: Kind) -> Option<&Summary> {
        self.cells
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, c)| c.as_ref())
    }

    fn rate(&self, kind: Kind) -> Option<f64> {
        self.cell(kind).map(|c| c.rate(self.n))
    }

    /// netloop's rate over a peer's (above 1: netloop is faster).
    fn ratio(&self, netloop: Kind, peer: Kind) -> Option<f64> {
        Some(self.rate(netloop)? / self.rate(peer)?)
    }
}

fn fmt_rate(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} M", rate / 1e6)
    } else {
        format!("{:.1} k", rate / 1e3)
    }
}

fn fmt_ratio(ratio: f64) -> String {
    if ratio < 0.1 {
        format!("{ratio:.3}x")
    } else {
        format!("{ratio:.2}x")
    }
}

fn fmt_opt(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

fn print_report(rows: &[Row], config: &Config) {
    let loops = config.loops;
    println!();
    print!("{:<28}", "workload");
    for kind in Kind::TABLE {
        let header = if kind.is_multi_thread() {
            format!("{}({loops})", kind.name())
        } else {
            kind.name().to_owned()
        };
        print!("{header:>12}");
    }
    println!(
        "{:>10}{:>10}{:>10}{:>10}",
        "nl/tk-ct", "nl/tk-mt", "nl/ae-l", "nl/ae-mt"
    );
    for row in rows {
        print!("{:<28}", row.workload.label());
        for kind in Kind::TABLE {
            print!("{:>12}", fmt_opt(row.rate(kind).map(fmt_rate)));
        }
        for (netloop, peer) in [
            (Kind::NetloopCt, Kind::TokioCt),
            (Kind::NetloopMt, Kind::TokioMt),
            (Kind::NetloopCt, Kind::AeLocal),
            (Kind::NetloopMt, Kind::AeMt),
        ] {
            let ratio = row.ratio(netloop, peer).map(fmt_ratio);
            print!("{:>10}", fmt_opt(ratio));
        }
        println!();
    }
    println!(
        "\nrates are operations per second at the median run (M = 10^6, k = 10^3); \
         ratios are netloop's rate over the peer's (above 1.00x: netloop is faster).\n\
         cross-loop: nl-mt pins ping to loop 0 and pong to loop 1 (spawn_on); tokio-mt \
         cannot pin, so both tasks are spawned as in the same-loop row and the scheduler \
         decides; ae-mt runs two threads, each with its own LocalExecutor."
    );

    println!(
        "\ndetails (ns per operation: median [min..max]; minor page faults per operation; \
         apart = share of placement samples with ping and pong on different threads):"
    );
    for row in rows {
        println!("  {} — {} operations per run", row.workload.label(), row.n);
        for (kind, cell) in &row.cells {
            let Some(cell) = cell else { continue };
            let per_op = |d: Duration| d.as_nanos() as f64 / row.n as f64;
            let apart = cell
                .apart
                .map(|a| format!(", apart {:.0}%", a * 100.0))
                .unwrap_or_default();
            println!(
                "    {:<10} {:>9.1} [{:.1}..{:.1}], faults {:.4}{apart}",
                kind.name(),
                per_op(cell.median),
                per_op(cell.min),
                per_op(cell.max),
                cell.faults / row.n as f64,
            );
        }
    }
    println!(
        "\nbeside the table: nl-mt-home = nl-mt built with Builder::spawn_at_home(true), so \
         spawned tasks stay on the driver's loop instead of going round-robin; tokio-2ct = two \
         threads, each running a tokio current_thread runtime with one of the two tasks \
         (pinned across threads like nl-mt's cross-loop tasks)."
    );
    for row in rows {
        // (netloop, peer) pairs that involve a runtime beside the table.
        for (netloop, peer) in [
            (Kind::NetloopMtHome, Kind::TokioMt),
            (Kind::NetloopMt, Kind::TokioTwoCt),
        ] {
            let extra = if netloop == Kind::NetloopMtHome {
                netloop
            } else {
                peer
            };
            let Some(rate) = row.rate(extra) else {
                continue;
            };
            let ratio = row
                .ratio(netloop, peer)
                .map(|r| format!("; {}/{} = {}", netloop.name(), peer.name(), fmt_ratio(r)))
                .unwrap_or_default();
            println!(
                "  {}: {} {}/s{ratio}",
                row.workload.label(),
                extra.name(),
                fmt_rate(rate)
            );
        }
    }

    println!("\ntargets:");
    let target = |label: &str, row: Option<&Row>, netloop: Kind, peer: Kind, goal: f64| {
        if let Some(ratio) = row.and_then(|r| r.ratio(netloop, peer)) {
            let verdict = if ratio >= goal { "met" } else { "MISSED" };
            println!(
                "  {label}: {} / {} = {} (target >= {goal:.1}x) {verdict}",
                netloop.name(),
                peer.name(),
                fmt_ratio(ratio),
            );
        }
    };
    let find = |w: Workload| rows.iter().find(|r| r.workload == w);
    target(
        "spawn+join",
        find(Workload::Spawn),
        Kind::NetloopCt,
        Kind::TokioCt,
        1.2,
    );
    target(
        "same-loop ping-pong",
        find(Workload::SameLoop),
        Kind::NetloopCt,
        Kind::TokioCt,
        1.2,
    );
    target(
        "cross-loop ping-pong",
        find(Workload::CrossLoop),
        Kind::NetloopMt,
        Kind::TokioMt,
        1.0,
    );
}
