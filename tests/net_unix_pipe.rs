//! `netloop::net::unix::pipe`: an anonymous pipe carrying 1 MiB through
//! `AsyncWrite` / `AsyncRead` (on one loop and across two), end of file
//! once the sender drops, `BrokenPipe` (and a write-closed readiness) once
//! the receiver drops, `try_read` on an empty pipe and `try_write` on a
//! full one, a read deadline, a FIFO in the temp dir through `OpenOptions`
//! (`ENXIO` for a sender with no reader, unless read-write), `from_file` /
//! `from_owned_fd` refusing what is not a pipe end, and `into_blocking_fd`
//! / `into_nonblocking_fd`; with the `tokio` feature, tokio's io traits and
//! `try_read_buf`. Every test checks that it leaves no fd open behind it.

mod support;

use std::fs::File;
use std::io::{ErrorKind, IoSlice, IoSliceMut, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::io::Interest;
use netloop::net::unix::pipe::{self, OpenOptions, Receiver, Sender};
use netloop::reactor::sys::{fd::mkfifo, socket::is_nonblocking};
use netloop::time::{Instant, timeout};

use support::{FdCheck, TempDir, bounded};

/// `ENXIO` on Linux (every architecture): a FIFO opened for writing,
/// nonblocking, with no reader.
const ENXIO: i32 = 6;

/// 1 MiB that is not one byte repeated.
fn mebibyte() -> Vec<u8> {
    (0..1 << 20).map(|i: u32| (i % 251) as u8).collect()
}

/// Writes 1 MiB from a spawned task (on whichever loop it lands), reads it
/// here to end of file.
async fn round_trip_one_mebibyte() {
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    let data = mebibyte();
    let expected = data.clone();
    let writer = netloop::spawn(async move {
        tx.write_all(&data).await.unwrap();
        tx.flush().await.unwrap();
        tx.close().await.unwrap();
        // Dropping the only sender is what ends the stream.
        drop(tx);
    });
    let mut got = Vec::new();
    bounded("reading 1 MiB", rx.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "the bytes read differ from those written");
    bounded("the writer", writer).await.unwrap();
    drop(rx);
}

#[netloop::test]
async fn one_mebibyte_round_trip() {
    let fds = FdCheck::start();
    round_trip_one_mebibyte().await;
    fds.finish().await;
}

#[netloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mebibyte_round_trip_across_loops() {
    let fds = FdCheck::start();
    for _ in 0..4 {
        round_trip_one_mebibyte().await;
    }
    fds.finish().await;
}

#[netloop::test]
async fn eof_when_the_sender_drops() {
    let fds = FdCheck::start();
    let (mut tx, mut rx) = pipe::pipe().unwrap();
    tx.write_all(b"last words").await.unwrap();
    drop(tx);
    let mut buf = [0; 32];
    assert_eq!(rx.read(&mut buf).await.unwrap(), 10);
    assert_eq!(&buf[..10], b"last words");
    assert_eq!(rx.read(&mut buf).await.unwrap(), 0);
    assert_eq!(rx.try_read(&mut buf).unwrap(), 0);
    let ready = bounded("read readiness", rx.ready(Interest::READABLE))
        .await
        .unwrap();
    assert!(ready.is_readable() && ready.is_read_closed(), "{ready:?}");
    drop(rx);
    fds.finish().await;
}

#[netloop::test(flavor = "multi_thread", worker_threads = 2)]
async fn eof_when_the_sender_drops_on_another_loop() {
    let fds = FdCheck::start();
    let (tx, mut rx) = pipe::pipe().unwrap();
    let writer = netloop::spawn(async move {
        let mut tx = tx;
        tx.write_all(b"from afar").await.unwrap();
    });
    let mut got = Vec::new();
    bounded("reading to EOF", rx.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got, b"from afar");
    writer.await.unwrap();
    drop(rx);
    fds.finish().await;
}

#[netloop::test]
async fn broken_pipe_when_the_receiver_drops() {
    let fds = FdCheck::start();
    let (mut tx, rx) = pipe::pipe().unwrap();
    drop(rx);
    // SIGPIPE is ignored (the Rust runtime's doing): the write says EPIPE.
    let err = tx.write(b"anyone?").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert_eq!(
        tx.try_write(b"x").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    let err = tx
        .try_write_vectored(&[IoSlice::new(b"a"), IoSlice::new(b"b")])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);

    // A new pipe's sender is assumed writable (tokio's rule), so `ready`
    // answers at once; the closed state comes from the poller's event,
    // which the loop reports on its next turn.
    netloop::task::yield_now().await;
    let ready = bounded("write readiness", tx.ready(Interest::WRITABLE))
        .await
        .unwrap();
    assert!(ready.is_writable() && ready.is_write_closed(), "{ready:?}");
    assert!(!ready.is_error(), "ERROR was not asked for: {ready:?}");
    let ready = tx
        .ready(Interest::WRITABLE | Interest::ERROR)
        .await
        .unwrap();
    assert!(ready.is_write_closed() && ready.is_error(), "{ready:?}");
    drop(tx);
    fds.finish().await;
}

