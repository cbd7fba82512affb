//! Logging in and out over HTTP: cookies and their flags, CSRF on every form, lockout,
//! password change, and who may read which municipality's audit trail.

// A test that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};

use tokio::sync::mpsc;

use kvalitet_app::accounts;
use kvalitet_app::ports::{Actor, CatalogueBatch, ImportChunk, ImportSource, Store};
use kvalitet_domain::{Municipality, MunicipalityId, MunicipalityKind, Role, Year};
use kvalitet_store::SqlStore;

const PASSWORD: &str = "ett långt och bra lösenord";

fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}

async fn server() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open(&format!("sqlite://{}", dir.path().join("a.db").display()))
        .await
        .unwrap();
    let catalogue = CatalogueBatch {
        catalogue_year: Some(Year::new(2026).unwrap()),
        municipalities: vec![
            Municipality::new(m("0180"), "Stockholm".into(), MunicipalityKind::Kommun),
            Municipality::new(m("1480"), "Göteborg".into(), MunicipalityKind::Kommun),
        ],
        ..CatalogueBatch::default()
    };
    let (tx, rx) = mpsc::channel(2);
    tx.send(ImportChunk::Catalogue(Box::new(catalogue)))
        .await
        .unwrap();
    tx.send(ImportChunk::Commit).await.unwrap();
    drop(tx);
    store
        .import(
            &ImportSource {
                source: "t".into(),
                format: "t".into(),
            },
            rx,
        )
        .await
        .unwrap();
    let actor = Actor {
        who: "cli:test".into(),
        at: accounts::now(),
    };
    accounts::add_user(&store, "anna@kommun.se", "Anna", PASSWORD, false, &actor)
        .await
        .unwrap();
    accounts::set_role(
        &store,
        "anna@kommun.se",
        &m("0180"),
        Some(Role::Admin),
        &actor,
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let state = kvalitet_web::AppState::new(store, "sqlite");
    tokio::spawn(kvalitet_web::serve(state, listener, std::future::pending()));
    (addr, dir)
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.head
            .lines()
            .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
            .map(|l| l["set-cookie:".len()..].trim().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + marker.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

async fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookies: &str,
    form: &[(&str, &str)],
) -> Answer {
    let body: String = form
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('%', "%25")
                    .replace(' ', "+")
                    .replace('&', "%26")
                    .replace('@', "%40")
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let (addr, path, cookies, method) = (
        addr.to_owned(),
        path.to_owned(),
        cookies.to_owned(),
        method.to_owned(),
    );
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
        if !cookies.is_empty() {
            head.push_str(&format!("Cookie: {cookies}\r\n"));
        }
        if method == "POST" {
            head.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        write!(s, "{head}\r\n{body}").unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        Answer {
            status: head[9..12].parse().unwrap(),
            head: head.to_owned(),
            body: body.to_owned(),
        }
    })
    .await
    .unwrap()
}

/// Logs in; returns the session cookie pair ("kv_session=...").
async fn login(addr: &str, email: &str, password: &str) -> Answer {
    let form = request(addr, "GET", "/logga-in", "", &[]).await;
    let csrf = form.hidden("csrf");
    let login_cookie = form.cookie("kv_login").unwrap();
    let pair = login_cookie.split(';').next().unwrap().to_owned();
    request(
        addr,
        "POST",
        "/logga-in",
        &pair,
        &[
            ("csrf", &csrf),
            ("email", email),
            ("password", password),
            ("next", "/konto"),
        ],
    )
    .await
}

