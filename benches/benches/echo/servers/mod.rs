//! The echo server kinds, each run in a child process (this binary
//! re-executed with `NETLOOP_BENCH_CHILD_KIND` naming it): the registry
//! [`KINDS`] and the child's entry point.
//!
//! Adding a kind is one function `fn(loops) -> io::Result<Started>` (bind
//! 127.0.0.1, any port; return the address and what must stay alive) and
//! one [`Kind`] entry in [`KINDS`]. This module knows nothing about the
//! load or the measurements.

mod netloop;
mod raw_epoll;
mod tokio;

use netloop_benches::child;

pub(crate) use netloop_benches::child::{Kind, Started};

/// Every handler's read buffer.
pub(crate) const BUF_SIZE: usize = 16 * 1024;

/// Every kind, in report order.
pub(crate) const KINDS: &[Kind] = &[
    Kind {
        name: "raw-epoll",
        about: "hand-written libc epoll, thread per loop, SO_REUSEPORT, level-triggered (the limit)",
        start: raw_epoll::start,
    },
    Kind {
        name: "nl-gnet",
        about: "netloop::net::serve_traffic: main reactor hands connections to loops, an event handler on each loop's buffer",
        start: netloop::start_gnet,
    },
    Kind {
        name: "nl-serve",
        about: "netloop::net::serve: main reactor accepts, hands connections to loops",
        start: netloop::start_serve,
    },
    Kind {
        name: "nl-reuseport",
        about: "netloop::net::serve_reuseport: SO_REUSEPORT listener per loop",
        start: netloop::start_reuseport,
    },
    Kind {
        name: "nl-spawn",
        about: "netloop multi-thread runtime, TcpListener::accept loop + netloop::spawn",
        start: netloop::start_spawn,
    },
    Kind {
        name: "tokio-mt",
        about: "tokio multi_thread, accept loop + tokio::spawn",
        start: tokio::start_mt,
    },
    Kind {
        name: "tokio-tpc",
        about: "tokio thread-per-core: current_thread runtime + SO_REUSEPORT listener per thread",
        start: tokio::start_tpc,
    },
];

/// The kind named `name`.
pub(crate) fn by_name(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The child process's whole life: serve `name` (see
/// [`child::serve_kind`]).
pub(crate) fn child_main(name: &str) -> ! {
    let kind = by_name(name).unwrap_or_else(|| panic!("unknown echo server kind {name:?}"));
    child::serve_kind(kind)
}
