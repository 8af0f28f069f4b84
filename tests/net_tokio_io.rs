//! The `tokio` feature: netloop's streams implement
//! `tokio::io::{AsyncRead, AsyncWrite}`, so tokio's io extension traits,
//! `tokio::io::copy` and tokio-util's codecs work on them unchanged; and
//! the methods whose tokio signatures take a `bytes::BufMut`
//! (`try_read_buf`, `recv_buf`, `recv_buf_from`, `try_recv_buf`,
//! `try_recv_buf_from`) fill its spare capacity.
//!
//! Run with `cargo test --features tokio --test net_tokio_io` (CI does).
#![cfg(feature = "tokio")]

mod support;

use futures::{SinkExt, StreamExt};
use netloop::net::{TcpListener, TcpStream};
use support::FdCheck;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Framed, LinesCodec};

#[netloop::test]
async fn tokio_io_copy_echoes_through_split_halves() {
    let fds = FdCheck::start();
    // Everything the test opens is dropped before the count.
    async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = netloop::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let (mut reader, mut writer) = stream.split();
            let copied = tokio::io::copy(&mut reader, &mut writer).await.unwrap();
            writer.shutdown().await.unwrap();
            copied
        });
        let mut client = TcpStream::connect(addr).await.unwrap();
        let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (mut reader, mut writer) = client.split();
        let write = async {
            writer.write_all(&payload).await.unwrap();
            writer.shutdown().await.unwrap();
        };
        let mut echoed = Vec::new();
        let read = reader.read_to_end(&mut echoed);
        let ((), read) = futures::join!(write, read);
        assert_eq!(read.unwrap(), payload.len());
        assert_eq!(echoed, payload);
        assert_eq!(server.await.unwrap(), payload.len() as u64);
    }
    .await;
    fds.finish().await;
}

#[netloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_util_lines_codec_frames_a_conversation() {
    let fds = FdCheck::start();
    // Everything the test opens is dropped before the count.
    async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = netloop::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut lines = Framed::new(stream, LinesCodec::new());
            while let Some(line) = lines.next().await {
                let line = line.unwrap();
                lines.send(line.to_uppercase()).await.unwrap();
            }
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut lines = Framed::new(stream, LinesCodec::new());
        for word in ["netloop", "speaks", "tokio"] {
            lines.send(word).await.unwrap();
            assert_eq!(lines.next().await.unwrap().unwrap(), word.to_uppercase());
        }
        drop(lines);
        server.await.unwrap();
    }
    .await;
    fds.finish().await;
}

#[netloop::test]
async fn owned_halves_work_with_tokio_traits_in_separate_tasks() {
    let fds = FdCheck::start();
    // Everything the test opens is dropped before the count.
    async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = netloop::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut reply = [0u8; 4];
            stream.read_exact(&mut reply).await.unwrap();
            reply
        });
        let (stream, _) = listener.accept().await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let mut buf = [0u8; 4];
        reader.read_exact(&mut buf).await.unwrap();
        let writing = netloop::spawn(async move {
            writer.write_all(b"pong").await.unwrap();
            writer
        });
        let writer = writing.await.unwrap();
        assert_eq!(&client.await.unwrap(), b"pong");
        assert_eq!(&buf, b"ping");
        reader.reunite(writer).unwrap();
    }
    .await;
    fds.finish().await;
}

#[netloop::test]
async fn datagram_poll_methods_take_tokios_read_buf() {
    let fds = FdCheck::start();
    // Everything the test opens is dropped before the count.
    async {
        use netloop::net::{UdpSocket, UnixDatagram};
        use std::future::poll_fn;
        use tokio::io::ReadBuf;

        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        b.send(b"one").await.unwrap();
        b.send(b"two").await.unwrap();
        let mut storage = [0u8; 16];
        let mut buf = ReadBuf::new(&mut storage);
        let from = poll_fn(|cx| a.poll_peek_from(cx, &mut buf)).await.unwrap();
        assert_eq!((buf.filled(), from), (&b"one"[..], b.local_addr().unwrap()));
        buf.clear();
        let from = poll_fn(|cx| a.poll_recv_from(cx, &mut buf)).await.unwrap();
        assert_eq!((buf.filled(), from), (&b"one"[..], b.local_addr().unwrap()));
        a.connect(b.local_addr().unwrap()).await.unwrap();
        buf.clear();
        poll_fn(|cx| a.poll_recv(cx, &mut buf)).await.unwrap();
        assert_eq!(buf.filled(), b"two");

        let (x, y) = UnixDatagram::pair().unwrap();
        x.send(b"unix").await.unwrap();
        buf.clear();
        poll_fn(|cx| y.poll_recv(cx, &mut buf)).await.unwrap();
        assert_eq!(buf.filled(), b"unix");
    }
    .await;
    fds.finish().await;
}

