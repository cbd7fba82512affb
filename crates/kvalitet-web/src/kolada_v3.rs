//! The read API in Kolada v3's format under `/v3/`, so existing Kolada clients work against
//! kvalitet with only the base URL changed (see docs/kolada-v3-api.md for the rules where
//! Kolada's own behaviour is unknown).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

use kvalitet_app::Store;
use kvalitet_app::kolada_v3::{self, DataQuery};
use kvalitet_domain::{AreaId, MeasureId, Year};

use crate::AppState;
use crate::cache::Stale;

/// Kolada's page size: the default and the maximum.
const MAX_PER_PAGE: usize = 5000;
/// The most ids or years one list may hold.
const MAX_LIST: usize = 25;

/// An answer that is not a page of values.
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(error = %self.message, "v3 request failed");
        }
        let body = json!({ "error": if self.status.is_server_error() { "Internal server error".to_owned() } else { self.message } });
        json_response(self.status, &body)
    }
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The query string as (key, value) pairs, percent-decoded, `+` read as a space.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Percent-decodes UTF-8; in a query `+` is a space. Invalid escapes are kept as written.
fn decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A comma-separated list (in a path segment or in one or more query values).
fn list<'a>(parts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    parts
        .into_iter()
        .flat_map(|p| p.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_list<T>(
    name: &str,
    items: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, ApiError> {
    if items.len() > MAX_LIST {
        return Err(ApiError::unprocessable(format!(
            "{name}: at most {MAX_LIST} values per list, got {}",
            items.len()
        )));
    }
    items
        .iter()
        .map(|s| parse(s).map_err(|e| ApiError::bad_request(format!("{name}: {e}"))))
        .collect()
}

fn parse_kpis(items: &[String]) -> Result<Vec<MeasureId>, ApiError> {
    parse_list("kpi", items, |s| {
        MeasureId::parse(s).map_err(|e| e.to_string())
    })
}
fn parse_areas(items: &[String]) -> Result<Vec<AreaId>, ApiError> {
    parse_list("municipality", items, |s| {
        AreaId::parse(s).map_err(|e| e.to_string())
    })
}
fn parse_years(items: &[String]) -> Result<Vec<Year>, ApiError> {
    parse_list("year", items, |s| Year::parse(s).map_err(|e| e.to_string()))
}

/// A `from_date`: a real calendar day written `YYYY-MM-DD`.
fn parse_date(d: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::bad_request(format!(
            "from_date must be a date written YYYY-MM-DD, got {d:?}"
        ))
    };
    let parts: Vec<&str> = d.split('-').collect();
    let [y, m, day] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || day.len() != 2 {
        return Err(bad());
    }
    let (y, m, day): (i32, u8, u8) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        day.parse().map_err(|_| bad())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day == 0 || day > days {
        return Err(bad());
    }
    Ok(d.to_owned())
}

/// Page and size from the query, as Kolada reads them.
struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    fn from_query(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let number = |name: &str| -> Result<Option<usize>, ApiError> {
            match pairs.iter().rev().find(|(k, _)| k == name) {
                None => Ok(None),
                Some((_, v)) if v.is_empty() => Ok(None),
                Some((_, v)) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(Some)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "{name} must be a whole number from 1, got {v:?}"
                        ))
                    }),
            }
        };
        let page = number("page")?.unwrap_or(1);
        let per_page = number("per_page")?.unwrap_or(MAX_PER_PAGE);
        if per_page > MAX_PER_PAGE {
            return Err(ApiError::unprocessable(format!(
                "per_page must be at most {MAX_PER_PAGE}"
            )));
        }
        Ok(Self { page, per_page })
    }
}

/// The absolute URL of the same request with another page number.
fn page_url(headers: &HeaderMap, path: &str, pairs: &[(String, String)], page: usize) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    query.push(format!("page={page}"));
    format!("{scheme}://{host}{path}?{}", query.join("&"))
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~,".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Kolada's envelope. A struct, so objects keep Kolada's key order (a JSON map would sort them).
#[derive(Serialize)]
struct Envelope<'a, T> {
    count: usize,
    next_url: Option<String>,
    previous_url: Option<String>,
    values: &'a [T],
}

