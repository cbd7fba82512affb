//! A proposal's place on the map and its attached files on the web: the municipality's map as
//! an SVG picture (with the place marked), the views the proposal pages show, the files served
//! back with headers that keep them from running as part of the site, and the click on the
//! map that sets a place without script (an image button sends the pixel clicked).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use kvalitet_app::Store;
use kvalitet_app::ports::AttachmentInfo;
use kvalitet_app::proposals as app;
use kvalitet_domain::geo::{Boundary, GeoPoint, MapFrame};
use kvalitet_domain::{Action, Grants, MunicipalityId};
use kvalitet_formats::attachment::AttachmentKind;

use crate::admin::municipality;
use crate::extract::{PageLang, Session};
use crate::i18n::Lang;
use crate::proposals::public_municipality;
use crate::{AppState, WebError};

/// The largest side of a municipality's map in CSS pixels: it fits a phone 360 px wide.
const MAP_PX: u32 = 300;

/// A municipality's drawn boundary and the frame its map is drawn in, when one is loaded.
pub(crate) async fn map_of<S: Store>(
    state: &AppState<S>,
    m: &MunicipalityId,
) -> Result<Option<(Boundary, MapFrame)>, WebError> {
    let boundary = app::boundary(&state.store, m).await?;
    Ok(boundary.and_then(|b| {
        let frame = MapFrame::around(b.bounds()?, MAP_PX);
        Some((b, frame))
    }))
}

/// The map as the pages show it: its picture's address and size.
#[derive(Serialize)]
pub(crate) struct MapView {
    pub src: String,
    pub width: u32,
    pub height: u32,
}

/// A place as a page says it: in degrees with the page's decimal sign, the map if there is
/// one, and a link to the place on OpenStreetMap.
#[derive(Serialize)]
pub(crate) struct PlaceView {
    pub lat: String,
    pub lon: String,
    pub map: Option<MapView>,
    pub osm: String,
}

/// The map picture's address, with the place marked when given.
pub(crate) fn map_src(lang_base: &str, m: &MunicipalityId, place: Option<GeoPoint>) -> String {
    let mut src = format!("{lang_base}/kommun/{m}/e-forslag/karta.svg");
    if let Some(p) = place {
        let _ = write!(src, "?lat={}&lon={}", p.lat_e6, p.lon_e6);
    }
    src
}

pub(crate) fn map_view(
    lang_base: &str,
    m: &MunicipalityId,
    frame: &MapFrame,
    place: Option<GeoPoint>,
) -> MapView {
    MapView {
        src: map_src(lang_base, m, place),
        width: frame.px_width,
        height: frame.px_height,
    }
}

/// Degrees with four decimals (about 10 m) in the page's language.
pub(crate) fn degrees(lang: Lang, d: f64) -> String {
    lang.number(d, 4)
}

pub(crate) fn place_view(
    lang: Lang,
    m: &MunicipalityId,
    place: GeoPoint,
    frame: Option<&MapFrame>,
) -> PlaceView {
    PlaceView {
        lat: degrees(lang, place.lat()),
        lon: degrees(lang, place.lon()),
        map: frame.map(|f| map_view(lang.base(), m, f, Some(place))),
        osm: format!(
            "https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}#map=16/{lat:.5}/{lon:.5}",
            lat = place.lat(),
            lon = place.lon()
        ),
    }
}

/// A file as a page lists it.
#[derive(Serialize)]
pub(crate) struct FileView {
    pub href: String,
    pub name: String,
    /// "PDF, 120 kB".
    pub about: String,
}

fn kind_words(lang: Lang, media_type: &str) -> &'static str {
    match AttachmentKind::of_media_type(media_type) {
        Some(AttachmentKind::Pdf) => "PDF",
        Some(AttachmentKind::Png) => lang.t("attachment_png"),
        Some(AttachmentKind::Jpeg) => lang.t("attachment_jpeg"),
        None => "",
    }
}

pub(crate) fn file_views(lang: Lang, base: &str, files: &[AttachmentInfo]) -> Vec<FileView> {
    files
        .iter()
        .map(|f| {
            let kb = (f.size_bytes as f64 / 1024.0).ceil();
            FileView {
                href: format!("{base}/bilaga/{}", f.position),
                name: f.file_name.clone(),
                about: format!(
                    "{}, {} kB",
                    kind_words(lang, &f.media_type),
                    lang.number(kb, 0)
                ),
            }
        })
        .collect()
}

/// What a proposal's page shows of its place and files.
#[derive(Serialize)]
pub(crate) struct Extras {
    pub place: Option<PlaceView>,
    pub files: Vec<FileView>,
}

/// The place and files of a proposal for a viewer (`None`: the public), with file links under
/// `base` (the proposal's page).
pub(crate) async fn extras<S: Store>(
    state: &AppState<S>,
    lang: Lang,
    viewer: Option<&Grants>,
    m: &MunicipalityId,
    number: i64,
    place: Option<GeoPoint>,
    base: &str,
) -> Result<Extras, WebError> {
    let files = app::attachment_list(&state.store, viewer, m, number).await?;
    let place = match place {
        Some(p) => {
            let map = map_of(state, m).await?;
            Some(place_view(lang, m, p, map.as_ref().map(|(_, f)| f)))
        }
        None => None,
    };
    Ok(Extras {
        place,
        files: file_views(lang, base, &files),
    })
}

