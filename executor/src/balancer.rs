//! Load balancers: which loop a new task (or, once networking lands, a new
//! connection) goes to. gnet's three — round-robin, least connections,
//! source-address hash — behind one small trait.
//!
//! A balancer sees each loop's load through [`Loads`] and nothing else; it
//! knows nothing of tasks or sockets.

use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use crate::event_loop::LoopShared;

/// Picks a loop for new work.
pub trait Balancer: Send + Sync + fmt::Debug + 'static {
    /// The index (below `loads.len()`) of the loop that takes the new work.
    /// `source` is the peer address of a new connection, when there is one.
    fn pick(&self, loads: &Loads<'_>, source: Option<IpAddr>) -> usize;
}

/// The current load of a runtime's loops, as a balancer sees it.
#[derive(Debug)]
pub struct Loads<'a> {
    loops: &'a [Arc<LoopShared>],
}

impl<'a> Loads<'a> {
    pub(crate) fn new(loops: &'a [Arc<LoopShared>]) -> Loads<'a> {
        Loads { loops }
    }

    /// How many loops there are (at least one).
    pub fn len(&self) -> usize {
        self.loops.len()
    }

    /// Whether there are no loops (never true of a built runtime).
    pub fn is_empty(&self) -> bool {
        self.loops.is_empty()
    }

    /// Tasks given to loop `index` and not finished yet: running, waiting,
    /// or queued and not yet polled (so a burst of spawns is counted as it
    /// happens).
    pub fn tasks(&self, index: usize) -> usize {
        self.loops[index].tasks_assigned()
    }
}

/// Each new piece of work goes to the next loop in turn (gnet's
/// `RoundRobin`, the default).
#[derive(Debug, Default)]
pub struct RoundRobin {
    next: AtomicUsize,
}

impl RoundRobin {
    /// A round-robin balancer starting at loop 0.
    pub fn new() -> RoundRobin {
        RoundRobin::default()
    }
}

impl Balancer for RoundRobin {
    fn pick(&self, loads: &Loads<'_>, _source: Option<IpAddr>) -> usize {
        self.next.fetch_add(1, Relaxed) % loads.len()
    }
}

/// New work goes to the loop with the fewest live tasks (gnet's
/// `LeastConnections`; counts connections too once networking lands). Ties
/// go to the lowest index.
#[derive(Debug, Default)]
pub struct LeastConnections;

impl Balancer for LeastConnections {
    fn pick(&self, loads: &Loads<'_>, _source: Option<IpAddr>) -> usize {
        (0..loads.len())
            .min_by_key(|&i| loads.tasks(i))
            .unwrap_or(0)
    }
}

/// Work from one peer IP always goes to the same loop (gnet's
/// `SourceAddrHashing`, but hashing the IP alone: gnet hashes IP:port, which
/// does not keep a client's connections together). Work without a source
/// address is spread round-robin.
#[derive(Debug, Default)]
pub struct SourceAddrHash {
    fallback: RoundRobin,
}

impl SourceAddrHash {
    /// A source-address balancer.
    pub fn new() -> SourceAddrHash {
        SourceAddrHash::default()
    }
}

impl Balancer for SourceAddrHash {
    fn pick(&self, loads: &Loads<'_>, source: Option<IpAddr>) -> usize {
        let Some(ip) = source else {
            return self.fallback.pick(loads, None);
        };
        // A fixed-key hasher: the same IP maps to the same loop in every
        // runtime and every run, which makes the placement testable.
        let mut hasher =
            std::hash::BuildHasherDefault::<std::hash::DefaultHasher>::default().build_hasher();
        match ip {
            IpAddr::V4(v4) => hasher.write(&v4.octets()),
            IpAddr::V6(v6) => hasher.write(&v6.octets()),
        }
        (hasher.finish() % loads.len() as u64) as usize
    }
}
