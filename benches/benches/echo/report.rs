//! The report's frame: the header (command, knobs, machine, placement,
//! the server kinds) and the baselines every ratio is taken against. The
//! passes print their own tables through `netloop_benches::table`.
//!
//! It knows the configuration and the kind list, not any measurement.

use crate::config::Config;
use crate::servers::Kind;

/// The columns every ratio row divides by: the limit, and the strongest
/// peer.
pub(crate) const BASELINES: &[&str] = &["raw-epoll", "tokio-tpc"];

/// Prints the header.
pub(crate) fn header(config: &Config, kinds: &[&Kind]) {
    println!(
        "# netloop echo benchmark{}",
        if config.quick {
            " (quick smoke run)"
        } else {
            ""
        }
    );
    println!();
    netloop_benches::print_invocation("echo", "");
    let cpus = |list: &[usize]| netloop_benches::cpus::format_list(list);
    println!(
        "machine: {} CPUs available; server pinned to CPUs {} with {} loop(s)/thread(s); load \
         generator: {} thread(s) on CPUs {} (raw epoll, not netloop)",
        netloop_benches::cpus::available(),
        cpus(&config.server_cpus),
        config.loops,
        config.client_threads,
        cpus(&config.client_cpus),
    );
    println!(
        "load: {} connections, {} B requests, think {} µs, {} per measured run ({} warm-up), {} \
         measured runs per server, servers interleaved round-robin",
        config.conns,
        config.size,
        config.think.as_micros(),
        config.stop.describe(),
        config.warmup.describe(),
        config.knobs.runs,
    );
    println!("servers (each a child process, same handler: 16 KiB read, write_all, TCP_NODELAY):");
    for kind in kinds {
        println!("- `{}`: {}", kind.name, kind.about);
    }
}
