//! The mailer against a fake SMTP relay on 127.0.0.1 that records what it is sent, accepts,
//! refuses for now (451) or for good (550), and a relay that is not there at all.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use kvalitet_app::ports::{Mail, MailError, Mailer};
use kvalitet_mail::SmtpMailer;

/// Starts a relay answering RCPT with `rcpt_reply`; returns its port and what it received.
async fn fake_relay(rcpt_reply: &'static str) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = received.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(message) = data.as_mut() {
                        if line == "." {
                            log.lock().unwrap().push(data.take().unwrap());
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            message.push_str(&line);
                            message.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &str = match verb.as_str() {
                        "EHLO" | "HELO" => "250-fake\r\n250 8BITMIME\r\n",
                        "MAIL" => "250 ok\r\n",
                        "RCPT" => rcpt_reply,
                        "DATA" => {
                            data = Some(String::new());
                            "354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => "250 ok\r\n",
                    };
                    if write.write_all(reply.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, received)
}

fn mail() -> Mail {
    Mail {
        to: "anna@example.se".into(),
        subject: "Inbjudan till kvalitet, Åre".into(),
        body: "Hej!\n\nÖppna länken: https://kvalitet.example/inbjudan/abc123\n".into(),
        dedupe_key: None,
    }
}

/// Undoes quoted-printable: soft line breaks and `=XX` bytes.
fn unquote(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_message_reaches_the_relay_with_its_sender_recipient_and_body() {
    let (port, received) = fake_relay("250 ok\r\n").await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "kvalitet <noreply@kommun.example>",
    )
    .unwrap();
    mailer.send(&mail()).await.unwrap();
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let text = unquote(&got[0]);
    assert!(
        text.contains("From: kvalitet <noreply@kommun.example>"),
        "{text}"
    );
    assert!(text.contains("To: anna@example.se"), "{text}");
    assert!(text.contains("Subject: "), "{text}");
    assert!(
        text.contains("Öppna länken: https://kvalitet.example/inbjudan/abc123"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refusal_for_now_is_tried_again_and_one_for_good_is_not() {
    let (port, _) = fake_relay("451 try later\r\n").await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@kommun.example",
    )
    .unwrap();
    assert!(matches!(
        mailer.send(&mail()).await,
        Err(MailError::Transient(_))
    ));

    let (port, _) = fake_relay("550 no such user\r\n").await;
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@kommun.example",
    )
    .unwrap();
    assert!(matches!(
        mailer.send(&mail()).await,
        Err(MailError::Permanent(_))
    ));
}

#[tokio::test]
async fn a_relay_that_is_not_there_is_tried_again_later() {
    // A port that was free a moment ago: nothing listens on it.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@kommun.example",
    )
    .unwrap();
    assert!(matches!(
        mailer.send(&mail()).await,
        Err(MailError::Transient(_))
    ));
}

#[test]
fn a_bad_configuration_is_refused_with_what_is_wrong() {
    assert!(SmtpMailer::new("ftp://relay", "noreply@kommun.example").is_err());
    let e = SmtpMailer::new("smtp://127.0.0.1:25", "not an address").unwrap_err();
    assert!(e.to_string().contains("not an address"), "{e}");
}

/// The real pieces together: a message queued in an SQLite outbox is sent through the relay
/// by the sending use case and marked sent; a second round sends nothing.
#[tokio::test]
async fn the_outbox_is_sent_through_the_relay_once() {
    use kvalitet_app::ports::{FixedClock, Outbox};
    let (port, received) = fake_relay("250 ok\r\n").await;
    let dir = tempfile::tempdir().unwrap();
    let store =
        kvalitet_store::SqlStore::open(&format!("sqlite://{}", dir.path().join("k.db").display()))
            .await
            .unwrap();
    let now = kvalitet_domain::Timestamp::parse("2026-12-01T08:00:00Z").unwrap();
    store.queue_mail(&[mail()], now).await.unwrap();
    let mailer = SmtpMailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "noreply@kommun.example",
    )
    .unwrap();
    let done = kvalitet_app::mail::deliver(&store, &mailer, &FixedClock(now))
        .await
        .unwrap();
    assert_eq!(done.sent, 1);
    let again = kvalitet_app::mail::deliver(&store, &mailer, &FixedClock(now))
        .await
        .unwrap();
    assert_eq!(again.sent, 0);
    assert_eq!(received.lock().unwrap().len(), 1);
    assert!(store.outbox(5).await.unwrap()[0].sent_at.is_some());
}
