//! Futures pinned to dedicated reactor threads: a runtime with four event
//! loops, one task spawned onto each, each reporting the thread it runs on;
//! then a burst of balanced spawns and the per-loop counters they leave.
//!
//! `cargo run --release --example loops`

use netloop::runtime::{Builder, Handle};

fn main() -> std::io::Result<()> {
    let rt = Builder::new_multi_thread()
        .worker_threads(4)
        .thread_name("loop")
        .build()?;
    rt.block_on(async {
        let handle = Handle::current();
        for i in 0..handle.loops() {
            let on = handle.spawn_on(i, async {
                std::thread::current().name().map(str::to_owned)
            });
            println!(
                "task pinned to loop {i} ran on thread {:?}",
                on.await.unwrap()
            );
        }
        let mut set = netloop::task::JoinSet::new();
        for n in 0..10_000u64 {
            set.spawn(async move { n });
        }
        let sum: u64 = set.join_all().await.into_iter().sum();
        println!("10,000 balanced tasks summed to {sum}");
    });
    for stats in rt.handle().loop_stats() {
        println!(
            "loop {}: {} tasks polled, {} scheduled from other threads, {} eventfd writes",
            stats.index, stats.tasks_polled, stats.remote_schedules, stats.eventfd_writes
        );
    }
    Ok(())
}
