//! `JoinSet`: outputs in completion order, abort on drop, `shutdown`,
//! `join_all`, `try_join_next`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use netloop::runtime::Builder;
use netloop::task::{JoinSet, yield_now};

/// Counts drops of the value it guards.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn join_next_yields_every_output_once_then_none() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        for i in 0..100u32 {
            set.spawn(async move { i });
        }
        assert_eq!(set.len(), 100);
        let mut seen = Vec::new();
        while let Some(result) = set.join_next().await {
            seen.push(result.unwrap());
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    });
}

#[test]
fn outputs_come_in_completion_order() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async {
            for _ in 0..10 {
                yield_now().await;
            }
            "slow"
        });
        set.spawn(async { "fast" });
        assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
        assert_eq!(set.join_next().await.unwrap().unwrap(), "slow");
    });
}

#[test]
fn dropping_the_set_aborts_its_tasks_and_drops_their_futures() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..50 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        yield_now().await;
        drop(set);
        // The aborts land on the tasks' loops; wait for every future to go.
        while drops.load(SeqCst) < 50 {
            yield_now().await;
        }
    });
    assert_eq!(drops.load(SeqCst), 50);
}

#[test]
fn shutdown_aborts_and_waits_for_every_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    let drops = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let mut set = JoinSet::new();
        for _ in 0..10 {
            let guard = DropCount(drops.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
        }
        set.shutdown().await;
        assert!(set.is_empty());
        assert_eq!(
            drops.load(SeqCst),
            10,
            "every future is gone when shutdown returns"
        );
    });
}

#[test]
fn join_all_collects_and_try_join_next_does_not_wait() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(std::future::pending::<u8>());
        assert!(set.try_join_next().is_none(), "nothing has finished");
        set.abort_all();
        let mut set2 = JoinSet::new();
        for i in 1..=3u8 {
            set2.spawn(async move { i });
        }
        let mut all = set2.join_all().await;
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3]);
        let cancelled = set.join_next().await.unwrap().unwrap_err();
        assert!(cancelled.is_cancelled());
    });
}

#[test]
fn a_join_set_collects_and_extends_from_iterators() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let mut set: JoinSet<u32> = (0..4).map(|i| async move { i * 10 }).collect();
        set.extend((4..6).map(|i| async move { i * 10 }));
        assert_eq!(set.len(), 6);
        let mut outputs = set.join_all().await;
        outputs.sort_unstable();
        assert_eq!(outputs, [0, 10, 20, 30, 40, 50]);
    });
}

#[test]
fn try_join_next_with_id_names_the_finished_task() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut set = JoinSet::new();
        let id = set.spawn(async { 3 }).id();
        assert!(set.try_join_next_with_id().is_none(), "not run yet");
        netloop::task::yield_now().await;
        let (finished, out) = set.try_join_next_with_id().unwrap().unwrap();
        assert_eq!((finished, out), (id, 3));
        let blocking = set.spawn_blocking_on(|| 4, &netloop::runtime::Handle::current());
        let (finished, out) = set.join_next_with_id().await.unwrap().unwrap();
        assert_eq!((finished, out), (blocking.id(), 4));
    });
}
