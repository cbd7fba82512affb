//! The client against a local server that misbehaves on purpose: 429 with Retry-After, 500,
//! dropped connections, truncated bodies, slow answers and 404.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use kvalitet_app::sync::Fetch;
use kvalitet_kolada::{ClientOptions, KoladaClient};

/// What the server does with one request.
#[derive(Clone, Copy)]
enum Act {
    Status(u16, Option<u64>),
    Drop,
    Truncate,
    Slow,
    /// Says its body is larger than the client reads.
    HugeDeclared,
    /// Streams a body without a length, past what the client reads.
    HugeStreamed,
    Ok,
}

const BODY: &str = r#"{"count": 0, "next_url": null, "previous_url": null, "values": []}"#;

/// Serves the acts in order (the last one repeats); returns the base URL and a request count.
async fn server(acts: Vec<Act>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v3/kpi", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let act = acts[n.min(acts.len() - 1)];
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let reply = match act {
                    Act::Ok => format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{BODY}",
                        BODY.len()
                    ),
                    Act::Status(code, retry_after) => {
                        let extra = retry_after
                            .map(|s| format!("Retry-After: {s}\r\n"))
                            .unwrap_or_default();
                        format!(
                            "HTTP/1.1 {code} Whatever\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
                        )
                    }
                    Act::Truncate => format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                        BODY.len(),
                        &BODY[..20]
                    ),
                    Act::HugeDeclared => "HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\nConnection: close\r\n\r\n{\"values\": [".to_owned(),
                    Act::HugeStreamed => {
                        let _ = socket.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n").await;
                        for _ in 0..64 {
                            if socket.write_all(&[b' '; 1024]).await.is_err() {
                                break;
                            }
                        }
                        String::new()
                    }
                    Act::Drop => String::new(),
                    Act::Slow => {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        String::new()
                    }
                };
                let _ = socket.write_all(reply.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, count)
}

fn client() -> KoladaClient {
    KoladaClient::new(ClientOptions {
        requests_per_second: 1000.0,
        attempts: 6,
        backoff: Duration::from_millis(5),
        timeout: Duration::from_millis(500),
        max_response_bytes: 16 << 10,
    })
    .unwrap()
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_retried_until_the_answer_comes() {
    let (url, count) = server(vec![
        Act::Status(429, Some(1)),
        Act::Status(500, None),
        Act::Status(503, None),
        Act::Ok,
    ])
    .await;
    let body = client().get(&url).await.unwrap();
    assert_eq!(String::from_utf8(body).unwrap(), BODY);
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn broken_connections_truncated_bodies_and_time_outs_are_retried() {
    let (url, count) = server(vec![Act::Drop, Act::Truncate, Act::Slow, Act::Ok]).await;
    let body = client().get(&url).await.unwrap();
    assert_eq!(String::from_utf8(body).unwrap(), BODY);
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_client_error_is_final_and_names_the_url() {
    let (url, count) = server(vec![Act::Status(404, None)]).await;
    let err = client().get(&url).await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1, "404 is not retried");
    assert!(err.to_string().starts_with(&url), "{err}");
    assert!(err.reason.contains("404"), "{err}");
}

#[tokio::test]
async fn the_client_gives_up_after_its_attempts() {
    let (url, count) = server(vec![Act::Status(500, None)]).await;
    let err = client().get(&url).await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 6);
    assert!(
        err.reason.contains("gave up after 6 attempts: HTTP 500"),
        "{err}"
    );
}

/// A server that sends more than any page of Kolada's is refused before the body is held,
/// whether it says so in Content-Length or streams without one; not retried.
#[tokio::test]
async fn an_answer_past_the_size_limit_is_refused_not_held() {
    for act in [Act::HugeDeclared, Act::HugeStreamed] {
        let (url, count) = server(vec![act]).await;
        let err = client().get(&url).await.unwrap_err();
        assert!(err.reason.contains("larger than 16384 bytes"), "{err}");
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
