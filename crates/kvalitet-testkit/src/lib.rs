//! The test kit: a kvalitet site in process on a fresh SQLite database, seeded by a
//! builder ([`Seed`]: areas, measures, values, frameworks, people and their roles) and
//! driven through the real router by requests ([`Call`]) or by a visitor with a cookie jar
//! and CSRF help ([`Visitor`]). Every HTTP test uses it instead of a client of its own, so a
//! change to how requests are sent or read is made once.
//!
//! Requests go to the router in process (no socket), as one request per call; the router
//! is the one `kvalitet serve` runs, with every layer.

// A test that meets the unexpected should stop loudly: this crate is for tests only.
#![allow(clippy::unwrap_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request};
use tower::ServiceExt;

use kvalitet_app::accounts;
use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, CatalogueBatch, ChangeSet, ImportSource};
use kvalitet_domain::{Municipality, MunicipalityId, MunicipalityKind, Role, ValueRow, Year};
use kvalitet_store::SqlStore;

/// The password every seeded person has.
pub const PASSWORD: &str = "ett långt och bra lösenord";

/// The host name requests are sent to; absolute links in answers use it.
pub const HOST: &str = "kvalitet.test";

/// A municipality id from a literal of the test.
pub fn m(id: &str) -> MunicipalityId {
    MunicipalityId::parse(id).unwrap()
}

/// One person to seed.
struct Person {
    email: String,
    name: String,
    system_admin: bool,
    roles: Vec<(MunicipalityId, Role)>,
}

/// What a test site starts with: a catalogue (year 2026 unless set), values, people.
pub struct Seed {
    catalogue: CatalogueBatch,
    values: Vec<ValueRow>,
    people: Vec<Person>,
    options: kvalitet_web::SiteOptions,
}

impl Default for Seed {
    fn default() -> Self {
        Self {
            catalogue: CatalogueBatch {
                catalogue_year: Some(Year::new(2026).unwrap()),
                ..CatalogueBatch::default()
            },
            values: Vec::new(),
            people: Vec::new(),
            options: kvalitet_web::SiteOptions::default(),
        }
    }
}

impl Seed {
    /// A kommun.
    pub fn kommun(self, id: &str, name: &str) -> Self {
        self.area(Municipality::new(
            m(id),
            name.into(),
            MunicipalityKind::Kommun,
        ))
    }

    /// Any area: a kommun, a region, Riket.
    pub fn area(mut self, area: Municipality) -> Self {
        self.catalogue.municipalities.push(area);
        self
    }

    /// A framework of assessments from its TOML text.
    pub fn framework(mut self, toml: &str) -> Self {
        let framework = kvalitet_formats::framework_toml::read(toml).unwrap();
        self.catalogue.frameworks.push((framework, toml.to_owned()));
        self
    }

    /// Anything else in the catalogue (measures, groups, counties, measure sets).
    pub fn catalogue(mut self, change: impl FnOnce(&mut CatalogueBatch)) -> Self {
        change(&mut self.catalogue);
        self
    }

    /// Published values.
    pub fn values(mut self, rows: impl IntoIterator<Item = ValueRow>) -> Self {
        self.values.extend(rows);
        self
    }

    /// A person with [`PASSWORD`], with a role in each municipality given.
    pub fn person(mut self, email: &str, name: &str, roles: &[(&str, Role)]) -> Self {
        self.people.push(Person {
            email: email.into(),
            name: name.into(),
            system_admin: false,
            roles: roles.iter().map(|(id, r)| (m(id), *r)).collect(),
        });
        self
    }

    /// A system administrator (a national coordinator) with [`PASSWORD`].
    pub fn system_admin(mut self, email: &str, name: &str) -> Self {
        self.people.push(Person {
            email: email.into(),
            name: name.into(),
            system_admin: true,
            roles: Vec::new(),
        });
        self
    }

    /// The site's settings.
    pub fn options(mut self, options: kvalitet_web::SiteOptions) -> Self {
        self.options = options;
        self
    }