#[netloop::test]
async fn try_read_would_block_on_an_empty_pipe() {
    let fds = FdCheck::start();
    let (tx, rx) = pipe::pipe().unwrap();
    let mut buf = [0; 16];
    assert_eq!(
        rx.try_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let err = rx
        .try_read_vectored(&mut [IoSliceMut::new(&mut buf)])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);

    assert_eq!(tx.try_write(b"abc").unwrap(), 3);
    bounded("readable", rx.readable()).await.unwrap();
    assert_eq!(rx.try_read(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");

    bounded("writable", tx.writable()).await.unwrap();
    let n = tx
        .try_write_vectored(&[IoSlice::new(b"hello "), IoSlice::new(b"world")])
        .unwrap();
    assert_eq!(n, 11);
    bounded("readable", rx.readable()).await.unwrap();
    let (mut a, mut b) = ([0; 4], [0; 16]);
    let n = rx
        .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(n, 11);
    assert_eq!((&a, &b[..7]), (b"hell", &b"o world"[..]));

    // try_io runs the closure once and hands back what it returned.
    let err = rx
        .try_io(|| Err::<(), _>(ErrorKind::WouldBlock.into()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(tx.try_io(|| Ok(7)).unwrap(), 7);

    assert_eq!(rx.as_raw_fd(), rx.as_fd().as_raw_fd());
    assert!(format!("{tx:?}").starts_with("Sender"));
    assert!(format!("{rx:?}").starts_with("Receiver"));
    drop((tx, rx));
    fds.finish().await;
}

#[netloop::test]
async fn a_full_pipe_waits_for_the_reader() {
    let fds = FdCheck::start();
    let (tx, rx) = pipe::pipe().unwrap();
    let chunk = [9u8; 64 * 1024];
    let mut written = 0;
    loop {
        match tx.try_write(&chunk) {
            Ok(n) => written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("try_write: {e}"),
        }
    }
    assert!(written > 0);
    assert!(
        timeout(Duration::from_millis(50), tx.writable())
            .await
            .is_err(),
        "a full pipe reported itself writable"
    );
    let mut buf = vec![0; 64 * 1024];
    let mut read = 0;
    while read < written {
        bounded("readable", rx.readable()).await.unwrap();
        match rx.try_read(&mut buf) {
            Ok(n) => read += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => panic!("try_read: {e}"),
        }
    }
    assert_eq!(read, written);
    bounded("writable once drained", tx.writable())
        .await
        .unwrap();
    drop((tx, rx));
    fds.finish().await;
}

#[netloop::test]
async fn a_read_deadline_times_a_read_out() {
    let fds = FdCheck::start();
    let (tx, mut rx) = pipe::pipe().unwrap();
    rx.set_read_deadline(Some(Instant::now() + Duration::from_millis(30)))
        .unwrap();
    let mut buf = [0; 4];
    let err = bounded("the read", rx.read(&mut buf)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut);
    rx.set_read_deadline(None).unwrap();
    tx.try_write(b"ok").unwrap();
    assert_eq!(bounded("the read", rx.read(&mut buf)).await.unwrap(), 2);
    drop((tx, rx));
    fds.finish().await;
}

#[netloop::test]
async fn a_fifo_reader_waits_for_its_first_writer_instead_of_reading_eof() {
    let fds = FdCheck::start();
    let dir = TempDir::new("first-writer");
    let path = dir.0.join("fifo");
    mkfifo(&path, 0o600).unwrap();
    // The reader opens (and starts reading) before any writer exists: the
    // kernel answers its reads with 0, which is not end of file.
    let mut rx = OpenOptions::new().open_receiver(&path).unwrap();
    let reader = netloop::spawn(async move {
        let mut got = [0u8; 5];
        rx.read_exact(&mut got).await.map(|()| got)
    });
    netloop::time::sleep(Duration::from_millis(20)).await;
    assert!(
        !reader.is_finished(),
        "the read ended before any writer came"
    );
    let mut tx = OpenOptions::new().open_sender(&path).unwrap();
    tx.write_all(b"hello").await.unwrap();
    let got = bounded("the read", reader).await.unwrap().unwrap();
    assert_eq!(&got, b"hello");
    drop(tx);
    fds.finish().await;
}

#[netloop::test]
async fn try_io_runs_its_closure_only_when_readiness_was_seen() {
    let fds = FdCheck::start();
    let (tx, rx) = pipe::pipe().unwrap();
    let mut called = false;
    let err = rx
        .try_io(|| {
            called = true;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert!(!called, "nothing said the pipe was readable");
    tx.try_write(b"x").unwrap();
    bounded("readable", rx.readable()).await.unwrap();
    let mut byte = [0u8; 1];
    let n = rx
        .try_io(|| {
            called = true;
            std::io::Read::read(
                &mut &File::from(rx.as_fd().try_clone_to_owned()?),
                &mut byte,
            )
        })
        .unwrap();
    assert!(called && n == 1);
    drop((tx, rx));
    fds.finish().await;
}

#[netloop::test]
async fn a_fifo_through_open_options() {
    let fds = FdCheck::start();
    let dir = TempDir::new("fifo");
    let path = dir.0.join("fifo");
    mkfifo(&path, 0o600).unwrap();

    // No reader yet: ENXIO, with whatever kind std gives it.
    let err = OpenOptions::new().open_sender(&path).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(ENXIO));
    assert_eq!(err.kind(), std::io::Error::from_raw_os_error(ENXIO).kind());

    let mut rx = OpenOptions::new().open_receiver(&path).unwrap();
    let mut tx = OpenOptions::new().open_sender(&path).unwrap();
    for fd in [rx.as_fd(), tx.as_fd()] {
        assert!(is_nonblocking(fd).unwrap());
    }
    tx.write_all(b"through the fifo").await.unwrap();
    drop(tx);
    let mut got = Vec::new();
    bounded("reading to EOF", rx.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got, b"through the fifo");
    drop(rx);

    // Read-write, a sender is its own reader: no ENXIO, and writes fit.
    let tx = OpenOptions::new()
        .read_write(true)
        .open_sender(&path)
        .unwrap();
    assert_eq!(tx.try_write(b"kept").unwrap(), 4);
    drop(tx);
    // And a read-write receiver opens without any writer.
    let rx = OpenOptions::new()
        .read_write(true)
        .open_receiver(&path)
        .unwrap();
    drop(rx);

    // Not a FIFO: refused, unless unchecked.
    let file = dir.0.join("file");
    std::fs::write(&file, b"plain").unwrap();
    let err = OpenOptions::new().open_receiver(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = OpenOptions::new().open_sender(&file).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let unchecked = OpenOptions::new()
        .unchecked(true)
        .open_receiver(&file)
        .unwrap();
    drop(unchecked);
    let err = OpenOptions::new()
        .open_receiver(dir.0.join("missing"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    fds.finish().await;
}

#[netloop::test]
async fn from_file_rejects_what_is_not_a_pipe_end() {
    let fds = FdCheck::start();
    let dir = TempDir::new("from-file");
    let file = dir.0.join("file");
    let err = Sender::from_file(File::create(&file).unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = Receiver::from_file(File::open(&file).unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // A socket is no pipe either.
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let err = Receiver::from_owned_fd(OwnedFd::from(a)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    drop(b);

    // A pipe end opened the wrong way round.
    let (tx, rx) = pipe::pipe().unwrap();
    let err = Receiver::from_owned_fd(tx.into_nonblocking_fd().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = Sender::from_owned_fd(rx.into_nonblocking_fd().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    // A FIFO opened blocking by std (read-write opens at once on Linux) is
    // accepted, and turned nonblocking.
    let fifo = dir.0.join("fifo");
    mkfifo(&fifo, 0o600).unwrap();
    let std_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    assert!(!is_nonblocking(std_file.as_fd()).unwrap());
    let rx = Receiver::from_file(std_file).unwrap();
    assert!(is_nonblocking(rx.as_fd()).unwrap());
    let mut buf = [0; 4];
    assert_eq!(
        rx.try_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    drop(rx);
    fds.finish().await;
}

#[netloop::test]
async fn into_blocking_fd_returns_a_blocking_fd() {
    let fds = FdCheck::start();
    let (tx, rx) = pipe::pipe().unwrap();
    // Registered first, so the conversion also has to deregister.
    bounded("writable", tx.writable()).await.unwrap();
    let fd = tx.into_blocking_fd().unwrap();
    assert!(!is_nonblocking(fd.as_fd()).unwrap());
    File::from(fd).write_all(b"blocking").unwrap();

    let mut rx = rx;
    let mut buf = [0; 16];
    assert_eq!(bounded("the read", rx.read(&mut buf)).await.unwrap(), 8);
    assert_eq!(&buf[..8], b"blocking");

    // The receiver's fd, nonblocking, then blocking, then back into a
    // Receiver, which makes it nonblocking again.
    let fd = rx.into_nonblocking_fd().unwrap();
    assert!(is_nonblocking(fd.as_fd()).unwrap());
    let rx = Receiver::from_owned_fd(fd).unwrap();
    let fd = rx.into_blocking_fd().unwrap();
    assert!(!is_nonblocking(fd.as_fd()).unwrap());
    let rx = Receiver::from_owned_fd(fd).unwrap();
    assert!(is_nonblocking(rx.as_fd()).unwrap());
    // Every writer is gone: end of file, once the re-wrapped end has seen
    // readiness (as in tokio, a new end has none until a wait).
    bounded("readable", rx.readable()).await.unwrap();
    assert_eq!(rx.try_read(&mut buf).unwrap(), 0);
    drop(rx);
    fds.finish().await;
}

#[cfg(feature = "tokio")]
mod tokio_io {
    // Not `super::*`: futures' extension traits would make `write_all` and
    // `read_to_end` ambiguous.
    use super::{ErrorKind, FdCheck, bounded, mebibyte, pipe};

    #[netloop::test]
    async fn tokio_traits_and_try_read_buf() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

        let fds = FdCheck::start();
        let (mut tx, mut rx) = pipe::pipe().unwrap();
        let data = mebibyte();
        let expected = data.clone();
        let writer = netloop::spawn(async move {
            tx.write_all(&data).await.unwrap();
            tx.shutdown().await.unwrap();
        });
        let mut got = Vec::new();
        bounded("reading 1 MiB", rx.read_to_end(&mut got))
            .await
            .unwrap();
        assert!(got == expected, "the bytes read differ from those written");
        writer.await.unwrap();
        drop(rx);

        let (tx, rx) = pipe::pipe().unwrap();
        let mut buf = bytes::BytesMut::with_capacity(16);
        let err = rx.try_read_buf(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        tx.try_write(b"into spare room").unwrap();
        bounded("readable", rx.readable()).await.unwrap();
        assert_eq!(rx.try_read_buf(&mut buf).unwrap(), 15);
        assert_eq!(&buf[..], b"into spare room");
        drop(tx);
        assert_eq!(rx.try_read_buf(&mut buf).unwrap(), 0);
        drop(rx);
        fds.finish().await;
    }
}

#[test]
fn the_ends_and_options_are_send_and_sync() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Sender>();
    send_sync::<Receiver>();
    send_sync::<OpenOptions>();
}

/// A FIFO whose first writer came and went (`EPOLLHUP`: its read side was
/// reported closed) and which a second writer then opened: once what that
/// writer sent is read, the next read waits for more instead of retrying
/// its `EAGAIN` without end.
#[test]
fn a_fifo_reopened_by_a_new_writer_waits_for_it() {
    support::watchdog(|| {
        support::current_thread().block_on(async {
            let fds = FdCheck::start();
            let dir = TempDir::new("reopened");
            let path = dir.0.join("fifo");
            mkfifo(&path, 0o600).unwrap();
            let mut rx = OpenOptions::new().open_receiver(&path).unwrap();
            let mut buf = [0u8; 64];
            {
                let mut first = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                first.write_all(b"one").unwrap();
            }
            assert_eq!(bounded("the read", rx.read(&mut buf)).await.unwrap(), 3);
            assert_eq!(bounded("the EOF", rx.read(&mut buf)).await.unwrap(), 0);
            let mut second = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            second.write_all(b"two").unwrap();
            assert_eq!(bounded("the read", rx.read(&mut buf)).await.unwrap(), 3);
            assert!(
                timeout(Duration::from_millis(50), rx.read(&mut buf))
                    .await
                    .is_err(),
                "a writer is open and nothing is queued: the read waits"
            );
            second.write_all(b"three").unwrap();
            assert_eq!(bounded("the read", rx.read(&mut buf)).await.unwrap(), 5);
            drop((rx, second));
            fds.finish().await;
        })
    });
}
