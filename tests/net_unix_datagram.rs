//! `netloop::net::UnixDatagram`: a `pair()` both ways, `bind` +
//! `send_to` + `recv_from` naming the sender's path, an `unbound` sender
//! (unnamed on the receiving side), `connect` then `send` / `recv`,
//! `try_recv` on an empty socket, `shutdown`, and `from_std` /
//! `into_std`; on both runtime flavours. Every test checks that it leaves
//! no fd open behind it.

mod support;

use std::io::ErrorKind;
use std::net::Shutdown;
use std::sync::Arc;
use std::time::Duration;

use netloop::net::UnixDatagram;
use netloop::time::timeout;

use support::{FdCheck, TempPath};

#[netloop::test]
async fn a_pair_talks_both_ways() {
    let fds = FdCheck::start();
    let (a, b) = UnixDatagram::pair().unwrap();
    assert_eq!(a.send(b"one").await.unwrap(), 3);
    assert_eq!(a.send(b"two").await.unwrap(), 3);
    let mut buf = [0; 16];
    // Datagrams keep their boundaries.
    assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf[..3], b"one");
    assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf[..3], b"two");

    b.try_send(b"back").unwrap();
    let (n, from) = a.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"back");
    assert!(from.is_unnamed());

    drop((a, b));
    fds.finish().await;
}

#[netloop::test]
async fn bind_send_to_and_recv_from() {
    let fds = FdCheck::start();
    let (path_a, path_b) = (TempPath::new("a"), TempPath::new("b"));
    let a = UnixDatagram::bind(&path_a.0).unwrap();
    let b = UnixDatagram::bind(&path_b.0).unwrap();
    assert_eq!(
        b.local_addr().unwrap().as_pathname(),
        Some(path_b.0.as_path())
    );

    assert_eq!(a.send_to(b"hello", &path_b.0).await.unwrap(), 5);
    let mut buf = [0; 16];
    let (n, from) = b.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(from.as_pathname(), Some(path_a.0.as_path()));

    // Reply to whoever sent it.
    let from = from.as_pathname().unwrap().to_owned();
    b.try_send_to(b"hi", &from).unwrap();
    let (n, _) = a.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"hi");

    // Sending to a path nobody is bound at fails.
    let missing = TempPath::new("missing");
    assert_eq!(
        a.send_to(b"lost", &missing.0).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    drop((a, b, path_a, path_b, missing));
    fds.finish().await;
}

#[netloop::test]
async fn an_unbound_sender_is_unnamed_at_the_receiver() {
    let fds = FdCheck::start();
    let path = TempPath::new("receiver");
    let receiver = UnixDatagram::bind(&path.0).unwrap();
    let sender = UnixDatagram::unbound().unwrap();
    assert!(sender.local_addr().unwrap().is_unnamed());

    sender.send_to(b"anonymous", &path.0).await.unwrap();
    let mut buf = [0; 16];
    let (n, from) = receiver.recv_from(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"anonymous");
    assert!(from.is_unnamed());

    // Connected, the unbound socket sends with `send`.
    sender.connect(&path.0).unwrap();
    assert_eq!(
        sender.peer_addr().unwrap().as_pathname(),
        Some(path.0.as_path())
    );
    sender.send(b"connected").await.unwrap();
    let n = receiver.recv(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"connected");

    drop((receiver, sender, path));
    fds.finish().await;
}

#[netloop::test]
async fn try_recv_on_an_empty_socket_would_block_and_readable_wakes() {
    let fds = FdCheck::start();
    let (a, b) = UnixDatagram::pair().unwrap();
    let mut buf = [0; 8];
    assert_eq!(
        b.try_recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        b.try_recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );

    let a = Arc::new(a);
    let sender = {
        let a = a.clone();
        netloop::spawn(async move {
            netloop::time::sleep(Duration::from_millis(20)).await;
            a.send(b"late").await.unwrap();
        })
    };
    let n = loop {
        timeout(Duration::from_secs(10), b.readable())
            .await
            .expect("readable within 10 s")
            .unwrap();
        match b.try_recv(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => panic!("try_recv: {e}"),
        }
    };
    assert_eq!(&buf[..n], b"late");
    sender.await.unwrap();

    drop((a, b));
    fds.finish().await;
}

#[netloop::test]
async fn shutdown_and_std_conversions() {
    let fds = FdCheck::start();
    let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let a = UnixDatagram::from_std(std_a).unwrap();
    let b = UnixDatagram::try_from(std_b).unwrap();

    a.send(b"x").await.unwrap();
    let mut buf = [0; 4];
    assert_eq!(b.recv(&mut buf).await.unwrap(), 1);

    // Shut a's write direction: its sends fail, b's still arrive.
    a.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        a.send(b"y").await.unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    b.send(b"z").await.unwrap();
    assert_eq!(a.recv(&mut buf).await.unwrap(), 1);
    assert_eq!(&buf[..1], b"z");

    // Back to std, still nonblocking.
    let std_b = b.into_std().unwrap();
    assert_eq!(
        std_b.recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );

    drop((a, std_b));
    fds.finish().await;
}

#[netloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_on_several_loops() {
    let fds = FdCheck::start();
    let path = TempPath::new("mt");
    let receiver = UnixDatagram::bind(&path.0).unwrap();
    const SENDERS: u8 = 8;
    let senders: Vec<_> = (0..SENDERS)
        .map(|i| {
            let path = path.0.clone();
            netloop::spawn(async move {
                let sender = UnixDatagram::unbound().unwrap();
                sender.send_to(&[i], &path).await.unwrap();
            })
        })
        .collect();
    let mut seen = Vec::new();
    let mut buf = [0; 4];
    for _ in 0..SENDERS {
        let n = timeout(Duration::from_secs(20), receiver.recv(&mut buf))
            .await
            .expect("each datagram within 20 s")
            .unwrap();
        assert_eq!(n, 1);
        seen.push(buf[0]);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..SENDERS).collect::<Vec<_>>());
    for sender in senders {
        sender.await.unwrap();
    }

    drop((receiver, path));
    fds.finish().await;
}
