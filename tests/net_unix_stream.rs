//! `netloop::net::{UnixListener, UnixStream}`: an echo through a listener
//! bound in the temp dir, `pair()`, half-close (shut the write direction,
//! the peer reads EOF and still writes back), `peer_cred` naming this
//! process, `into_split` + `reunite` (and the error for halves of two
//! streams), `NotFound` for a missing path (`ConnectionRefused` for a
//! stale one), a connect that waits out a full backlog, Linux abstract
//! names, and many clients on a multi-thread runtime. Every test checks
//! that it leaves no fd open behind it.

mod support;

use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReuniteError, UCred};
use netloop::net::{UnixListener, UnixStream};

use support::{FdCheck, TempPath, bounded};

#[netloop::test]
async fn echo_through_a_listener_in_the_temp_dir() {
    let fds = FdCheck::start();
    let path = TempPath::new("echo");
    let listener = UnixListener::bind(&path.0).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    let server = netloop::spawn(async move {
        let (mut stream, peer) = listener.accept().await.unwrap();
        assert!(peer.is_unnamed());
        let mut buf = [0; 5];
        stream.read_exact(&mut buf).await.unwrap();
        stream.write_all(&buf).await.unwrap();
    });

    let mut client = UnixStream::connect(&path.0).await.unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    client.write_all(b"hello").await.unwrap();
    let mut buf = [0; 5];
    bounded("the echo", client.read_exact(&mut buf))
        .await
        .unwrap();
    assert_eq!(&buf, b"hello");
    bounded("the server", server).await.unwrap();
    // The server's end is closed: EOF.
    assert_eq!(client.read(&mut buf).await.unwrap(), 0);

    drop(client);
    drop(path);
    fds.finish().await;
}

#[netloop::test]
async fn a_pair_talks_both_ways() {
    let fds = FdCheck::start();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());

    a.write_all(b"ping").await.unwrap();
    let mut buf = [0; 4];
    b.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");

    // peek leaves the bytes; try_read takes them; then WouldBlock.
    b.write_all(b"pong").await.unwrap();
    assert_eq!(a.peek(&mut buf).await.unwrap(), 4);
    assert_eq!(&buf, b"pong");
    a.readable().await.unwrap();
    assert_eq!(a.try_read(&mut buf).unwrap(), 4);
    assert_eq!(&buf, b"pong");
    assert_eq!(
        a.try_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );

    drop((a, b));
    fds.finish().await;
}

#[netloop::test]
async fn half_close_the_peer_reads_eof_and_still_writes_back() {
    let fds = FdCheck::start();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    a.write_all(b"request").await.unwrap();
    a.close().await.unwrap();

    let mut request = Vec::new();
    bounded("reading to EOF", b.read_to_end(&mut request))
        .await
        .unwrap();
    assert_eq!(request, b"request");

    // Writing the other way still works.
    b.write_all(b"response").await.unwrap();
    b.close().await.unwrap();
    let mut response = Vec::new();
    bounded("reading the response", a.read_to_end(&mut response))
        .await
        .unwrap();
    assert_eq!(response, b"response");

    drop((a, b));
    fds.finish().await;
}

#[netloop::test]
async fn peer_cred_names_this_process() {
    let fds = FdCheck::start();
    let (a, b) = UnixStream::pair().unwrap();
    // `/proc/self` belongs to the process's effective uid and gid.
    let me = std::fs::metadata("/proc/self").unwrap();
    let cred: UCred = a.peer_cred().unwrap();
    assert_eq!(cred.pid(), Some(std::process::id() as i32));
    assert_eq!(cred.uid(), me.uid());
    assert_eq!(cred.gid(), me.gid());
    assert_eq!(b.peer_cred().unwrap(), cred);

    // Through a listener too.
    let path = TempPath::new("cred");
    let listener = UnixListener::bind(&path.0).unwrap();
    let client = UnixStream::connect(&path.0).await.unwrap();
    let (server, _) = bounded("accept", listener.accept()).await.unwrap();
    assert_eq!(server.peer_cred().unwrap(), cred);
    assert_eq!(client.peer_cred().unwrap(), cred);

    drop((a, b, listener, client, server, path));
    fds.finish().await;
}

#[netloop::test]
async fn into_split_and_reunite() {
    let fds = FdCheck::start();
    let (a, mut b) = UnixStream::pair().unwrap();
    let (mut read, mut write): (OwnedReadHalf, OwnedWriteHalf) = a.into_split();

    write.write_all(b"via the write half").await.unwrap();
    let mut buf = [0; 18];
    b.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"via the write half");
    b.write_all(b"via the read half").await.unwrap();
    let mut buf = [0; 17];
    read.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"via the read half");

    // Halves of two different streams do not reunite, and come back.
    let (c, d) = UnixStream::pair().unwrap();
    let (c_read, c_write) = c.into_split();
    let ReuniteError(read, c_write) = read.reunite(c_write).unwrap_err();
    let ReuniteError(c_read, write) = c_read.reunite(write).unwrap_err();
    drop(c_read.reunite(c_write).unwrap());

    // Their own halves do; the stream still works and reunite did not
    // shut its write direction down.
    let mut a = read.reunite(write).unwrap();
    a.write_all(b"whole").await.unwrap();
    let mut buf = [0; 5];
    b.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"whole");

    // Dropping an owned write half shuts the write direction down.
    let (read, write) = a.into_split();
    drop(write);
    let mut rest = Vec::new();
    bounded("EOF after the write half dropped", b.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(rest.is_empty());

    drop((read, b, d));
    fds.finish().await;
}

