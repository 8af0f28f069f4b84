//! The `tokio` feature: netloop's streams implement
//! `tokio::io::{AsyncRead, AsyncWrite}`, so tokio's io extension traits,
//! `tokio::io::copy` and tokio-util's codecs work on them unchanged.
//!
//! Run with `cargo test --features tokio --test net_tokio_io` (CI does).
#![cfg(feature = "tokio")]

use futures::{SinkExt, StreamExt};
use netloop::net::{TcpListener, TcpStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Framed, LinesCodec};

#[netloop::test]
async fn tokio_io_copy_echoes_through_split_halves() {
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

#[netloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_util_lines_codec_frames_a_conversation() {
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

#[netloop::test]
async fn owned_halves_work_with_tokio_traits_in_separate_tasks() {
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

#[netloop::test]
async fn datagram_poll_methods_take_tokios_read_buf() {
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
