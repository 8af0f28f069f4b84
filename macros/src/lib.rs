//! `#[netloop::main]` and `#[netloop::test]`.
//!
//! Both attributes turn an `async fn` into an ordinary function that builds a
//! netloop runtime and blocks on the original body, exactly like tokio's
//! `#[tokio::main]` and `#[tokio::test]`. They are re-exported by the `netloop`
//! facade; use them as `#[netloop::main]` and `#[netloop::test]` rather than
//! through this crate. The expansion only names the facade's public paths
//! (`::netloop::runtime::Builder`), never its internals.
//!
//! # `#[netloop::main]`
//!
//! Marks the `async fn main` of a binary (or any other `async fn` that should
//! run on a runtime of its own, such as one called from a sync API). The
//! default flavor is `multi_thread`.
//!
//! # `#[netloop::test]`
//!
//! Marks an `async fn` test. It adds `#[test]` itself, so do not write
//! `#[test]` as well. The default flavor is `current_thread`, so that each test
//! gets a small, deterministic runtime. The return type is kept: a test may
//! return `Result<(), E>` and use `?`. Other attributes (`#[ignore]`,
//! `#[should_panic]`, docs, ...) are kept as written.
//!
//! # Arguments
//!
//! Both attributes take the same optional arguments, written
//! `#[netloop::main(name = value, ...)]`:
//!
//! | Argument | Value | Meaning |
//! |---|---|---|
//! | `flavor` | `"current_thread"` or `"multi_thread"` | Which runtime to build: `Builder::new_current_thread()` or `Builder::new_multi_thread()`. |
//! | `worker_threads` | an integer literal > 0 | `Builder::worker_threads(N)`. Only with the `multi_thread` flavor; without it the runtime's default applies. |
//! | `start_paused` | `true` or `false` | `Builder::start_paused(b)`: start with the clock paused. Only with the `current_thread` flavor. |
//! | `name` | a non-empty string | `Builder::name(..)`: the runtime's name, which `Handle::name()` answers. |
//! | `crate` | a path in a string, e.g. `"my_netloop"` | The path the expansion reaches netloop through instead of `::netloop`, for a renamed dependency or a re-export. |
//!
//! Misuse is a compile error pointing at the offending token: an unknown
//! argument, an argument given twice, a value of the wrong kind, an unknown
//! flavor, `worker_threads = 0`, an empty `name`, `worker_threads` with the `current_thread`
//! flavor, `start_paused` with the `multi_thread` flavor, a function without
//! `async`, `fn main` with parameters, a test with parameters, and a test that
//! already carries `#[test]`. Even then the function itself is still emitted,
//! so editors keep completing and resolving it.
//!
//! # Expansion
//!
//! ```text
//! #[netloop::main(flavor = "multi_thread", worker_threads = 2)]
//! async fn main() {
//!     println!("hello");
//! }
//! ```
//!
//! becomes, give or take hygiene and lint `allow`s:
//!
//! ```text
//! fn main() {
//!     let body = async {
//!         println!("hello");
//!     };
//!     return ::netloop::runtime::Builder::new_multi_thread()
//!         .worker_threads(2)
//!         .enable_all()
//!         .build()
//!         .expect("Failed building the Runtime")
//!         .block_on(body);
//! }
//! ```
//!
//! `#[netloop::test]` additionally puts `#[::core::prelude::v1::test]` on the
//! function and passes the body to `block_on` as a pinned
//! `&mut dyn Future<Output = ReturnType>`, so all tests share one `block_on`
//! instance.

mod entry;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

// The examples below are `ignore` because netloop's runtime
// (`netloop::runtime::Builder`) is still being written; once it lands (and
// this crate gains `netloop` as a dev-dependency) they become real doctests.

/// Runs an `async fn` on a netloop runtime: marks `async fn main`.
///
/// The function loses its `async` and instead builds a runtime with
/// `netloop::runtime::Builder` (the `multi_thread` flavor unless `flavor` says
/// otherwise), then blocks on the original body and returns its value. See the
/// [crate documentation](crate) for the arguments.
///
/// # Examples
///
/// ```ignore
/// #[netloop::main]
/// async fn main() {
///     println!("Hello from netloop");
/// }
/// ```
///
/// With arguments, and a `Result` return type:
///
/// ```ignore
/// #[netloop::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() -> std::io::Result<()> {
///     let listener = netloop::net::TcpListener::bind("127.0.0.1:0").await?;
///     println!("listening on {}", listener.local_addr()?);
///     Ok(())
/// }
/// ```
///
/// A single-threaded runtime:
///
/// ```ignore
/// #[netloop::main(flavor = "current_thread")]
/// async fn main() {
///     println!("Hello from one thread");
/// }
/// ```
///
/// Through a renamed dependency (`my_netloop = { package = "netloop", .. }`):
///
/// ```ignore
/// #[my_netloop::main(crate = "my_netloop")]
/// async fn main() {}
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args.into(), item.into(), entry::Kind::Main).into()
}

/// Runs an `async fn` test on a netloop runtime.
///
/// Adds `#[test]` (do not add it yourself) and turns the function into a sync
/// test that builds a runtime with `netloop::runtime::Builder` (the
/// `current_thread` flavor unless `flavor` says otherwise) and blocks on the
/// body. The return type is kept, so a test may return a `Result`. See the
/// [crate documentation](crate) for the arguments.
///
/// # Examples
///
/// ```ignore
/// #[netloop::test]
/// async fn adds() {
///     let sum = async { 1 + 1 }.await;
///     assert_eq!(sum, 2);
/// }
/// ```
///
/// On the multi-thread runtime, returning a `Result`:
///
/// ```ignore
/// #[netloop::test(flavor = "multi_thread", worker_threads = 2)]
/// async fn spawns() -> Result<(), netloop::task::JoinError> {
///     let answer = netloop::spawn(async { 42 }).await?;
///     assert_eq!(answer, 42);
///     Ok(())
/// }
/// ```
///
/// With the clock paused, so timers complete without waiting:
///
/// ```ignore
/// #[netloop::test(start_paused = true)]
/// async fn sleeps_instantly() {
///     netloop::time::sleep(std::time::Duration::from_secs(60)).await;
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(args.into(), item.into(), entry::Kind::Test).into()
}