/// tokio's `try_read_buf` on both stream types and their halves, into a
/// `Vec<u8>` and a `BytesMut` whose spare capacity is uninitialised: the
/// buffer grows by exactly what was read, what it held before is kept,
/// `WouldBlock` once the socket is drained leaves it untouched, and `Ok(0)`
/// says end of stream.
#[netloop::test]
async fn try_read_buf_appends_to_a_vec_and_a_bytes_mut() {
    use bytes::BytesMut;
    use netloop::net::UnixStream;
    use std::io::ErrorKind;

    let fds = FdCheck::start();
    async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (client, accepted) = futures::join!(TcpStream::connect(addr), listener.accept());
        let (mut client, (server, _)) = (client.unwrap(), accepted.unwrap());

        // An empty socket: WouldBlock, and the buffer is left alone.
        let mut vec = b"kept:".to_vec();
        let err = server.try_read_buf(&mut vec).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert_eq!(vec, b"kept:");

        client.write_all(b"hello").await.unwrap();
        server.readable().await.unwrap();
        let n = server.try_read_buf(&mut vec).unwrap();
        assert_eq!(n, 5);
        assert_eq!(vec, b"kept:hello");

        let mut bytes = BytesMut::with_capacity(64);
        client.write_all(b"world").await.unwrap();
        server.readable().await.unwrap();
        assert_eq!(server.try_read_buf(&mut bytes).unwrap(), 5);
        assert_eq!(&bytes[..], b"world");

        // The halves, borrowed and owned.
        let (reader, _writer) = TcpStream::split(&mut client);
        let mut from_half = Vec::new();
        let peer = server;
        (&peer).write_all(b"half").await.unwrap();
        reader.readable().await.unwrap();
        assert_eq!(reader.try_read_buf(&mut from_half).unwrap(), 4);
        assert_eq!(from_half, b"half");
        let (reader, writer) = client.into_split();
        (&peer).write_all(b"owned").await.unwrap();
        reader.readable().await.unwrap();
        let mut owned = BytesMut::new();
        assert_eq!(reader.try_read_buf(&mut owned).unwrap(), 5);
        assert_eq!(&owned[..], b"owned");

        // End of stream reads 0.
        drop(peer);
        reader.readable().await.unwrap();
        assert_eq!(reader.try_read_buf(&mut owned).unwrap(), 0);
        assert_eq!(&owned[..], b"owned");
        drop((reader, writer));

        // A Unix stream and its halves, a buffer with no spare capacity
        // given room by `chunk_mut` (as tokio's callers rely on).
        let (mut a, mut b) = UnixStream::pair().unwrap();
        b.write_all(b"unix").await.unwrap();
        a.readable().await.unwrap();
        let mut vec = Vec::new();
        assert_eq!(a.try_read_buf(&mut vec).unwrap(), 4);
        assert_eq!(vec, b"unix");
        b.write_all(b"-split").await.unwrap();
        let (reader, _writer) = UnixStream::split(&mut a);
        reader.readable().await.unwrap();
        assert_eq!(reader.try_read_buf(&mut vec).unwrap(), 6);
        let (reader, _writer) = a.into_split();
        b.write_all(b"-owned").await.unwrap();
        reader.readable().await.unwrap();
        assert_eq!(reader.try_read_buf(&mut vec).unwrap(), 6);
        assert_eq!(vec, b"unix-split-owned");
    }
    .await;
    fds.finish().await;
}