/// One page of `items` in Kolada's envelope, as JSON bytes.
fn page_of<T: Serialize>(
    items: &[T],
    paging: &Paging,
    headers: &HeaderMap,
    path: &str,
    pairs: &[(String, String)],
) -> Result<Vec<u8>, ApiError> {
    let start = (paging.page - 1)
        .saturating_mul(paging.per_page)
        .min(items.len());
    let end = start.saturating_add(paging.per_page).min(items.len());
    let values = &items[start..end];
    let next_url = (end < items.len()).then(|| page_url(headers, path, pairs, paging.page + 1));
    let previous_url =
        (paging.page > 1 && start > 0).then(|| page_url(headers, path, pairs, paging.page - 1));
    serde_json::to_vec(&Envelope {
        count: values.len(),
        next_url,
        previous_url,
        values,
    })
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

/// Everything under `/v3/`. Answers are cached until the values version moves: Kolada's
/// data and catalogue are all they say, so a changed text does not make them again.
pub(crate) async fn handle<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let version = state
        .versions()
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .values;
    // Absolute next/previous URLs depend on the host and scheme the client used.
    let key = format!(
        "{}|{}|{uri}",
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(""),
        headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .unwrap_or(""),
    );
    let answer = state
        .v3_cache
        .get_or_make(version, &key, Stale::Served, || async {
            Ok::<_, ApiError>(Answer::new(answer(&state, version, &uri, &headers).await?))
        })
        .await?;
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.split(',').any(|e| e.trim().starts_with("gzip")));
    let content_type = (header::CONTENT_TYPE, "application/json; charset=utf-8");
    let vary = (header::VARY, "Accept-Encoding");
    Ok(if accepts_gzip {
        (
            StatusCode::OK,
            [content_type, vary, (header::CONTENT_ENCODING, "gzip")],
            answer.gzip,
        )
            .into_response()
    } else {
        (StatusCode::OK, [content_type, vary], answer.plain).into_response()
    })
}

/// A cached answer, plain and gzip-compressed (compressed once, sent many times).
#[derive(Clone)]
pub(crate) struct Answer {
    plain: bytes::Bytes,
    gzip: bytes::Bytes,
}

impl Answer {
    fn new(plain: Vec<u8>) -> Self {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(plain.len() / 8),
            flate2::Compression::fast(),
        );
        // Writing to a Vec cannot fail.
        let gzip = encoder
            .write_all(&plain)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        Self {
            plain: plain.into(),
            gzip: gzip.into(),
        }
    }
}

impl crate::cache::CacheSize for Answer {
    fn size(&self) -> usize {
        self.plain.len() + self.gzip.len()
    }
}

/// All rows of one data query.
#[derive(Clone)]
pub(crate) struct Rows(Arc<Vec<kolada_v3::DataRow>>);

impl crate::cache::CacheSize for Rows {
    fn size(&self) -> usize {
        // About what a row holds: ids, a year and up to three gender entries.
        self.0.len() * 160
    }
}

