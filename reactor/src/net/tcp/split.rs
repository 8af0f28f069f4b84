//! `TcpStream`'s halves (tokio's `tcp::{ReadHalf, WriteHalf}` from
//! `split`, `tcp::{OwnedReadHalf, OwnedWriteHalf, ReuniteError}` from
//! `into_split`) and those two methods, expanded from `net/split.rs`'s
//! `stream_halves!`, which owns what a half does.
//!
//! This file knows only which stream and address type TCP's halves have.

use std::net::SocketAddr;

use super::TcpStream;

crate::net::split::stream_halves!(TcpStream, SocketAddr);
