//! `netloop::net::UnixSocket` (tokio's): a stream socket bound in the temp
//! dir that listens and echoes to a client that is a `UnixSocket` too (its
//! own path bound first, so the server sees it), a Linux abstract name, a
//! datagram socket turned into a `UnixDatagram`, the errors of a socket
//! used as the wrong type or connecting where nobody listens, and the fd
//! traits and `Debug`; on both runtime flavours. Every test checks that it
//! leaves no fd open behind it.

mod support;

use std::io::ErrorKind;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd};
use std::os::linux::net::SocketAddrExt;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::unix;
use netloop::net::{UnixDatagram, UnixSocket, UnixStream};

use support::{FdCheck, TempPath, bounded};

/// Accepts one connection on `listener` and echoes what it reads until EOF.
fn echo_server(
    listener: netloop::net::UnixListener,
) -> netloop::task::JoinHandle<unix::SocketAddr> {
    netloop::spawn(async move {
        let (mut stream, peer) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        stream.write_all(&got).await.unwrap();
        peer
    })
}

/// Writes `message` to `stream`, shuts writing down, and reads the echo.
async fn round_trip(mut stream: UnixStream, message: &[u8]) {
    stream.write_all(message).await.unwrap();
    stream.close().await.unwrap();
    let mut echoed = Vec::new();
    bounded("the echo", stream.read_to_end(&mut echoed))
        .await
        .unwrap();
    assert_eq!(echoed, message);
}

async fn stream_listen_and_connect_echo() {
    let fds = FdCheck::start();
    let server_path = TempPath::new("server");
    let client_path = TempPath::new("client");
    async {
        let socket = UnixSocket::new_stream().unwrap();
        socket.bind(&server_path.0).unwrap();
        let listener = socket.listen(16).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(server_path.0.as_path())
        );
        let server = echo_server(listener);

        // The client binds a path of its own before connecting.
        let client = UnixSocket::new_stream().unwrap();
        client.bind(&client_path.0).unwrap();
        let stream = client.connect(&server_path.0).await.unwrap();
        assert_eq!(
            stream.local_addr().unwrap().as_pathname(),
            Some(client_path.0.as_path())
        );
        assert_eq!(
            stream.peer_addr().unwrap().as_pathname(),
            Some(server_path.0.as_path())
        );
        round_trip(stream, b"through UnixSocket").await;
        let peer = server.await.unwrap();
        assert_eq!(peer.as_pathname(), Some(client_path.0.as_path()));

        // A plain UnixStream::connect reaches a UnixSocket listener too, and
        // an unbound UnixSocket connects to a plain one.
        let socket = UnixSocket::new_stream().unwrap();
        let again = TempPath::new("again");
        socket.bind(&again.0).unwrap();
        let server = echo_server(socket.listen(1).unwrap());
        round_trip(UnixStream::connect(&again.0).await.unwrap(), b"plain").await;
        assert!(server.await.unwrap().is_unnamed());
        let plain = TempPath::new("plain");
        let server = echo_server(netloop::net::UnixListener::bind(&plain.0).unwrap());
        let stream = UnixSocket::new_stream()
            .unwrap()
            .connect(&plain.0)
            .await
            .unwrap();
        round_trip(stream, b"unbound").await;
        assert!(server.await.unwrap().is_unnamed());
    }
    .await;
    fds.finish().await;
}

async fn a_nul_prefixed_path_names_an_abstract_socket() {
    let fds = FdCheck::start();
    async {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "netloop-usock-abstract-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = format!("\0{name}");
        let socket = UnixSocket::new_stream().unwrap();
        socket.bind(&path).unwrap();
        let listener = socket.listen(4).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_abstract_name(),
            Some(name.as_bytes())
        );
        // Nothing was created in the file system.
        assert!(!std::path::Path::new(&name).exists());
        let server = echo_server(listener);
        let stream = UnixSocket::new_stream()
            .unwrap()
            .connect(&path)
            .await
            .unwrap();
        assert_eq!(
            stream.peer_addr().unwrap().as_abstract_name(),
            Some(name.as_bytes())
        );
        round_trip(stream, b"abstract").await;
        server.await.unwrap();
    }
    .await;
    fds.finish().await;
}