/// The JSON body of a successful answer.
async fn answer<S: Store>(
    state: &AppState<S>,
    version: i64,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Vec<u8>, ApiError> {
    let path = uri.path().to_owned();
    let pairs = query_pairs(uri.query());
    let paging = Paging::from_query(&pairs)?;
    let rest = path.strip_prefix("/v3").unwrap_or(&path);
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode(s, false))
        .collect();
    let values_of = |name: &str| {
        list(
            pairs
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str()),
        )
    };
    let ids_from = |segment: Option<&String>| match segment {
        Some(s) => list([s.as_str()]),
        None => values_of("id"),
    };
    let title = pairs
        .iter()
        .find(|(k, _)| k == "title")
        .map(|(_, v)| v.clone());
    let store = &state.store;
    let internal = |e: kvalitet_app::StoreError| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    };
    macro_rules! page {
        ($items:expr) => {
            page_of($items, &paging, headers, &path, &pairs)
        };
    }

    match segments.first().map(String::as_str) {
        // The root lists the routes, so a visitor who tries it finds them.
        None => Ok(serde_json::to_vec(&serde_json::json!({
            "api": "Kolada API v3, as served by kvalitet",
            "documentation": "/oppna-data",
            "routes": ["/v3/kpi", "/v3/kpi_groups", "/v3/municipality", "/v3/municipality_groups",
                "/v3/data/kpi/{id}/municipality/{id}/year/{year}"],
        }))
        .unwrap_or_default()),
        Some("kpi") if segments.len() <= 2 => {
            let ids = ids_from(segments.get(1));
            let wanted = parse_kpis(&ids)?;
            let items = kolada_v3::kpis(store, &wanted, title.as_deref())
                .await
                .map_err(internal)?;
            page!(&items)
        }
        Some("municipality") if segments.len() <= 2 => {
            let ids = ids_from(segments.get(1));
            parse_list("municipality", &ids, |s| {
                kvalitet_domain::MunicipalityId::parse(s).map_err(|e| e.to_string())
            })?;
            let region_type = pairs
                .iter()
                .find(|(k, _)| k == "region_type" || k == "type")
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty());
            if let Some(t) = &region_type
                && t != "K"
                && t != "L"
            {
                return Err(ApiError::bad_request(format!(
                    "region_type must be K or L, got {t:?}"
                )));
            }
            let items =
                kolada_v3::municipalities(store, &ids, title.as_deref(), region_type.as_deref())
                    .await
                    .map_err(internal)?;
            page!(&items)
        }
        Some("municipality_groups") if segments.len() <= 2 => {
            let ids = ids_from(segments.get(1));
            let items = kolada_v3::municipality_groups(store, &ids, title.as_deref())
                .await
                .map_err(internal)?;
            page!(&items)
        }
        Some("kpi_groups") if segments.len() <= 2 => {
            let ids = ids_from(segments.get(1));
            let items = kolada_v3::kpi_groups(store, &ids, title.as_deref())
                .await
                .map_err(internal)?;
            page!(&items)
        }
        Some("data") => {
            let query = data_query(&segments[1..], &pairs)?;
            let Some(query) = query else {
                // The query form with fewer than two known dimensions: Kolada answers empty.
                return page!(&[] as &[kolada_v3::DataRow]);
            };
            // Every page of a query is cut from the same rows, computed once per values version.
            let key = format!("{query:?}");
            let rows = state
                .v3_rows
                .get_or_make(version, &key, Stale::Refused, || async {
                    Ok::<_, ApiError>(Rows(Arc::new(
                        kolada_v3::data(store, &query).await.map_err(internal)?,
                    )))
                })
                .await?;
            page!(&rows.0)
        }
        _ => Err(ApiError::not_found(format!("no such route: {path}"))),
    }
}

