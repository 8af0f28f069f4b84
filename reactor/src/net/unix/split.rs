//! `UnixStream`'s halves (tokio's `unix::{ReadHalf, WriteHalf}` from
//! `split`, `unix::{OwnedReadHalf, OwnedWriteHalf, ReuniteError}` from
//! `into_split`) and those two methods, expanded from `net/split.rs`'s
//! `stream_halves!`, which owns what a half does.
//!
//! This file knows only which stream and address type Unix's halves have.

use super::{SocketAddr, UnixStream};

crate::net::split::stream_halves!(UnixStream, SocketAddr);
