//! A loop that stays busy without ever sleeping in `epoll_wait` yields its
//! CPU (`sched_yield`) once per busy slice (200 µs, longer while it finds
//! the CPU uncontended), so that other runnable
//! threads on the same CPU (another loop, a client) get it long before the
//! kernel's tick would preempt it; a loop that sleeps between bits of work
//! never does. Counted in `LoopStats::cpu_yields`; nothing here measures a
//! speed.

use std::time::{Duration, Instant};

use netloop::runtime::{Builder, Runtime};

fn cpu_yields(rt: &Runtime) -> u64 {
    rt.handle().loop_stats().iter().map(|s| s.cpu_yields).sum()
}

#[test]
fn a_loop_busy_for_many_slices_yields_its_cpu() {
    let rt = Builder::new_current_thread().build().unwrap();
    let before = cpu_yields(&rt);
    rt.block_on(async {
        // Always ready: the loop never sleeps for 50 ms (250 slices).
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(50) {
            netloop::task::yield_now().await;
        }
    });
    let yields = cpu_yields(&rt) - before;
    assert!(yields >= 1, "a loop busy for 50 ms never yielded its CPU");
}

#[test]
fn a_loop_that_sleeps_between_bits_of_work_never_yields() {
    let rt = Builder::new_current_thread().build().unwrap();
    let before = cpu_yields(&rt);
    rt.block_on(async {
        for _ in 0..20 {
            netloop::time::sleep(Duration::from_millis(2)).await;
        }
    });
    assert_eq!(cpu_yields(&rt) - before, 0);
}
