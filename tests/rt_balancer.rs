//! Balancers: which loop `spawn` puts a task on. `RoundRobin` (the
//! default) spreads tasks evenly, `LeastConnections` picks the loop with the
//! fewest live tasks, `SourceAddrHash` keeps one peer IP on one loop, a
//! custom `Balancer` is obeyed, and `spawn_at_home(true)` keeps spawns made
//! on a loop on that loop.
//!
//! `Loads` has no public constructor, so `SourceAddrHash::pick` is reached
//! through a wrapping balancer that hands it a chosen source address.

#[macro_use]
mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use netloop::runtime::{
    Balancer, Builder, Handle, LeastConnections, Loads, RoundRobin, Runtime, SourceAddrHash,
};
use netloop::task::JoinHandle;

use support::{Drops, alive_per_loop, pending_with, polls_per_loop, wait_until, watchdog};

/// The loop the calling task runs on.
fn here() -> usize {
    Handle::current()
        .current_loop()
        .expect("a task runs on a loop")
}

/// A 4-loop runtime with `balancer`.
fn four_loops(balancer: impl Balancer) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(4)
        .balancer(balancer)
        .build()
        .unwrap()
}

/// How many of `loops` are each index below `n`.
fn histogram(loops: &[usize], n: usize) -> Vec<usize> {
    let mut counts = vec![0; n];
    for &l in loops {
        counts[l] += 1;
    }
    counts
}

/// Spawns `n` tasks with `netloop::spawn` from the calling context and
/// collects the loop each ran on.
async fn spawn_and_locate(n: usize) -> Vec<usize> {
    let handles: Vec<JoinHandle<usize>> =
        (0..n).map(|_| netloop::spawn(async { here() })).collect();
    let mut loops = Vec::with_capacity(n);
    for h in handles {
        loops.push(h.await.unwrap());
    }
    loops
}

#[track_caller]
fn assert_even(counts: &[usize], each: usize) {
    let slack = each / 10;
    for (i, &c) in counts.iter().enumerate() {
        assert!(
            c.abs_diff(each) <= slack,
            "loop {i} got {c} tasks, not {each} ± {slack}: {counts:?}"
        );
    }
}

#[test]
fn round_robin_spreads_a_thousand_tasks_evenly_over_four_loops() {
    watchdog(|| {
        for rt in [
            four_loops(RoundRobin::new()),
            // The default balancer.
            Builder::new_multi_thread()
                .worker_threads(4)
                .build()
                .unwrap(),
        ] {
            let before = polls_per_loop(rt.handle());
            let loops = rt.block_on(spawn_and_locate(1000));
            let counts = histogram(&loops, 4);
            assert_even(&counts, 250);
            // Each loop counts its polls after a batch, which may end just
            // after `block_on` saw the last task finish: wait for them.
            wait_until("each loop to count its polls", || {
                let after = polls_per_loop(rt.handle());
                (0..4).all(|i| after[i] - before[i] >= counts[i] as u64)
            });
        }
    });
}

#[test]
fn round_robin_also_spreads_spawns_made_on_a_loop() {
    watchdog(|| {
        let rt = four_loops(RoundRobin::new());
        let loops = rt
            .block_on(rt.handle().spawn_on(0, spawn_and_locate(400)))
            .unwrap();
        assert_even(&histogram(&loops, 4), 100);
    });
}

#[test]
fn spawn_at_home_keeps_spawns_made_on_a_loop_on_that_loop() {
    watchdog(|| {
        let rt = Builder::new_multi_thread()
            .worker_threads(4)
            .spawn_at_home(true)
            .build()
            .unwrap();
        for home in 0..4 {
            let loops = rt
                .block_on(rt.handle().spawn_on(home, spawn_and_locate(100)))
                .unwrap();
            assert!(
                loops.iter().all(|&l| l == home),
                "from loop {home}: {loops:?}"
            );
        }
        // Spawns made off the loops still go through the balancer.
        let loops = rt.block_on(spawn_and_locate(400));
        assert_even(&histogram(&loops, 4), 100);
    });
}

#[test]
fn least_connections_sends_new_work_to_the_loop_with_the_fewest_live_tasks() {
    watchdog(|| {
        let rt = four_loops(LeastConnections);
        let drops = Drops::new();
        let mut keep = Vec::new();
        for (index, load) in [3, 1, 2, 4].into_iter().enumerate() {
            for _ in 0..load {
                keep.push(
                    rt.handle()
                        .spawn_on(index, pending_with(drops.guard(index))),
                );
            }
        }
        let settle = |expected: [usize; 4]| {
            wait_until(&format!("live tasks {expected:?}"), || {
                alive_per_loop(rt.handle()) == expected
            });
        };
        settle([3, 1, 2, 4]);

        // A pending task that reports the loop it landed on.
        let place = |keep: &mut Vec<JoinHandle<()>>| {
            let (tx, rx) = std::sync::mpsc::channel();
            let guard = drops.guard(usize::MAX);
            keep.push(rt.spawn(async move {
                tx.send(here()).unwrap();
                pending_with(guard).await;
            }));
            rx.recv().unwrap()
        };
        assert_eq!(place(&mut keep), 1, "loop 1 had the fewest tasks");
        settle([3, 2, 2, 4]);
        assert_eq!(place(&mut keep), 1, "a tie goes to the lowest index");
        settle([3, 3, 2, 4]);
        assert_eq!(place(&mut keep), 2);
        settle([3, 3, 3, 4]);

        // Emptying loop 3 (its four tasks are keep[6..10]) makes it the
        // least loaded.
        for h in &keep[6..10] {
            h.abort();
        }
        settle([3, 3, 3, 0]);
        assert_eq!(
            place(&mut keep),
            3,
            "a loop whose tasks finished is least loaded"
        );
    });
}

