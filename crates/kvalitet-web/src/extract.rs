//! What handlers take from a request, checked once here: the page's language, the logged-in
//! session (or the way to the login page), and a change sent from a form, which needs a
//! session and that session's CSRF token. A handler that names `Change<T>` cannot forget the
//! token, and reads its fields as a typed `T`; a file upload (`Upload`) likewise.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use kvalitet_app::Store;
use kvalitet_app::ports::SessionRecord;
use kvalitet_domain::Message;

use crate::error::WebError;
use crate::i18n::Lang;
use crate::{AppState, auth};

/// The language of the page asked for (set by the routes: Swedish at `/`, English at `/en/`).
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts.extensions.get::<Lang>().copied().unwrap_or(Lang::Sv),
        ))
    }
}

/// The logged-in person; without a session the page layer sends them to log in and back.
pub(crate) struct Session(pub SessionRecord);

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for Session {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        match state.current_session(&parts.headers).await? {
            Some(s) => Ok(Self(s)),
            None => Err(WebError::login_needed()),
        }
    }
}

/// A form's fields beside the CSRF token every changing form carries.
#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: T,
}

/// A change sent from a form: the logged-in session whose CSRF token the form carried, and
/// the form's fields.
pub(crate) struct Change<T> {
    pub session: SessionRecord,
    pub form: T,
}

impl<S: Store, T: DeserializeOwned + Send> FromRequest<Arc<AppState<S>>> for Change<T> {
    type Rejection = WebError;

    async fn from_request(
        request: Request,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Session(session) = Session::from_request_parts(&mut parts, state).await?;
        let lang = parts.extensions.get::<Lang>().copied().unwrap_or(Lang::Sv);
        let request = Request::from_parts(parts, body);
        let Form(sent) = Form::<WithCsrf<T>>::from_request(request, state)
            .await
            .map_err(|e| {
                WebError::with(e.status(), crate::rejections::message(lang, e.status()))
            })?;
        if !auth::csrf_ok(&session, Some(&sent.csrf)) {
            return Err(WebError::form_expired());
        }
        Ok(Self {
            session,
            form: sent.fields,
        })
    }
}

/// The largest file a route's uploads take, set beside the route's body limit (see
/// `routes::upload`), so a refusal can say the limit in megabytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UploadLimit(pub usize);

/// A change sent as a form that may carry files (a multipart form, or a plain one when the
/// browser sent no file input): the logged-in session, checked before the body is read; the
/// form's text fields, whose `csrf` must be the session's token; and its files by field name
/// (file inputs left empty are not files). The route's body limit bounds the whole.
pub(crate) struct Upload {
    pub session: SessionRecord,
    pub fields: HashMap<String, String>,
    files: Vec<SentFile>,
}

/// One file of a form: the field it came in, its name on the sender's machine, its bytes.
pub(crate) struct SentFile {
    pub field: String,
    pub name: String,
    pub bytes: bytes::Bytes,
}

impl Upload {
    /// The file's name and bytes (the field `file`), or the refusal when none was sent.
    pub fn file(&self) -> Result<(&str, &bytes::Bytes), WebError> {
        self.files
            .iter()
            .find(|f| f.field == "file")
            .map(|f| (f.name.as_str(), &f.bytes))
            .ok_or_else(|| WebError::invalid(Message::new("no_file_sent")))
    }

    /// Every file sent, in the order sent.
    pub fn files(&self) -> &[SentFile] {
        &self.files
    }

    /// A text field, empty when not sent.
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

impl<S: Store> FromRequest<Arc<AppState<S>>> for Upload {
    type Rejection = WebError;

    async fn from_request(
        request: Request,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Session(session) = Session::from_request_parts(&mut parts, state).await?;
        let (fields, files) = read_form(Request::from_parts(parts, body), state).await?;
        let fields: HashMap<String, String> = fields.into_iter().collect();
        if !auth::csrf_ok(&session, fields.get("csrf").map(String::as_str)) {
            return Err(WebError::form_expired());
        }
        Ok(Self {
            session,
            fields,
            files,
        })
    }
}

/// A resident's form that may carry files: its text fields in the order sent and its files.
/// Its double-submit token is the handler's to check (`proposals::token_ok`). At most
/// [`crate::state::PUBLIC_UPLOADS_AT_ONCE`] are read at a time.
pub(crate) struct PublicUpload {
    pub fields: Vec<(String, String)>,
    pub files: Vec<SentFile>,
}

impl<S: Store> FromRequest<Arc<AppState<S>>> for PublicUpload {
    type Rejection = WebError;

    async fn from_request(
        request: Request,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, Self::Rejection> {
        let _permit = state
            .public_uploads
            .acquire()
            .await
            .map_err(WebError::internal)?;
        let (fields, files) = read_form(request, state).await?;
        Ok(Self { fields, files })
    }
}

/// Reads a form, multipart or plain, within the route's body limit: its text fields in the
/// order sent and its files.
async fn read_form<S: Store>(
    request: Request,
    state: &Arc<AppState<S>>,
) -> Result<(Vec<(String, String)>, Vec<SentFile>), WebError> {
    let (parts, body) = request.into_parts();
    let lang = parts.extensions.get::<Lang>().copied().unwrap_or(Lang::Sv);
    let limit = parts
        .extensions
        .get::<UploadLimit>()
        .map_or(crate::state::FORM_LIMIT, |l| l.0);
    let too_large = || {
        let mb = lang.number(limit as f64 / f64::from(1 << 20), 1);
        WebError::with(
            StatusCode::PAYLOAD_TOO_LARGE,
            lang.say(&Message::new("file_too_large").with("mb", mb)),
        )
    };
    let broken = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            WebError::bad_request(lang.t("upload_broken"))
        }
    };
    let multipart = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/"));
    let request = Request::from_parts(parts, body);
    let mut fields = Vec::new();
    let mut files = Vec::new();
    if multipart {
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| broken(e.status()))?;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| broken(e.status()))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| broken(e.status()))?;
            match filename {
                // An empty file input: the browser sends a part without a name or bytes.
                Some(f) if f.is_empty() && bytes.is_empty() => {}
                Some(name_there) => files.push(SentFile {
                    field: name,
                    name: name_there,
                    bytes,
                }),
                None => fields.push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
    } else {
        let Form(Pairs(sent)) = Form::<Pairs>::from_request(request, state)
            .await
            .map_err(|e| broken(e.status()))?;
        fields = sent;
    }
    Ok((fields, files))
}

/// A form's fields in the order sent, for forms whose names are made per question
/// (`a.q1`, `e.q1`, ...) rather than fixed.
pub(crate) struct Pairs(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("form fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Visit)
    }
}