#[netloop::test]
async fn connecting_to_a_missing_path_is_not_found() {
    let fds = FdCheck::start();
    let path = TempPath::new("missing");
    let err = UnixStream::connect(&path.0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // A socket file whose listener has closed refuses.
    let stale = TempPath::new("stale");
    drop(std::os::unix::net::UnixListener::bind(&stale.0).unwrap());
    assert!(stale.0.exists());
    let err = UnixStream::connect(&stale.0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);

    drop((path, stale));
    fds.finish().await;
}

#[netloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_on_a_multi_thread_runtime() {
    let fds = FdCheck::start();
    let path = TempPath::new("multi");
    let listener = UnixListener::bind(&path.0).unwrap();
    const CLIENTS: usize = 16;
    let server = netloop::spawn(async move {
        let mut conns = Vec::new();
        for _ in 0..CLIENTS {
            let (mut stream, _) = listener.accept().await.unwrap();
            conns.push(netloop::spawn(async move {
                let mut buf = [0; 8];
                stream.read_exact(&mut buf).await.unwrap();
                stream.write_all(&buf).await.unwrap();
            }));
        }
        for conn in conns {
            conn.await.unwrap();
        }
    });
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let path = path.0.clone();
            netloop::spawn(async move {
                let stream = UnixStream::connect(&path).await.unwrap();
                let (mut read, mut write) = stream.into_split();
                let msg = (i as u64).to_le_bytes();
                write.write_all(&msg).await.unwrap();
                let mut buf = [0; 8];
                read.read_exact(&mut buf).await.unwrap();
                assert_eq!(buf, msg);
            })
        })
        .collect();
    for client in clients {
        bounded("a client", client).await.unwrap();
    }
    bounded("the server", server).await.unwrap();

    drop(path);
    fds.finish().await;
}

#[netloop::test]
async fn connect_to_a_full_backlog_waits_until_there_is_room() {
    let fds = FdCheck::start();
    let path = TempPath::new("backlog");
    let std_listener = std::os::unix::net::UnixListener::bind(&path.0).unwrap();
    // Linux lets a listening socket listen again with a new backlog; with
    // 0, one pending connection fills the queue and the next connect
    // meets EAGAIN.
    use std::os::fd::AsFd;
    netloop::reactor::sys::socket::listen(std_listener.as_fd(), 0).unwrap();
    let listener = UnixListener::from_std(std_listener).unwrap();
    let first = UnixStream::connect(&path.0).await.unwrap();

    let second = netloop::spawn({
        let path = path.0.clone();
        async move { UnixStream::connect(&path).await }
    });
    netloop::time::sleep(Duration::from_millis(30)).await;
    assert!(!second.is_finished(), "the second connect waits for room");

    // Accepting the first makes room: the second connect completes.
    let (accepted_first, _) = bounded("accept the first", listener.accept())
        .await
        .unwrap();
    let mut second = bounded("the second connect", second)
        .await
        .unwrap()
        .unwrap();
    let (mut accepted_second, _) = bounded("accept the second", listener.accept())
        .await
        .unwrap();
    second.write_all(b"in").await.unwrap();
    let mut buf = [0; 2];
    accepted_second.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"in");

    drop((
        first,
        accepted_first,
        second,
        accepted_second,
        listener,
        path,
    ));
    fds.finish().await;
}

#[netloop::test]
async fn abstract_names_bind_and_connect() {
    use std::os::linux::net::SocketAddrExt;

    let fds = FdCheck::start();
    let name = format!("netloop-abstract-{}", std::process::id());
    let addr = netloop::net::unix::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(name.as_bytes())
    );
    let mut client = UnixStream::connect_addr(&addr).await.unwrap();
    let (mut server, _) = bounded("accept", listener.accept()).await.unwrap();
    client.write_all(b"abstract").await.unwrap();
    let mut buf = [0; 8];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"abstract");

    drop((client, server, listener));
    fds.finish().await;
}

#[netloop::test]
async fn a_path_starting_with_nul_names_an_abstract_socket() {
    let fds = FdCheck::start();
    let name = format!("\0netloop-test-{}", std::process::id());
    let listener = UnixListener::bind(&name).unwrap();
    let server = netloop::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream.write_all(b"abstract").await.unwrap();
    });
    let mut client = UnixStream::connect(&name).await.unwrap();
    let mut buf = Vec::new();
    client.read_to_end(&mut buf).await.unwrap();
    assert_eq!(buf, b"abstract");
    server.await.unwrap();
    drop(client);
    fds.finish().await;
}

#[netloop::test]
async fn a_pair_starts_out_writable_and_not_readable_as_in_tokio() {
    let fds = FdCheck::start();
    let (a, b) = UnixStream::pair().unwrap();
    assert!(support::poll_once(a.writable()).is_ready());
    assert!(support::poll_once(b.readable()).is_pending());
    a.try_write(b"x").unwrap();
    b.readable().await.unwrap();
    let mut one = [0u8; 1];
    assert_eq!(b.try_read(&mut one).unwrap(), 1);
    drop((a, b));
    fds.finish().await;
}