    /// The site on a fresh SQLite database holding the seed.
    pub async fn start(self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        let store = SqlStore::open(&url).await.unwrap();
        let source = ImportSource {
            source: "test".into(),
            format: "test".into(),
            at: kvalitet_app::ports::Clock::now(&kvalitet_app::ports::SystemClock),
        };
        store
            .apply(
                &source,
                ChangeSet {
                    catalogue: Some(self.catalogue),
                    values: self.values,
                    ..ChangeSet::default()
                },
            )
            .await
            .unwrap();
        let actor = Actor {
            who: "cli:test".into(),
            at: kvalitet_app::ports::Clock::now(&kvalitet_app::ports::SystemClock),
        };
        let hasher = accounts::Hasher::for_this_machine();
        for p in &self.people {
            accounts::add_user(
                &store,
                &hasher,
                &p.email,
                &p.name,
                PASSWORD,
                p.system_admin,
                &actor,
            )
            .await
            .unwrap();
            for (municipality, role) in &p.roles {
                accounts::set_role(&store, &p.email, municipality, Some(*role), &actor)
                    .await
                    .unwrap();
            }
        }
        let state = kvalitet_web::AppState::with_options(store.clone(), "sqlite", self.options);
        TestApp {
            router: kvalitet_web::router(state),
            store,
            _dir: std::sync::Arc::new(dir),
        }
    }
}

/// A running test site: its router and the store behind it. Clones share the site, so
/// tasks can send requests side by side.
#[derive(Clone)]
pub struct TestApp {
    router: Router,
    pub store: SqlStore,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

impl TestApp {
    /// A GET request of `path` (with its query).
    pub fn get(&self, path: &str) -> Call<'_> {
        self.call("GET", path)
    }

    /// A POST request of `path`.
    pub fn post(&self, path: &str) -> Call<'_> {
        self.call("POST", path)
    }

    /// A request with any method.
    pub fn call(&self, method: &str, path: &str) -> Call<'_> {
        Call {
            app: self,
            method: method.to_owned(),
            path: path.to_owned(),
            headers: vec![("host".into(), HOST.into())],
            body: Vec::new(),
            peer: None,
        }
    }

    /// A visitor with an empty cookie jar.
    pub fn visitor(&self) -> Visitor<'_> {
        Visitor {
            app: self,
            cookies: Vec::new(),
            csrf: None,
        }
    }

    /// A visitor logged in as `email` with [`PASSWORD`]; panics if the login fails.
    pub async fn logged_in(&self, email: &str) -> Visitor<'_> {
        let mut v = self.visitor();
        let a = v.login(email, PASSWORD).await;
        assert_eq!(a.status, 303, "login as {email}: {}", a.body);
        v
    }
}

/// One request being put together.
pub struct Call<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// The client's address as the server's listener would tell it; none by default.
    peer: Option<std::net::SocketAddr>,
}

/// Percent-encodes a form value (application/x-www-form-urlencoded).
pub fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) => out.push(b as char),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Call<'_> {
    /// From the machine itself (loopback), as a local scraper of `/metrics` asks.
    pub fn from_this_machine(mut self) -> Self {
        self.peer = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 45_000)));
        self
    }

    /// A header line.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Cookie pairs (`a=1; b=2`); nothing when empty.
    pub fn cookies(self, pairs: &str) -> Self {
        if pairs.is_empty() {
            self
        } else {
            self.header("cookie", pairs)
        }
    }

    /// A form body (urlencoded).
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.body = body.into_bytes();
        self.header("content-type", "application/x-www-form-urlencoded")
    }

    /// A multipart body: the text fields, then the file as the field `file`.
    pub fn upload(self, fields: &[(&str, &str)], filename: &str, file: &[u8]) -> Self {
        self.upload_as(fields, "file", filename, file)
    }

    /// A multipart body: the text fields, then the file as the field `field`.
    pub fn upload_as(
        self,
        fields: &[(&str, &str)],
        field: &str,
        filename: &str,
        file: &[u8],
    ) -> Self {
        self.upload_files(fields, &[(field, filename, file)])
    }

    /// A multipart body: the text fields, then each file as (field, file name, bytes).
    pub fn upload_files(mut self, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Self {
        let boundary = "XkvalitetX";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, filename, file) in files {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(file);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.body = body;
        self.header(
            "content-type",
            &format!("multipart/form-data; boundary={boundary}"),
        )
    }

    /// Sends the request through the router and reads the whole answer.
    pub async fn send(self) -> Answer {
        let mut request = Request::builder()
            .method(self.method.as_str())
            .uri(&self.path);
        for (k, v) in &self.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        if let Some(peer) = self.peer {
            request = request.extension(axum::extract::ConnectInfo(peer));
        }
        let request = request.body(Body::from(self.body)).unwrap();
        let response = self.app.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Answer {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            headers,
        }
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as text (lossy for binary bodies; see `bytes`).
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Answer {
    /// A header's value (the first, if repeated).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every header as `name: value` lines, for tests that look for a line.
    pub fn head(&self) -> String {
        let mut head = format!("HTTP/1.1 {}\r\n", self.status);
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap_or("")));
        }
        head
    }

    /// The body as JSON; panics naming the body when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The whole `Set-Cookie` line for the cookie `name`, if the answer sets it.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The value of the hidden field `name` of the page's first form that has one.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + marker.len();
        self.body[at..].split('"').next().unwrap().to_owned()
    }

    /// Where a redirect goes.
    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }
}