async fn a_datagram_socket_becomes_a_unix_datagram() {
    let fds = FdCheck::start();
    let path = TempPath::new("dgram");
    let sender_path = TempPath::new("dgram-sender");
    async {
        let socket = UnixSocket::new_datagram().unwrap();
        socket.bind(&path.0).unwrap();
        let receiver = socket.datagram().unwrap();
        assert_eq!(
            receiver.local_addr().unwrap().as_pathname(),
            Some(path.0.as_path())
        );
        let sender = UnixSocket::new_datagram().unwrap();
        sender.bind(&sender_path.0).unwrap();
        let sender = sender.datagram().unwrap();
        sender.send_to(b"hello", &path.0).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = bounded("the datagram", receiver.recv_from(&mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"hello");
        assert_eq!(from.as_pathname(), Some(sender_path.0.as_path()));

        // An unbound one sends too, and is unnamed at the receiver.
        let unbound = UnixSocket::new_datagram().unwrap().datagram().unwrap();
        unbound.connect(&path.0).unwrap();
        unbound.send(b"anon").await.unwrap();
        let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"anon");
        assert!(from.is_unnamed());

        // And it talks to a plain UnixDatagram.
        let plain = UnixDatagram::unbound().unwrap();
        plain.send_to(b"plain", &path.0).await.unwrap();
        assert_eq!(receiver.recv(&mut buf).await.unwrap(), 5);
    }
    .await;
    fds.finish().await;
}

async fn a_socket_used_as_the_wrong_type_or_connecting_nowhere_fails() {
    let fds = FdCheck::start();
    let missing = TempPath::new("missing");
    let stale = TempPath::new("stale");
    async {
        let err = UnixSocket::new_datagram().unwrap().listen(1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other, "{err}");
        let err = UnixSocket::new_datagram()
            .unwrap()
            .connect(&missing.0)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other, "{err}");
        let err = UnixSocket::new_stream().unwrap().datagram().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Other, "{err}");

        let err = UnixSocket::new_stream()
            .unwrap()
            .connect(&missing.0)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        // Bound but not listening: refused.
        let bound = UnixSocket::new_stream().unwrap();
        bound.bind(&stale.0).unwrap();
        let err = UnixSocket::new_stream()
            .unwrap()
            .connect(&stale.0)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        // A path taken already.
        let err = UnixSocket::new_stream()
            .unwrap()
            .bind(&stale.0)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        // Listening without a bind: Linux refuses it.
        let err = UnixSocket::new_stream().unwrap().listen(1).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        drop(bound);
    }
    .await;
    fds.finish().await;
}

async fn fd_traits_and_debug() {
    let fds = FdCheck::start();
    let path = TempPath::new("fd");
    async {
        let socket = UnixSocket::new_stream().unwrap();
        let raw = socket.as_raw_fd();
        assert_eq!(socket.as_fd().as_raw_fd(), raw);
        assert!(format!("{socket:?}").contains("UnixSocket"));
        let raw = socket.into_raw_fd();
        // SAFETY: `raw` came from `into_raw_fd` just above: an open,
        // nonblocking AF_UNIX socket that nothing else owns.
        let socket = unsafe { UnixSocket::from_raw_fd(raw) };
        socket.bind(&path.0).unwrap();
        let server = echo_server(socket.listen(1).unwrap());
        round_trip(UnixStream::connect(&path.0).await.unwrap(), b"fd").await;
        server.await.unwrap();
    }
    .await;
    fds.finish().await;
}

/// Runs each test body on a current-thread runtime and on a multi-thread
/// one.
macro_rules! on_both_flavours {
    ($($name:ident),* $(,)?) => {
        mod current_thread {
            $(
                #[netloop::test]
                async fn $name() {
                    super::$name().await
                }
            )*
        }
        mod multi_thread {
            $(
                #[netloop::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name().await
                }
            )*
        }
    };
}

on_both_flavours!(
    stream_listen_and_connect_echo,
    a_nul_prefixed_path_names_an_abstract_socket,
    a_datagram_socket_becomes_a_unix_datagram,
    a_socket_used_as_the_wrong_type_or_connecting_nowhere_fails,
    fd_traits_and_debug,
);