#[derive(Deserialize)]
pub struct MarkQuery {
    lat: Option<i32>,
    lon: Option<i32>,
}

/// `GET /kommun/{id}/e-forslag/karta.svg?lat=&lon=`: the municipality's map (millionths of a
/// degree mark a place). 404 without a boundary.
pub async fn map_svg<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path(id): Path<String>,
    Query(q): Query<MarkQuery>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let Some((boundary, frame)) = map_of(&state, &m).await? else {
        return Err(WebError::coded(
            StatusCode::NOT_FOUND,
            kvalitet_domain::Message::new("map_none"),
        ));
    };
    let mark = match (q.lat, q.lon) {
        (Some(lat_e6), Some(lon_e6)) => Some(GeoPoint { lat_e6, lon_e6 }),
        _ => None,
    };
    let svg = draw(&boundary, &frame, mark);
    let mut r = (StatusCode::OK, svg).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(r)
}

/// The map as SVG: the municipality's shape on a light ground, a place as a ringed dot.
fn draw(boundary: &Boundary, frame: &MapFrame, mark: Option<GeoPoint>) -> String {
    let unit = frame.width / f64::from(frame.px_width);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="{l:.2} {t:.2} {w:.2} {h:.2}" width="{pw}" height="{ph}"><rect x="{l:.2}" y="{t:.2}" width="{w:.2}" height="{h:.2}" fill="#e8eef3"/><path d="{d}" fill="#f7f5ee" stroke="#45604d" stroke-width="{s:.3}" fill-rule="evenodd"/>"##,
        l = frame.left,
        t = frame.top,
        w = frame.width,
        h = frame.height,
        pw = frame.px_width,
        ph = frame.px_height,
        d = boundary.svg_path(),
        s = 1.5 * unit,
    );
    if let Some(p) = mark {
        let (x, y) = p.projected();
        let _ = write!(
            svg,
            r##"<circle cx="{x:.3}" cy="{y:.3}" r="{r1:.3}" fill="none" stroke="#ffffff" stroke-width="{s:.3}"/><circle cx="{x:.3}" cy="{y:.3}" r="{r2:.3}" fill="#a4001d" stroke="#ffffff" stroke-width="{s2:.3}"/>"##,
            r1 = 9.0 * unit,
            r2 = 6.0 * unit,
            s = 3.0 * unit,
            s2 = 1.5 * unit,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A stored file someone sent (a proposal's attachment, an assessment's evidence) as a
/// response, shown (`inline`) or downloaded; either way the browser is told not to guess
/// another type and, should it open the file as a page, to run nothing in it.
pub(crate) fn file_response(
    body: Vec<u8>,
    media_type: &str,
    file_name: &str,
    inline: bool,
    cache: &'static str,
) -> Response {
    // The header's plain name keeps only safe ASCII; `filename*` carries the real one.
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    );
    let mut r = (StatusCode::OK, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

fn attachment_response(info: &AttachmentInfo, body: Vec<u8>, cache: &'static str) -> Response {
    let picture = AttachmentKind::of_media_type(&info.media_type).is_some_and(|k| k.is_picture());
    file_response(body, &info.media_type, &info.file_name, picture, cache)
}

/// `GET /kommun/{id}/e-forslag/{number}/bilaga/{position}`: a published proposal's file.
pub async fn public_file<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Path((id, number, position)): Path<(String, i64, u32)>,
) -> Result<Response, WebError> {
    let m = public_municipality(&id)?;
    let (info, body) = app::attachment_file(&state.store, None, &m, number, position).await?;
    Ok(attachment_response(&info, body, "public, max-age=3600"))
}

/// `GET /admin/kommun/{id}/e-forslag/{number}/bilaga/{position}`: any proposal's file, for
/// its staff (moderation sees the files before the public does).
pub async fn staff_file<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    PageLang(lang): PageLang,
    Session(session): Session,
    Path((id, number, position)): Path<(String, i64, u32)>,
) -> Result<Response, WebError> {
    let m = municipality(lang, &session, &id, Action::ViewDrafts)?;
    let grants = &session.user.grants;
    let (info, body) =
        app::attachment_file(&state.store, Some(grants), &m, number, position).await?;
    Ok(attachment_response(&info, body, "private, no-store"))
}

/// The place a click on the map (`karta.x`, `karta.y` in CSS pixels) points at. `None` when
/// the form was not sent by a click: pressing Enter in a field sends the form by its first
/// button (the map comes before "Skicka") at (0, 0), which then means "send".
pub(crate) fn clicked(fields: &[(String, String)], frame: &MapFrame) -> Option<Option<GeoPoint>> {
    let read = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.trim().parse::<u32>().ok())
    };
    let (x, y) = (read("karta.x")?, read("karta.y")?);
    if (x, y) == (0, 0) {
        return None;
    }
    Some(frame.point_at(f64::from(x), f64::from(y)))
}