/// Reads the dimensions of a data request from the path (`kpi/…/municipality/…/year/…` in any
/// order, at least two) or from the query form (`?kpi_id=&municipality_id=&year=`).
fn data_query(
    segments: &[String],
    pairs: &[(String, String)],
) -> Result<Option<DataQuery>, ApiError> {
    let from_date = match pairs.iter().rev().find(|(k, _)| k == "from_date") {
        Some((_, d)) if !d.is_empty() => Some(parse_date(d)?),
        _ => None,
    };
    let mut query = DataQuery {
        from_date,
        ..DataQuery::default()
    };
    if segments.is_empty() {
        let get = |name: &str| {
            list(
                pairs
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str()),
            )
        };
        let (kpis, areas, years) = (get("kpi_id"), get("municipality_id"), get("year"));
        let given = [!kpis.is_empty(), !areas.is_empty(), !years.is_empty()]
            .iter()
            .filter(|b| **b)
            .count();
        if given < 2 {
            return Ok(None);
        }
        query.kpis = parse_kpis(&kpis)?;
        query.areas = parse_areas(&areas)?;
        query.years = parse_years(&years)?;
        return Ok(Some(query));
    }
    if !segments.len().is_multiple_of(2) || !(4..=6).contains(&segments.len()) {
        return Err(ApiError::not_found(
            "a data route names two or three of kpi, municipality and year, each with a list",
        ));
    }
    let mut seen = Vec::new();
    for pair in segments.chunks(2) {
        let (dimension, items) = (pair[0].as_str(), list([pair[1].as_str()]));
        if seen.contains(&dimension) {
            return Err(ApiError::not_found(format!("{dimension} is named twice")));
        }
        seen.push(dimension);
        if items.is_empty() {
            return Err(ApiError::bad_request(format!("{dimension}: empty list")));
        }
        match dimension {
            "kpi" => query.kpis = parse_kpis(&items)?,
            "municipality" => query.areas = parse_areas(&items)?,
            "year" => query.years = parse_years(&items)?,
            other => {
                return Err(ApiError::not_found(format!(
                    "unknown data dimension {other:?}"
                )));
            }
        }
    }
    Ok(Some(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_like_kolada_clients_send_them() {
        let pairs = query_pairs(Some(
            "title=G%C3%B6teborg+stad&kpi_id=N1%2CN2&kpi_id=N3&empty=",
        ));
        assert_eq!(pairs[0], ("title".into(), "Göteborg stad".into()));
        assert_eq!(
            list(
                pairs
                    .iter()
                    .filter(|(k, _)| k == "kpi_id")
                    .map(|(_, v)| v.as_str())
            ),
            ["N1", "N2", "N3"]
        );
        assert_eq!(decode("100%", true), "100%");
        assert_eq!(decode("%zz", true), "%zz");
    }

    #[test]
    fn paging_defaults_and_limits() {
        let p = Paging::from_query(&[]).unwrap_or_else(|_| panic!("defaults"));
        assert_eq!((p.page, p.per_page), (1, 5000));
        let too_big = Paging::from_query(&[("per_page".into(), "5001".into())]);
        assert!(matches!(too_big, Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY));
        let zero = Paging::from_query(&[("page".into(), "0".into())]);
        assert!(matches!(zero, Err(e) if e.status == StatusCode::BAD_REQUEST));
    }

    #[test]
    fn data_paths_take_any_order_of_two_or_three_dimensions() {
        let seg = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<_>>();
        let q = data_query(&seg("year/2022/kpi/N15428"), &[])
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!((q.kpis.len(), q.years.len(), q.areas.len()), (1, 1, 0));
        assert!(
            matches!(data_query(&seg("kpi/N15428"), &[]), Err(e) if e.status == StatusCode::NOT_FOUND)
        );
        assert!(
            matches!(data_query(&seg("kpi/N1/kpi/N2"), &[]), Err(e) if e.status == StatusCode::NOT_FOUND)
        );
        assert!(
            matches!(data_query(&seg("kpi/N1/year/20x2"), &[]), Err(e) if e.status == StatusCode::BAD_REQUEST)
        );
        let many = (0..26)
            .map(|i| format!("{:04}", i))
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            matches!(data_query(&seg(&format!("kpi/N1/municipality/{many}")), &[]), Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY)
        );
        assert!(
            data_query(&[], &[("kpi_id".into(), "N1".into())])
                .ok()
                .flatten()
                .is_none()
        );
    }

    #[test]
    fn from_date_must_be_a_real_day() {
        let seg: Vec<String> = ["kpi", "N1", "year", "2022"].map(String::from).to_vec();
        let dated = |d: &str| data_query(&seg, &[("from_date".into(), d.into())]);
        let ok = dated("2024-02-29").ok().flatten().and_then(|q| q.from_date);
        assert_eq!(ok.as_deref(), Some("2024-02-29"));
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-1",
            "yesterday",
        ] {
            assert!(
                matches!(dated(bad), Err(e) if e.status == StatusCode::BAD_REQUEST),
                "{bad}"
            );
        }
    }

    #[test]
    fn kinds_map_to_kolada_types() {
        assert_eq!(kvalitet_domain::MunicipalityKind::Riket.kolada_type(), "L");
    }
}
