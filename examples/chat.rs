//! A line-based chat server: every line a client sends goes to every other
//! client. Each connection is split into owned halves; one task per
//! connection `select!`s between a line arriving from its client and a line
//! arriving for it from the others.
//!
//! ```sh
//! cargo run --example chat                          # server + three scripted clients, then exit
//! cargo run --example chat -- --serve 127.0.0.1:7001  # serve until Ctrl-C (try `nc 127.0.0.1 7001`)
//! ```

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::channel::mpsc;
use futures::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use futures::{FutureExt, StreamExt};
use netloop::net::{TcpListener, TcpStream};

/// Every connected client's outbox, by peer address.
type Peers = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<String>>>>;

/// Serves one client until it leaves.
async fn client_session(stream: TcpStream, peer: SocketAddr, peers: Peers) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines().fuse();
    let (outbox, inbox) = mpsc::unbounded();
    let mut inbox = inbox.fuse();
    peers.lock().unwrap().insert(peer, outbox);
    broadcast(&peers, peer, &format!("* {peer} joined"));
    let result = loop {
        futures::select! {
            line = lines.next() => match line {
                Some(Ok(line)) => broadcast(&peers, peer, &format!("{peer}: {line}")),
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            message = inbox.next() => {
                let Some(message) = message else { break Ok(()) };
                if let Err(e) = writer.write_all(format!("{message}\n").as_bytes()).await {
                    break Err(e);
                }
            }
        }
    };
    peers.lock().unwrap().remove(&peer);
    broadcast(&peers, peer, &format!("* {peer} left"));
    result
}

/// Queues `message` for every client but `from`.
fn broadcast(peers: &Peers, from: SocketAddr, message: &str) {
    for (addr, outbox) in peers.lock().unwrap().iter() {
        if *addr != from {
            let _ = outbox.unbounded_send(message.to_owned());
        }
    }
}

/// Accepts clients forever, one task each.
async fn serve(listener: TcpListener) -> io::Result<()> {
    let peers = Peers::default();
    loop {
        let (stream, peer) = listener.accept().await?;
        let peers = peers.clone();
        drop(netloop::spawn(async move {
            if let Err(e) = client_session(stream, peer, peers).await {
                eprintln!("chat: {peer}: {e}");
            }
        }));
    }
}

/// A scripted client: says its lines, prints what it hears for a while.
async fn bot(addr: SocketAddr, name: &str, says: &[&str]) -> io::Result<Vec<String>> {
    let stream = TcpStream::connect(addr).await?;
    let (reader, mut writer) = stream.into_split();
    let mut heard = Vec::new();
    let mut lines = BufReader::new(reader).lines();
    // Let everyone join before talking.
    netloop::time::sleep(Duration::from_millis(100)).await;
    for line in says {
        writer
            .write_all(format!("{name} says {line}\n").as_bytes())
            .await?;
    }
    let listen = async {
        while let Some(line) = lines.next().await {
            heard.push(line?);
        }
        io::Result::Ok(())
    };
    // Listen for half a second, then leave.
    futures::select! {
        result = listen.fuse() => result?,
        () = netloop::time::sleep(Duration::from_millis(500)).fuse() => {}
    }
    Ok(heard)
}

#[netloop::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    if let (Some(flag), Some(addr)) = (args.next(), args.next())
        && flag == "--serve"
    {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!("chat: serving {}; Ctrl-C to stop", listener.local_addr()?);
        return serve(listener).await;
    }
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = netloop::spawn(serve(listener));
    let bots = [
        ("ada", &["hello", "how is the loop?"][..]),
        ("bob", &["hi ada"][..]),
        ("cyd", &["all edge-triggered here"][..]),
    ];
    let mut running = Vec::new();
    for (name, says) in bots {
        running.push((name, netloop::spawn(bot(addr, name, says))));
    }
    for (name, bot) in running {
        let heard = bot.await.expect("bot task")?;
        println!("{name} heard {} line(s):", heard.len());
        for line in heard {
            println!("    {line}");
        }
    }
    server.abort();
    Ok(())
}
