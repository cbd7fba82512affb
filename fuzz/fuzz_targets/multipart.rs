//! File uploads over HTTP, through the whole router as a logged-in editor sends them: the
//! first byte chooses between the raw bytes as the multipart body (axum's parser and the
//! form reader) and a well-formed form whose file is the rest (the checks and the store).
//! A panic anywhere would take a real server's request, so any is a finding.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, header};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

use kvalitet_app::accounts::{self, Attempt, Hasher};
use kvalitet_app::ports::prelude::*;
use kvalitet_app::ports::{Actor, CatalogueBatch, ChangeSet, ImportSource};
use kvalitet_domain::{LoginPolicy, Municipality, MunicipalityId, MunicipalityKind, Role, Year};
use kvalitet_store::SqlStore;

struct Site {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    cookie: String,
    csrf: String,
    _dir: tempfile::TempDir,
}

const PASSWORD: &str = "ett långt lösenord för fuzz";

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a directory");
        let url = format!("sqlite://{}", dir.path().join("fuzz.db").display());
        let (router, cookie, csrf) = runtime.block_on(async {
            let store = SqlStore::open(&url).await.expect("a database");
            let m = MunicipalityId::parse("0180").expect("an id");
            let catalogue = CatalogueBatch {
                catalogue_year: Some(Year::new(2026).expect("a year")),
                municipalities: vec![Municipality::new(
                    m,
                    "Stockholm".into(),
                    MunicipalityKind::Kommun,
                )],
                ..CatalogueBatch::default()
            };
            store
                .apply(
                    &ImportSource {
                        source: "fuzz".into(),
                        format: "fuzz".into(),
                        at: kvalitet_app::ports::Clock::now(&kvalitet_app::ports::SystemClock),
                    },
                    ChangeSet {
                        catalogue: Some(catalogue),
                        ..ChangeSet::default()
                    },
                )
                .await
                .expect("the catalogue");
            let actor = Actor {
                who: "fuzz".into(),
                at: kvalitet_app::ports::Clock::now(&kvalitet_app::ports::SystemClock),
            };
            let hasher = Hasher::for_this_machine();
            accounts::add_user(
                &store,
                &hasher,
                "fuzz@kommun.se",
                "Fuzz",
                PASSWORD,
                false,
                &actor,
            )
            .await
            .expect("a user");
            accounts::set_role(&store, "fuzz@kommun.se", &m, Some(Role::Editor), &actor)
                .await
                .expect("a role");
            let policy = LoginPolicy::default();
            let attempt = Attempt {
                hasher: &hasher,
                policy: &policy,
                address: std::net::Ipv4Addr::LOCALHOST.into(),
                at: actor.at,
            };
            let session = accounts::login(&store, &attempt, "fuzz@kommun.se", PASSWORD)
                .await
                .expect("a session");
            let options = kvalitet_web::SiteOptions {
                max_upload_bytes: 64 << 10,
                ..kvalitet_web::SiteOptions::default()
            };
            let state = kvalitet_web::AppState::with_options(store, "sqlite", options);
            (
                kvalitet_web::router(state),
                format!("kv_session={}", session.token),
                session.session.csrf_token,
            )
        });
        Site {
            runtime,
            router,
            cookie,
            csrf,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let s = site();
    let boundary = "XfuzzX";
    let body = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut b = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.xlsx\"\r\n\r\n",
            s.csrf
        )
        .into_bytes();
        b.extend_from_slice(rest);
        b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        b
    };
    let request = Request::post("/admin/kommun/0180/fil")
        .header(header::COOKIE, &s.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("a request");
    let response = s
        .runtime
        .block_on(s.router.clone().oneshot(request))
        .expect("an answer");
    assert!(
        !response.status().is_server_error(),
        "a 5xx for an upload: {}",
        response.status()
    );
});
