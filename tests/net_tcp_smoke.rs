//! TCP smoke test: one echo round trip on each runtime flavour.

use futures::io::{AsyncReadExt, AsyncWriteExt};
use netloop::net::{TcpListener, TcpStream};

#[netloop::test]
async fn echo_smoke() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = netloop::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0; 5];
        s.read_exact(&mut buf).await.unwrap();
        s.write_all(&buf).await.unwrap();
    });
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"hello").await.unwrap();
    let mut buf = vec![0; 5];
    c.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"hello");
    server.await.unwrap();
}

#[netloop::test(flavor = "multi_thread", worker_threads = 4)]
async fn echo_smoke_mt() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = netloop::spawn(async move {
        for _ in 0..8 {
            let (mut s, _) = listener.accept().await.unwrap();
            drop(netloop::spawn(async move {
                let mut buf = vec![0; 5];
                s.read_exact(&mut buf).await.unwrap();
                s.write_all(&buf).await.unwrap();
            }));
        }
    });
    let mut hs = vec![];
    for _ in 0..8 {
        hs.push(netloop::spawn(async move {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"hello").await.unwrap();
            let mut buf = vec![0; 5];
            c.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello");
        }));
    }
    for h in hs {
        h.await.unwrap();
    }
    server.await.unwrap();
}