/// tokio's `recv_buf`, `recv_buf_from`, `try_recv_buf` and
/// `try_recv_buf_from` on a UDP socket: each appends one whole datagram to
/// the buffer (a `&mut [u8]` with less room truncates it, as `recv` does)
/// and the `_from` ones name the sender.
#[netloop::test]
async fn udp_recv_buf_and_recv_buf_from_fill_spare_capacity() {
    use bytes::BytesMut;
    use netloop::net::UdpSocket;
    use std::io::ErrorKind;

    let fds = FdCheck::start();
    async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());

        let mut bytes = BytesMut::with_capacity(32);
        let err = a.try_recv_buf_from(&mut bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        assert!(bytes.is_empty());

        b.send_to(b"first", a_addr).await.unwrap();
        let (n, from) = a.recv_buf_from(&mut bytes).await.unwrap();
        assert_eq!((n, from, &bytes[..]), (5, b_addr, &b"first"[..]));
        b.send_to(b"second", a_addr).await.unwrap();
        a.readable().await.unwrap();
        let (n, from) = a.try_recv_buf_from(&mut bytes).unwrap();
        assert_eq!((n, from, &bytes[..]), (6, b_addr, &b"firstsecond"[..]));

        // Connected: recv_buf / try_recv_buf.
        a.connect(b_addr).await.unwrap();
        b.connect(a_addr).await.unwrap();
        let mut vec = Vec::with_capacity(16);
        b.send(b"third").await.unwrap();
        assert_eq!(a.recv_buf(&mut vec).await.unwrap(), 5);
        assert_eq!(vec, b"third");
        assert_eq!(
            a.try_recv_buf(&mut vec).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        b.send(b"truncated datagram").await.unwrap();
        let mut small = [0u8; 4];
        let mut slice = &mut small[..];
        assert_eq!(a.recv_buf(&mut slice).await.unwrap(), 4);
        assert_eq!(&small, b"trun");
        // The rest of that datagram is gone; the next is whole.
        b.send(b"fourth").await.unwrap();
        a.readable().await.unwrap();
        assert_eq!(a.try_recv_buf(&mut vec).unwrap(), 6);
        assert_eq!(vec, b"thirdfourth");
    }
    .await;
    fds.finish().await;
}

/// The same four on a `UnixDatagram`: the sender is named by its path, or
/// unnamed when it is unbound, or by its abstract name.
#[netloop::test]
async fn unix_datagram_recv_buf_and_recv_buf_from_name_the_sender() {
    use bytes::BytesMut;
    use netloop::net::UnixDatagram;
    use std::io::ErrorKind;
    use std::os::linux::net::SocketAddrExt;

    let fds = FdCheck::start();
    let dir = std::env::temp_dir();
    let receiver_path = dir.join(format!("netloop-tokio-io-{}-rx.sock", std::process::id()));
    let sender_path = dir.join(format!("netloop-tokio-io-{}-tx.sock", std::process::id()));
    let _ = std::fs::remove_file(&receiver_path);
    let _ = std::fs::remove_file(&sender_path);
    async {
        let receiver = UnixDatagram::bind(&receiver_path).unwrap();
        let mut buf = BytesMut::with_capacity(64);
        assert_eq!(
            receiver.try_recv_buf_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );

        let named = UnixDatagram::bind(&sender_path).unwrap();
        named.send_to(b"named", &receiver_path).await.unwrap();
        let (n, from) = receiver.recv_buf_from(&mut buf).await.unwrap();
        assert_eq!((n, &buf[..]), (5, &b"named"[..]));
        assert_eq!(from.as_pathname(), Some(sender_path.as_path()));

        let unbound = UnixDatagram::unbound().unwrap();
        unbound.send_to(b"-anon", &receiver_path).await.unwrap();
        receiver.readable().await.unwrap();
        let (n, from) = receiver.try_recv_buf_from(&mut buf).unwrap();
        assert_eq!((n, &buf[..]), (5, &b"named-anon"[..]));
        assert!(from.is_unnamed(), "{from:?}");

        let name = format!("netloop-tokio-io-{}-abstract", std::process::id());
        let abstract_sender = UnixDatagram::bind(format!("\0{name}")).unwrap();
        abstract_sender
            .send_to(b"-abstract", &receiver_path)
            .await
            .unwrap();
        let (n, from) = receiver.recv_buf_from(&mut buf).await.unwrap();
        assert_eq!(n, 9);
        assert_eq!(from.as_abstract_name(), Some(name.as_bytes()));

        // A connected pair: recv_buf and try_recv_buf.
        let (x, y) = UnixDatagram::pair().unwrap();
        let mut vec = Vec::new();
        assert_eq!(
            y.try_recv_buf(&mut vec).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        x.send(b"pair").await.unwrap();
        assert_eq!(y.recv_buf(&mut vec).await.unwrap(), 4);
        x.send(b"ed").await.unwrap();
        y.readable().await.unwrap();
        assert_eq!(y.try_recv_buf(&mut vec).unwrap(), 2);
        assert_eq!(vec, b"paired");
    }
    .await;
    let _ = std::fs::remove_file(&receiver_path);
    let _ = std::fs::remove_file(&sender_path);
    fds.finish().await;
}