#[test]
fn least_connections_spreads_a_burst_of_spawns() {
    watchdog(|| {
        let rt = four_loops(LeastConnections);
        let drops = Drops::new();
        // An accept loop's burst: 40 long-lived tasks spawned back to back.
        let keep: Vec<_> = (0..40)
            .map(|i| rt.spawn(pending_with(drops.guard(i))))
            .collect();
        wait_until("the burst to be polled", || {
            alive_per_loop(rt.handle()).iter().sum::<usize>() == 40
        });
        let alive = alive_per_loop(rt.handle());
        assert!(
            alive.iter().all(|&n| n >= 5),
            "40 spawns onto 4 idle loops ended up as {alive:?}"
        );
        drop(keep);
    });
}

/// Hands `SourceAddrHash` the source address the test chose (`spawn` has
/// none to give).
#[derive(Debug)]
struct WithSource {
    inner: SourceAddrHash,
    source: Arc<Mutex<Option<IpAddr>>>,
}

impl Balancer for WithSource {
    fn pick(&self, loads: &Loads<'_>, _source: Option<IpAddr>) -> usize {
        self.inner.pick(loads, *self.source.lock().unwrap())
    }
}

/// A 4-loop runtime whose spawns look as if they came from the address in
/// the returned cell.
fn source_hash_runtime() -> (Runtime, Arc<Mutex<Option<IpAddr>>>) {
    let source = Arc::new(Mutex::new(None));
    let rt = four_loops(WithSource {
        inner: SourceAddrHash::new(),
        source: source.clone(),
    });
    (rt, source)
}

/// The loops that `n` spawns from `ip` land on.
fn loops_for(rt: &Runtime, source: &Mutex<Option<IpAddr>>, ip: IpAddr, n: usize) -> Vec<usize> {
    *source.lock().unwrap() = Some(ip);
    let handles: Vec<_> = (0..n).map(|_| rt.spawn(async { here() })).collect();
    handles
        .into_iter()
        .map(|h| rt.block_on(h).unwrap())
        .collect()
}

#[test]
fn source_addr_hash_puts_every_task_from_one_ip_on_one_loop() {
    watchdog(|| {
        let (rt, source) = source_hash_runtime();
        let (other, other_source) = source_hash_runtime();
        let mut used = [false; 4];
        for i in 0..64u8 {
            let ip = if i % 2 == 0 {
                IpAddr::V4(Ipv4Addr::new(10, 0, i, 1))
            } else {
                IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, u16::from(i)))
            };
            let loops = loops_for(&rt, &source, ip, 8);
            assert!(
                loops.iter().all(|&l| l == loops[0]),
                "{ip} spread over {loops:?}"
            );
            used[loops[0]] = true;
            // The hash is keyed the same in every runtime.
            assert_eq!(loops_for(&other, &other_source, ip, 1)[0], loops[0], "{ip}");
        }
        assert_eq!(used, [true; 4], "64 addresses should reach every loop");
    });
}

#[test]
fn source_addr_hash_without_a_source_goes_round_robin() {
    watchdog(|| {
        let (rt, _source) = source_hash_runtime();
        let loops: Vec<_> = (0..8)
            .map(|_| rt.block_on(rt.spawn(async { here() })).unwrap())
            .collect();
        assert_eq!(loops, [0, 1, 2, 3, 0, 1, 2, 3]);
    });
}

/// Always picks the last loop, and records what it was shown.
#[derive(Debug, Default)]
struct LastLoop {
    seen: Mutex<Vec<(usize, bool, Vec<usize>)>>,
}

impl Balancer for LastLoop {
    fn pick(&self, loads: &Loads<'_>, source: Option<IpAddr>) -> usize {
        let tasks = (0..loads.len()).map(|i| loads.tasks(i)).collect();
        self.seen
            .lock()
            .unwrap()
            .push((loads.len(), loads.is_empty() || source.is_some(), tasks));
        loads.len() - 1
    }
}

#[test]
fn a_custom_balancer_is_asked_for_every_spawn_and_obeyed() {
    watchdog(|| {
        let balancer = Arc::new(LastLoop::default());
        /// Shares the balancer with the test.
        #[derive(Debug)]
        struct Shared(Arc<LastLoop>);
        impl Balancer for Shared {
            fn pick(&self, loads: &Loads<'_>, source: Option<IpAddr>) -> usize {
                self.0.pick(loads, source)
            }
        }
        let rt = four_loops(Shared(balancer.clone()));
        let drops = Drops::new();
        let parked = rt.handle().spawn_on(1, pending_with(drops.guard(1)));
        wait_until("the parked task to be polled", || {
            alive_per_loop(rt.handle())[1] == 1
        });
        let loops = rt.block_on(spawn_and_locate(20));
        assert!(loops.iter().all(|&l| l == 3), "{loops:?}");
        let seen = balancer.seen.lock().unwrap();
        assert_eq!(seen.len(), 20, "spawn_on must not ask the balancer");
        for (len, empty_or_sourced, tasks) in seen.iter() {
            assert_eq!(*len, 4);
            assert!(!empty_or_sourced, "no source address for a plain spawn");
            assert_eq!(tasks[1], 1, "the parked task shows in the loads: {tasks:?}");
        }
        drop(parked);
    });
}
