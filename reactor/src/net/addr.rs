//! `ToSocketAddrs` (tokio's: addresses, `(host, port)` pairs and
//! `"host:port"` strings) and [`lookup_host`].
//!
//! Anything that parses as an address is used as is; a host name is
//! resolved with the system resolver (`getaddrinfo`, through std) on the
//! runtime's blocking pool, so a slow DNS answer never stalls a loop. Off
//! any runtime it is resolved in place.
//!
//! This file knows addresses and where a blocking lookup runs, not sockets.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::context;

/// What can be turned into socket addresses: tokio's `net::ToSocketAddrs`,
/// implemented for the same types. Sealed.
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use std::net::SocketAddr;

    /// How a `ToSocketAddrs` value resolves.
    #[derive(Debug)]
    pub enum Resolve {
        /// Already addresses (or an error).
        Done(std::io::Result<Vec<SocketAddr>>),
        /// A `host:port` for the system resolver.
        Lookup(String),
    }

    /// The hidden half of `ToSocketAddrs`.
    pub trait ToSocketAddrsPriv {
        /// Resolves without blocking, or says what to look up.
        fn to_resolve(&self) -> Resolve;
    }
}

use sealed::{Resolve, ToSocketAddrsPriv};

/// Resolves `addr` to its socket addresses.
pub(crate) async fn resolve<A: ToSocketAddrs + ?Sized>(addr: &A) -> io::Result<Vec<SocketAddr>> {
    match addr.to_resolve() {
        Resolve::Done(result) => result,
        Resolve::Lookup(host) => lookup_blocking(host).await,
    }
}

async fn lookup_blocking(host: String) -> io::Result<Vec<SocketAddr>> {
    let lookup = move || std::net::ToSocketAddrs::to_socket_addrs(&host).map(Iterator::collect);
    let Some(ctx) = context::current() else {
        return lookup();
    };
    let (tx, rx) = futures::channel::oneshot::channel();
    ctx.spawn_blocking(Box::new(move || {
        let _ = tx.send(lookup());
    }));
    rx.await.unwrap_or_else(|_| {
        Err(io::Error::other(
            "the runtime shut down during a host lookup",
        ))
    })
}

/// Resolves `host` (tokio's `net::lookup_host`): an address, a
/// `(host, port)` pair or a `"host:port"` string.
///
/// # Errors
///
/// The resolver's error, or `InvalidInput` for a string that is neither an
/// address nor `host:port`.
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    resolve(&host).await.map(Vec::into_iter)
}

/// Runs `f` on each address of `addr` until one succeeds; else the last
/// error (or `InvalidInput` when there was no address).
pub(crate) async fn each_addr<A, T, F, Fut>(addr: &A, mut f: F) -> io::Result<T>
where
    A: ToSocketAddrs + ?Sized,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(addr).await? {
        match f(addr).await {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        )
    }))
}

fn done(addrs: impl IntoIterator<Item = SocketAddr>) -> Resolve {
    Resolve::Done(Ok(addrs.into_iter().collect()))
}

macro_rules! addr_like {
    ($($ty:ty => |$this:ident| $to:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl ToSocketAddrsPriv for $ty {
            fn to_resolve(&self) -> Resolve {
                let $this = self;
                done([$to])
            }
        }
    )*};
}

addr_like! {
    SocketAddr => |a| *a;
    SocketAddrV4 => |a| SocketAddr::V4(*a);
    SocketAddrV6 => |a| SocketAddr::V6(*a);
    (IpAddr, u16) => |a| SocketAddr::new(a.0, a.1);
    (Ipv4Addr, u16) => |a| SocketAddr::new(IpAddr::V4(a.0), a.1);
    (Ipv6Addr, u16) => |a| SocketAddr::new(IpAddr::V6(a.0), a.1);
}

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn to_resolve(&self) -> Resolve {
        done(self.iter().copied())
    }
}

impl<const N: usize> ToSocketAddrs for [SocketAddr; N] {}
impl<const N: usize> ToSocketAddrsPriv for [SocketAddr; N] {
    fn to_resolve(&self) -> Resolve {
        done(self.iter().copied())
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn to_resolve(&self) -> Resolve {
        match self.parse::<SocketAddr>() {
            Ok(addr) => done([addr]),
            Err(_) => Resolve::Lookup(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn to_resolve(&self) -> Resolve {
        self.as_str().to_resolve()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn to_resolve(&self) -> Resolve {
        let (host, port) = *self;
        if let Ok(ip) = host.parse::<IpAddr>() {
            return done([SocketAddr::new(ip, port)]);
        }
        Resolve::Lookup(format!("{host}:{port}"))
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn to_resolve(&self) -> Resolve {
        (self.0.as_str(), self.1).to_resolve()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrsPriv + ?Sized> ToSocketAddrsPriv for &T {
    fn to_resolve(&self) -> Resolve {
        (**self).to_resolve()
    }
}