/// A person at a browser: cookies kept from answer to answer, and the session's CSRF token
/// put into every form sent.
pub struct Visitor<'a> {
    app: &'a TestApp,
    /// Cookie pairs by name.
    cookies: Vec<(String, String)>,
    csrf: Option<String>,
}

impl Visitor<'_> {
    /// The cookie pairs sent (`a=1; b=2`).
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, answer: &Answer) {
        for line in answer.headers.get_all("set-cookie") {
            let Some((pair, attributes)) = line
                .to_str()
                .ok()
                .map(|l| l.split_once(';').unwrap_or((l, "")))
            else {
                continue;
            };
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            self.cookies.retain(|(name, _)| name != k);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
    }

    /// Sends a request with the jar's cookies, keeping what the answer sets.
    pub async fn send(&mut self, call: Call<'_>) -> Answer {
        let answer = call.cookies(&self.cookie_header()).send().await;
        self.keep(&answer);
        answer
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let call = self.app.get(path);
        self.send(call).await
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf().await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let call = self.app.post(path).form(&all);
        self.send(call).await
    }

    /// Uploads a file with text fields and the session's CSRF token.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        filename: &str,
        file: &[u8],
    ) -> Answer {
        let csrf = self.csrf().await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let call = self.app.post(path).upload(&all, filename, file);
        self.send(call).await
    }

    /// The session's CSRF token, as the account page's forms carry it.
    pub async fn csrf(&mut self) -> String {
        if let Some(t) = &self.csrf {
            return t.clone();
        }
        let page = self.get("/konto").await;
        let token = page.hidden("csrf");
        self.csrf = Some(token.clone());
        token
    }

    /// Logs in through the login form (its double-submit token included).
    pub async fn login(&mut self, email: &str, password: &str) -> Answer {
        let form = self.get("/logga-in").await;
        let token = form.hidden("csrf");
        self.csrf = None;
        let call = self.app.post("/logga-in").form(&[
            ("csrf", &token),
            ("email", email),
            ("password", password),
            ("next", "/konto"),
        ]);
        self.send(call).await
    }
}

/// A clock a test moves (before, during and after a window of days), for a site started
/// with it in its options.
#[derive(Debug)]
pub struct MovableClock(std::sync::Mutex<kvalitet_domain::Timestamp>);

impl MovableClock {
    /// A clock standing at `at` (RFC 3339).
    pub fn at(at: &str) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self(std::sync::Mutex::new(
            kvalitet_domain::Timestamp::parse(at).unwrap(),
        )))
    }

    /// Moves it to `at`.
    pub fn set(&self, at: &str) {
        *self.0.lock().unwrap() = kvalitet_domain::Timestamp::parse(at).unwrap();
    }
}

impl kvalitet_app::ports::Clock for MovableClock {
    fn now(&self) -> kvalitet_domain::Timestamp {
        *self.0.lock().unwrap()
    }
}

impl TestApp {
    /// The site path of the link in the newest mail to `to` (a confirmation's, a
    /// participant's), with every mail queued so far marked sent.
    pub async fn mailed_link(&self, to: &str) -> String {
        use kvalitet_app::ports::Outbox;
        let now = kvalitet_domain::Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let mails = self
            .store
            .claim_mail(now, now.plus(time::Duration::minutes(1)), 100)
            .await
            .unwrap();
        for q in &mails {
            self.store.mail_sent(q.id, now).await.unwrap();
        }
        let mail = mails.iter().rev().find(|q| q.mail.to == to).unwrap();
        let body = &mail.mail.body;
        let start = body.find("/kommun/").unwrap();
        body[start..].split_whitespace().next().unwrap().to_owned()
    }
}

/// What `pdfinfo` says of `pdf` (title, "Tagged: yes", pages): a second reader of the
/// PDFs beside the typesetter's own check. The test suite's set-up installs `poppler-utils`.
pub fn pdfinfo(pdf: &[u8]) -> String {
    poppler("pdfinfo", &[], pdf)
}

/// The text `pdftotext` reads back from `pdf`, in reading order.
pub fn pdftotext(pdf: &[u8]) -> String {
    poppler("pdftotext", &["-"], pdf)
}

fn poppler(tool: &str, after: &[&str], pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new(tool)
        .arg(&path)
        .args(after)
        .output()
        .unwrap_or_else(|e| panic!("{tool} cannot run ({e}): install poppler-utils"));
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