fn session_pair(a: &Answer) -> String {
    a.cookie("kv_session")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_logout_needs_the_csrf_token() {
    let (addr, _dir) = server().await;
    let ok = login(&addr, "ANNA@kommun.se", PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let cookie = ok.cookie("kv_session").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = session_pair(&ok);

    let page = request(&addr, "GET", "/konto", &session, &[]).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Anna (anna@kommun.se)") && page.body.contains(">admin<"),
        "{}",
        page.body
    );
    assert!(
        page.head
            .to_ascii_lowercase()
            .contains("cache-control: no-store")
    );
    let csrf = page.hidden("csrf");

    let forged = request(&addr, "POST", "/logga-ut", &session, &[("csrf", "0000")]).await;
    assert_eq!(forged.status, 403, "a logout without the token is refused");
    let still = request(&addr, "GET", "/konto", &session, &[]).await;
    assert_eq!(still.status, 200);

    let out = request(&addr, "POST", "/logga-ut", &session, &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let gone = request(&addr, "GET", "/konto", &session, &[]).await;
    assert_eq!(gone.status, 303, "the session is over");
    assert!(gone.head.contains("/logga-in"));
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_the_account_locks() {
    let (addr, _dir) = server().await;
    let nobody = login(&addr, "nobody@kommun.se", PASSWORD).await;
    assert_eq!(nobody.status, 401);
    assert!(nobody.body.contains("Fel e-postadress eller lösenord."));
    for _ in 0..4 {
        assert_eq!(
            login(&addr, "anna@kommun.se", "fel lösenord igen")
                .await
                .status,
            401
        );
    }
    let fifth = login(&addr, "anna@kommun.se", "fel lösenord igen").await;
    assert_eq!(fifth.status, 423, "{}", fifth.body);
    let right = login(&addr, "anna@kommun.se", PASSWORD).await;
    assert_eq!(right.status, 423, "locked even with the right password");

    // A login form posted without its own token (from another site) is refused.
    let forged = request(
        &addr,
        "POST",
        "/logga-in",
        "",
        &[("email", "anna@kommun.se"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(forged.status, 403);
}

#[tokio::test]
async fn the_audit_trail_is_for_the_municipalitys_own_people_only() {
    let (addr, _dir) = server().await;
    let session = session_pair(&login(&addr, "anna@kommun.se", PASSWORD).await);
    let own = request(&addr, "GET", "/kommun/0180/logg", &session, &[]).await;
    assert_eq!(own.status, 200);
    assert!(
        own.body.contains("role.set") && own.body.contains("user:anna@kommun.se"),
        "{}",
        own.body
    );
    let csv = request(&addr, "GET", "/kommun/0180/logg?format=csv", &session, &[]).await;
    assert!(
        csv.body.contains("id,at,actor,action,object,before,after")
            && csv.body.contains("cli:test")
    );
    let other = request(&addr, "GET", "/kommun/1480/logg", &session, &[]).await;
    assert_eq!(other.status, 403, "no role in Göteborg");
    let anonymous = request(&addr, "GET", "/kommun/0180/logg", "", &[]).await;
    assert_eq!(anonymous.status, 303);
    let forged_cookie = request(
        &addr,
        "GET",
        "/kommun/0180/logg",
        &format!("kv_session={}", "a".repeat(64)),
        &[],
    )
    .await;
    assert_eq!(forged_cookie.status, 303, "an unknown token is no session");
}

#[tokio::test]
async fn changing_the_password_ends_the_session() {
    let (addr, _dir) = server().await;
    let session = session_pair(&login(&addr, "anna@kommun.se", PASSWORD).await);
    let csrf = request(&addr, "GET", "/konto", &session, &[])
        .await
        .hidden("csrf");
    let short = request(
        &addr,
        "POST",
        "/konto/losenord",
        &session,
        &[("csrf", &csrf), ("current", PASSWORD), ("new", "kort")],
    )
    .await;
    assert_eq!(short.status, 400);
    let wrong = request(
        &addr,
        "POST",
        "/konto/losenord",
        &session,
        &[
            ("csrf", &csrf),
            ("current", "gissning gissning"),
            ("new", "ett nytt långt lösenord"),
        ],
    )
    .await;
    assert_eq!(wrong.status, 400);
    let changed = request(
        &addr,
        "POST",
        "/konto/losenord",
        &session,
        &[
            ("csrf", &csrf),
            ("current", PASSWORD),
            ("new", "ett nytt långt lösenord"),
        ],
    )
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(
        request(&addr, "GET", "/konto", &session, &[]).await.status,
        303
    );
    assert_eq!(
        login(&addr, "anna@kommun.se", "ett nytt långt lösenord")
            .await
            .status,
        303
    );
    assert_eq!(login(&addr, "anna@kommun.se", PASSWORD).await.status, 401);
}
